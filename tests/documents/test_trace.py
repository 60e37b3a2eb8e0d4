"""`policykg trace`: determination -> statement -> quoted passage -> cited works, in every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from samples import NEXT, SHIPPED

from policykg.cli import main

INFANT = SHIPPED.removesuffix("policy") + "statement-infant"


def run(capsys: Any, store: Path, *args: str) -> tuple[int, str, str]:
    code = main(["trace", "--store", str(store), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_trace_a_check_through_the_default_rule(capsys: Any, ingest_store: Any, documents: dict[str, Path]) -> None:
    code, out, _ = run(capsys, ingest_store.root, "--cpt", "76800", "--icd", "Q76.49", "--age", "3m",
                       "--service-date", "2025-02-01", "-f", "json")
    assert code == 0
    t = json.loads(out)
    assert t["determination"] == "not_medically_necessary" and t["policy"]["iri"] == NEXT
    (link,) = t["links"]
    assert link["via"] == ["Q76.49 not listed (default rule)"]
    text = documents["cpg038-2025"].read_text(encoding="utf-8")
    p = link["passage"]
    assert text[p["start"]:p["end"]] == p["quote"] and p["section"] == "GUIDELINES > Not Medically Necessary"
    assert len(link["evidence"]) == 15
    howie = next(e for e in link["evidence"] if e["label"] == "Howie et al. 1983")
    assert howie["stance"] == "supports" and "unreliable" in howie["sentence"]


def test_trace_a_check_as_a_table(capsys: Any, ingest_store: Any) -> None:
    code, out, _ = run(capsys, ingest_store.root, "--cpt", "76800", "--icd", "Q05.4", "--age", "3m",
                       "--service-date", "2024-10-01")
    assert code == 0
    assert out.startswith("Trace: check CPT 76800 with Q05.4, 3m\nDetermination: medically_necessary")
    assert "via: Q05.4 listed as Q05.0-Q05.9" in out and "source: GUIDELINES > Medically Necessary, page 1" in out
    assert "Gajagowni et al. 2024" in out and "does_not_support" in out


def test_trace_a_statement_as_markdown(capsys: Any, ingest_store: Any) -> None:
    code, out, _ = run(capsys, ingest_store.root, "--statement", INFANT, "-f", "markdown")
    assert code == 0 and out.startswith("# Trace: statement " + INFANT)
    assert "- Determination: `medically_necessary`" in out
    assert "> Spinal and/or paraspinal ultrasound is considered medically necessary" in out
    assert "| Gajagowni et al. 2024 | study | does_not_support | 7 |" in out
    assert out.count("\n| ") == 1 + 7 and "\n|---|" in out  # header, then one row per cited work


def test_trace_a_code_in_each_version(capsys: Any, ingest_store: Any) -> None:
    for day, base in (("2024-10-01", SHIPPED), ("2025-02-01", NEXT)):
        code, out, _ = run(capsys, ingest_store.root, "--code", "q054", "--service-date", day, "-f", "json")
        links = json.loads(out)["links"]
        assert code == 0 and {link["policy"] for link in links} == {base}
        assert [link["determination"] for link in links] == ["medically_necessary", "medically_necessary"]
        assert all("diagnosis entry Q05.0-Q05.9" in link["via"][0] for link in links)
    code, out, _ = run(capsys, ingest_store.root, "--code", "Q76.49", "--service-date", "2025-02-01", "-f", "json")
    t = json.loads(out)
    assert code == 0 and t["links"] == [] and "listed by no code table" in t["warnings"][0]
    code, out, _ = run(capsys, ingest_store.root, "--code", "76800", "--service-date", "2025-02-01", "-f", "json")
    assert len(json.loads(out)["links"]) == 3


def test_trace_drawn_with_graphviz(capsys: Any, ingest_store: Any, tmp_path: Path) -> None:
    code, out, _ = run(capsys, ingest_store.root, "--statement", INFANT, "-f", "dot")
    assert code == 0 and out.startswith("digraph trace {") and "does_not_support" in out
    svg = tmp_path / "trace.svg"
    code, out, _ = run(capsys, ingest_store.root, "--statement", INFANT, "-f", "svg", "-o", str(svg))
    assert code == 0 and out == ""
    data = svg.read_text(encoding="utf-8")
    assert data.startswith("<?xml") and "<svg" in data and "Gajagowni et al. 2024" in data


def test_missing_dot_is_one_line(capsys: Any, ingest_store: Any, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot program on the path
    code, out, err = run(capsys, ingest_store.root, "--statement", INFANT, "-f", "svg")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "Graphviz's 'dot' program" in err and "--format dot" in err


@pytest.mark.parametrize(("args", "fragment"), [
    ([], "give exactly one of"),
    (["--code", "Q05.4", "--statement", INFANT], "got --statement, --code"),
    (["--icd", "Q05.4", "--age", "3m"], "needs --cpt"),
    (["--statement", "statement-infant"], "must be an absolute IRI"),
    (["--statement", SHIPPED.removesuffix("policy") + "statement-nothing"], "no statement"),
    (["--code", "Q99.99"], "unknown code Q99.99"),
    (["--code", "Q-5"], "malformed ICD-10-CM code"),
    (["--cpt", "76800", "--icd", "Q05.4"], "age is needed"),
])
def test_bad_input_is_one_line(capsys: Any, ingest_store: Any, args: list[str], fragment: str) -> None:
    code, out, err = run(capsys, ingest_store.root, *args)
    assert code == 2 and out == "" and fragment in err and len(err.strip().splitlines()) == 1


def test_the_chain_is_reachable_by_named_queries(capsys: Any, ingest_store: Any) -> None:
    code = main(["query", "--store", str(ingest_store.root), "trace-code", "-p", "code=Q05.4", "-p",
                 f"policy={NEXT}", "-f", "json"])
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert code == 0 and {r["statement"].rsplit("/", 1)[-1] for r in rows} == {"statement-1", "statement-2"}
    assert all(r["entryNotation"] == "Q05.0-Q05.9" and r["quote"] for r in rows)
    code = main(["query", "--store", str(ingest_store.root), "trace-statement", "-p", f"statement={INFANT}",
                 "-f", "json"])
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert code == 0 and len(rows) == 7 and {r["determination"] for r in rows} == {"medically_necessary"}
    assert {r["stance"] for r in rows} == {"supports", "does_not_support"}
