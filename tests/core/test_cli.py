"""The `policykg` command through its entry point: outputs, exit statuses, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policykg.cli import main


def cli(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_json(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, "check", "--store", str(store_dir), "--cpt", "76800", "--icd", "Q054",
                         "--service-date", "2025-01-15", "--birth-date", "2024-10-15", "-f", "json")
    assert code == 0, err
    r = json.loads(out)
    assert r["determination"] == "medically_necessary"
    assert r["codes"][1]["code"] == "Q05.4"


def test_check_table_and_several_codes(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(capsys, "check", "--store", str(store_dir), "--cpt", "76800", "--icd", "R10.9,Q05.4",
                       "--icd", "G95.0", "--age", "30m")
    assert code == 0
    assert out.startswith("Determination: not_medically_necessary")
    assert "Q05.4" in out and "G95.0" in out


@pytest.mark.parametrize("args,fragment", [
    (["--cpt", "76800", "--icd", "Q05.4"], "age is needed"),
    (["--cpt", "76800", "--age", "3m"], "Missing option '--icd'"),
    (["--cpt", "76800", "--icd", "Q-5.4", "--age", "3m"], "malformed ICD-10-CM code"),
    (["--cpt", "76800", "--icd", "Q99.99", "--age", "3m"], "unknown ICD-10-CM code Q99.99"),
    (["--cpt", "7680", "--icd", "Q05.4", "--age", "3m"], "malformed CPT/HCPCS code"),
    (["--cpt", "76800", "--icd", "Q05.4", "--age", "three"], "malformed age"),
    (["--cpt", "76800", "--icd", "Q05.4", "--birth-date", "2024-02-30", "--service-date", "2024-03-01"],
     "not a real calendar date"),
    (["--cpt", "76800", "--icd", "Q05.4", "--birth-date", "2024-05-01", "--service-date", "2024-03-01"],
     "before birth"),
    (["--cpt", "76800", "--icd", "Q05.4", "--age", "3m", "--format", "xml"], "Invalid value"),
])
def test_check_bad_input(capsys, store_dir: Path, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, "check", "--store", str(store_dir), *args)
    assert code == 2
    assert out == ""
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_query_list_and_run(capsys, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(capsys, "query", "--list", "-f", "json")
    assert code == 0 and len(json.loads(out)) >= 15
    code, out, _ = cli(capsys, "query", "--store", str(store_dir), "statements-for-code", "-p", "icd=Q05.4", "-f",
                       "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("policy,table,tableDetermination")
    assert len(lines) == 3
    code, out, _ = cli(capsys, "query", "--store", str(store_dir), "covered-diagnoses", "-f", "json")
    assert len(json.loads(out)["rows"]) == 53


@pytest.mark.parametrize("args,fragment", [
    (["no-such-query"], "unknown query"),
    (["statements-for-code"], "needs parameter 'icd'"),
    (["statements-for-code", "-p", "code=Q05.4"], "has no parameter 'code'"),
    (["policy-in-effect", "-p", "service_date=yesterday"], "must be a date"),
    (["statements-for-code", "-p", "icd"], "not key=value"),
])
def test_query_bad_input(capsys, store_dir: Path, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "query", "--store", str(store_dir), *args)
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1


def test_sparql(capsys, store_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(capsys, "sparql", "--store", str(store_dir), "-f", "csv",
                       "SELECT ?l WHERE { ?s a pkg:CoverageStatement ; rdfs:label ?l } ORDER BY ?l")
    assert code == 0 and len(out.strip().splitlines()) == 4
    code, out, _ = cli(capsys, "sparql", "--store", str(store_dir), "ASK { ?s a pkg:CoveragePolicy }")
    assert out.strip() == "true"
    f = tmp_path / "q.rq"
    f.write_text("CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a pkg:CoverageStatement ; rdfs:label ?l }")
    code, out, _ = cli(capsys, "sparql", "--store", str(store_dir), "--file", str(f), "-f", "nt")
    assert code == 0 and len(out.strip().splitlines()) == 3


@pytest.mark.parametrize("text,fragment", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { SERVICE SILENT ?x { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }", "not a graph of this store"),
    ("SELECT * FROM NAMED <file:///etc/passwd> WHERE { ?s ?p ?o }", "not a graph of this store"),
    ("INSERT DATA { <a:b> <a:b> <a:b> }", "read-only"),
    ("LOAD <http://example.org/x.ttl>", "read-only"),
    ("DROP ALL", "read-only"),
    ("SELECT * WHERE { ?s ?p ?o ", "unbalanced"),
    ("SELECT * WHERE { ?s ?p }", "syntax error"),
    ("", "empty"),
])
def test_sparql_refusals(capsys, store_dir: Path, text: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "sparql", "--store", str(store_dir), text)
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_entry_point_as_a_process(store_dir: Path) -> None:
    env = {**os.environ, "POLICYKG_STORE": str(store_dir)}
    exe = Path(sys.executable).parent / "policykg"
    p = subprocess.run([str(exe), "check", "--cpt", "76800", "--icd", "Q05.4", "--age", "3m", "-f", "json"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["determination"] == "medically_necessary"
    p = subprocess.run([str(exe), "check", "--cpt", "76800", "--icd", "Q05.4", "--age", "-1y"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "negative" in p.stderr
    p = subprocess.run([str(exe)], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0 and "check" in p.stdout
