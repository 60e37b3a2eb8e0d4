"""A synthetic family document with the layout CPG 038 lacks, mapped and ingested (dry run), and refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SKOS
from samples import FAMILY, NOW

from policykg.cli import main
from policykg.namespaces import CITO, OA, PKG

BASE = "https://w3id.org/policykg/id/ingested/cigna/cpg777/2025-03-01/"


@pytest.fixture(scope="module")
def family(documents: dict[str, Path]) -> Any:
    from policykg.ingest import document_graph

    return document_graph(documents["family"], now=NOW)


def _i(path: str) -> URIRef:
    return URIRef(BASE + path)


def _quote(g: Any, subject: URIRef) -> tuple[str, int, bool]:
    a = g.value(subject, PKG.anchor)
    return (str(g.value(URIRef(f"{a}/quote"), OA.exact)), int(g.value(a, PKG.page)),
            bool(g.value(a, PKG.pageEstimated).toPython()))


def test_nested_topics_and_every_determination(family: Any) -> None:
    g = family.graph
    rows = [(str(g.value(s, RDFS.label)), str(g.value(s, PKG.determination)).rsplit("#", 1)[-1])
            for s in family.statements]
    assert rows == [
        ("Knee Joint: Knee ultrasound in adults (\u2265 18 years) for ANY of the following", "MedicallyNecessary"),
        ("Knee Joint: Knee ultrasound for use during arthroscopic knee surgery", "MedicallyNecessary"),
        ("Knee Joint: Knee elastography for ANY indication", "ExperimentalInvestigationalUnproven"),
        ("Pediatric Knee: Knee ultrasound in children under 12 years of age for ANY of the following",
         "MedicallyNecessary"),
        ("Pediatric Knee: Knee ultrasound for ANY other indication", "NotMedicallyNecessary"),
    ]
    assert (_i("statement-5"), RDF.type, PKG.DefaultRule) in g
    assert list(g.objects(_i("statement-5"), PKG.otherThan)) == [_i("statement-4")]  # same topic only
    assert float(g.value(_i("statement-1/population"), PKG.ageAtLeastMonths)) == 216
    assert float(g.value(_i("statement-4/population"), PKG.ageBelowMonths)) == 144
    assert g.value(_i("statement-2"), PKG.requiresSetting) == PKG.Intraoperative


def test_page_footer_mid_sentence_and_exact_pages(family: Any, documents: dict[str, Path]) -> None:
    g = family.graph
    quote, page, estimated = _quote(g, _i("statement-2"))
    assert "Page 1 of 3" in quote and quote.endswith("arthroscopic knee surgery.") and (page, estimated) == (1, False)
    assert _quote(g, _i("statement-3"))[1:] == (2, False)
    assert all(not g.value(a, PKG.pageEstimated).toPython() for a in g.subjects(RDF.type, OA.SpecificResource))
    text = documents["family"].read_text(encoding="utf-8")
    for a in g.subjects(RDF.type, OA.SpecificResource):
        start, end = int(g.value(URIRef(f"{a}/position"), OA.start)), int(g.value(URIRef(f"{a}/position"), OA.end))
        assert text[start:end] == str(g.value(URIRef(f"{a}/quote"), OA.exact))


def test_split_word_repaired_but_quoted_as_printed(family: Any) -> None:
    g = family.graph
    ind = _i("statement-4/indication-1")
    assert str(g.value(ind, RDFS.label)) == "evaluation of joint effusion"
    assert _quote(g, ind)[0] == "evalu ation of joint effusion"


def test_hcpcs_cpt_and_icd_lists(family: Any) -> None:
    g = family.graph
    table = _i("table-1")
    procedures = {str(c).rsplit("/", 2)[-2] + "/" + str(c).rsplit("/", 1)[-1]
                  for lst in g.objects(table, PKG.procedureCodeList) for e in g.objects(lst, PKG.hasEntry)
                  for c in g.objects(e, PKG.includesCode)}
    assert procedures == {"cpt/76881", "hcpcs/G0500"}
    assert (URIRef("https://w3id.org/policykg/hcpcs/G0500"), RDF.type, PKG.HCPCSCode) in g
    dx = g.value(table, PKG.diagnosisCodeList)
    assert sorted(str(g.value(e, SKOS.notation)) for e in g.objects(dx, PKG.hasEntry)) == [
        "M25.461-M25.469", "M71.21", "M71.22", "M71.29"]
    assert sorted(str(c).rsplit("/", 1)[-1] for c in g.objects(dx, SKOS.member)) == [
        "M25.461", "M25.462", "M25.469", "M71.21", "M71.22", "M71.29"]  # M71.29 as printed: a finding
    assert {s.rsplit("/", 1)[-1] for s in map(str, g.objects(table, PKG.appliesToStatement))} == {
        "statement-1", "statement-2", "statement-4"}
    assert [str(s).rsplit("/", 1)[-1] for s in g.objects(_i("table-2"), PKG.appliesToStatement)] == ["statement-3"]


def test_code_findings(family: Any) -> None:
    found = {(f.kind, f.subject) for f in family.findings}
    assert found == {("title-mismatch", "M71.21"), ("unknown-code", "M71.29"), ("range-holes", "M25.461-M25.469")}
    holes = next(f for f in family.findings if f.kind == "range-holes")
    assert "6 code(s)" in holes.message and "M25.463" in holes.message


def test_references_citations_and_stances(family: Any) -> None:
    g = family.graph
    smith = _i("work/smith-2019")
    assert str(g.value(smith, RDFS.label)) == "Smith et al. 2019" and (smith, RDF.type, PKG.Study) in g
    assert str(g.value(smith, RDFS.seeAlso)) == "https://doi.org/10.1016/j.knee.2019.01.001"
    assert str(g.value(smith, DCTERMS.bibliographicCitation)).startswith("Smith JA, Doe B. Ultrasound-guided")
    cited = {}
    for c in g.subjects(RDF.type, CITO.Citation):
        work = str(g.value(c, CITO.hasCitedEntity)).rsplit("/", 1)[-1]
        cited[work] = (str(g.value(c, CITO.hasCitingEntity)).rsplit("/", 1)[-1],
                       str(g.value(c, PKG.stance)).rsplit("#", 1)[-1])
    assert cited == {"smith-2019": ("statement-1", "Supports"), "jones-2020": ("statement-1", "DoesNotSupport"),
                     "brown-2018": ("statement-3", "Supports")}


def test_ingest_dry_run_json(capsys: Any, ingest_store: Any, documents: dict[str, Path]) -> None:
    code = main(["ingest", "--store", str(ingest_store.root), "--dry-run", "-f", "json", str(documents["family"])])
    r = json.loads(capsys.readouterr().out)
    assert code == 0 and (r["mode"], r["dry_run"], r["written"]) == ("new-version", True, False)
    assert r["series"] == "https://w3id.org/policykg/id/cigna/cpg777" and r["revision_of"] is None
    assert r["counts"]["statements"] == 5 and r["counts"]["procedure_codes"] == 3
    assert sorted(r["kept_existing"]) == ["https://w3id.org/policykg/id/org/ash", "https://w3id.org/policykg/id/org/cigna"]
    assert any(f.startswith("unknown-code: M71.29") for f in r["findings"])
    assert not (ingest_store.root / "ingested" / "policy-cigna-cpg777-2025-03-01.nq").exists()


def _pdf(pages: list[list[str]], path: Path) -> Path:
    import fpdf  # a test dependency (pyproject [test])

    pdf = fpdf.FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_font("Helvetica", size=10)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


def test_ingest_a_pdf_dry_run(capsys: Any, ingest_store: Any, tmp_path: Path) -> None:
    text = FAMILY.replace("\u2265", ">=")  # the PDF core fonts have no \u2265
    lines = [line for line in text.splitlines() if not line.startswith(("Page ", "Knee Imaging (CPG"))]
    cut = lines.index("DESCRIPTION")
    pdf = _pdf([["Knee Imaging (CPG 777)", *lines[:cut]], ["Knee Imaging (CPG 777)", *lines[cut:]]],
               tmp_path / "knee.pdf")
    code = main(["ingest", "--store", str(ingest_store.root), "--dry-run", "-f", "json", str(pdf)])
    out, err = capsys.readouterr()
    r = json.loads(out)
    assert code == 0, err
    assert (r["file"], r["counts"]["statements"], r["counts"]["citations"]) == ("knee.pdf", 5, 3)


@pytest.mark.parametrize(("name", "fragment"), [
    ("other", "not a coverage-policy document; not found: a title line with a policy number"),
    ("empty", "the file is empty"),
    ("undated", "no 'Effective Date:' line found"),
    ("scan", "no extractable text"),
    ("folder", "not a regular file"),
    ("missing", "no such file"),
])
def test_refused_documents_are_one_line_and_add_nothing(capsys: Any, ingest_store: Any, tmp_path: Path,
                                                        documents: dict[str, Path], name: str, fragment: str) -> None:
    import fpdf

    paths = {"other": documents["other"], "empty": documents["empty"], "folder": tmp_path,
             "missing": tmp_path / "missing.txt", "undated": tmp_path / "undated.txt", "scan": tmp_path / "scan.pdf"}
    paths["undated"].write_text(FAMILY.replace("Effective Date: 3/1/2025\n", ""), encoding="utf-8")
    scan = fpdf.FPDF()
    scan.add_page()
    scan.rect(20, 20, 100, 50, style="F")
    paths["scan"].write_bytes(bytes(scan.output()))
    before = sorted(p.name for p in (ingest_store.root / "ingested").iterdir())
    code = main(["ingest", "--store", str(ingest_store.root), str(paths[name])])
    out, err = capsys.readouterr()
    assert code == 3 and out == "" and fragment in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in (ingest_store.root / "ingested").iterdir()) == before
