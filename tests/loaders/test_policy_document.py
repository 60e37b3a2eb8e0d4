"""Parser tests: the real CPG 038 text (ground truth), synthetic family documents, a PDF, bad input."""

from __future__ import annotations

import random
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from policykg.loaders.policy_document import (
    CitationForm,
    CodeSystem,
    Comparator,
    Determination,
    EmptyDocument,
    NotAPolicyDocument,
    NoTextLayer,
    PageLayout,
    PageStatus,
    PolicyDocument,
    PolicyDocumentError,
    RowKind,
    SettingKind,
    load_policy,
    parse_policy_text,
)

CPG038 = Path(__file__).resolve().parents[2] / ".." / "shared" / "policies" / "cigna-cpg038-spinal-ultrasound.txt"


def squash(text: str) -> str:
    """Letters and digits only: compares a normalised text with the original span it was read from."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text))


def assert_provenance(doc: PolicyDocument) -> int:
    """Every item: quote is the original span, and (when the item has text) the same words as the span."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(doc.furniture_spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    count = 0
    for what, text, prov in doc.provenances():
        count += 1
        assert 0 <= prov.start <= prov.end <= len(doc.source.text), what
        assert doc.source.text[prov.start : prov.end] == prov.quote, what
        if text is not None:
            kept = prov.quote
            for a, b in reversed(merged):  # drop the page furniture the parser removed
                if a < prov.end and prov.start < b:
                    lo, hi = max(a, prov.start) - prov.start, min(b, prov.end) - prov.start
                    kept = kept[:lo] + kept[hi:]
            assert squash(text) == squash(kept), (what, text, prov.quote)
        if prov.page is not None:
            assert prov.page_status is PageStatus.EXACT
    return count


# --- CPG 038 ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cpg038() -> PolicyDocument:
    assert CPG038.is_file(), f"the shared policy text is missing: {CPG038}"
    return load_policy(CPG038)


def test_cpg038_metadata(cpg038: PolicyDocument) -> None:
    meta = cpg038.metadata
    assert (meta.title, meta.policy_number, meta.page_count) == ("Spinal Ultrasound", "CPG 038", 11)
    assert meta.publisher == "Cigna Medical Coverage Policy- Therapy Services"
    assert meta.effective_date.isoformat() == "2024-09-15"
    assert meta.next_review_date.isoformat() == "2025-09-15"
    assert meta.provenance_of("title").page == 1
    assert meta.provenance_of("effective_date").quote == "Effective Date: 9/15/2024"
    assert len(cpg038.source.sha256) == 64


def test_cpg038_pages_are_lower_bounds_after_the_only_marker(cpg038: PolicyDocument) -> None:
    assert cpg038.page_layout is PageLayout.HEADER and not cpg038.pages_complete
    statement = cpg038.statements[0].lead_provenance
    assert (statement.page, statement.min_page, statement.page_status) == (None, 1, PageStatus.AT_LEAST)
    assert any("page markers incomplete" in w for w in cpg038.warnings)


def test_cpg038_sections(cpg038: PolicyDocument) -> None:
    paths = [s.path for s in cpg038.iter_sections()]
    assert paths == [
        ("INSTRUCTIONS FOR USE",),
        ("GUIDELINES",),
        ("GUIDELINES", "Medically Necessary"),
        ("GUIDELINES", "Not Medically Necessary"),
        ("DESCRIPTION",),
        ("GENERAL BACKGROUND",),
        ("GENERAL BACKGROUND", "Intraoperative Use"),
        ("GENERAL BACKGROUND", "Use in Newborns and Infants"),
        ("GENERAL BACKGROUND", "Diagnostic Ultrasound for the Spine"),
        ("LITERATURE REVIEW",),
        ("LITERATURE REVIEW", "Intraoperative Use"),
        ("LITERATURE REVIEW", "Use in Newborns and Infants"),
        ("LITERATURE REVIEW", "Diagnosis of Spinal Conditions"),
        ("Coding Information",),
    ]
    review = cpg038.section("LITERATURE REVIEW")
    assert review is not None and all(review.start <= c.start < c.end <= review.end for c in review.children)


def test_cpg038_statements(cpg038: PolicyDocument) -> None:
    infant, intraoperative, default = cpg038.statements
    assert len(cpg038.statements) == 3
    assert infant.determination is Determination.MEDICALLY_NECESSARY
    assert infant.quantifier == "ANY" and not infant.is_default
    assert infant.populations == ("newborns", "infants")
    (bound,) = infant.age_bounds
    assert (bound.lower_months, bound.upper_months, bound.upper_inclusive) == (None, Decimal(24), False)
    assert bound.provenance.quote == "<2 \nyears of age"
    assert [c.indication for c in infant.criteria] == [
        "detection of sequelae of injury",
        "evaluation and diagnosis of suspected spinal cord tumors, vascular malformations and birth-related trauma",
        "evaluation of caudal regression syndrome",
        "evaluation of lumbosacral stigmata known to be associated with spinal dysraphism",
        "evaluation of suspected defects",
        "guidance for lumbar puncture",
        "post-operative assessment for cord retethering",
        "visualization of fluid with characteristics of blood products within the spinal canal in neonates and "
        "infants with intra-cranial hemorrhage",
    ]
    assert [[e.text for e in c.examples] for c in infant.criteria] == [
        ["hematoma after birth injury", "infection or hemorrhage", "post-traumatic leakage of cerebral spinal fluid"],
        [],
        ["anal atresia or stenosis", "sacral agenesis"],
        ["atypical deep sacral dimple > 5 mm in diameter within > 2.5 cm of the anus"],
        ["cord tethering", "diastematomyelia", "hydromyelia", "syringomyelia"],
        [],
        [],
        [],
    ]
    assert intraoperative.determination is Determination.MEDICALLY_NECESSARY
    assert intraoperative.criteria == () and intraoperative.quantifier is None
    assert intraoperative.lead_provenance.quote.startswith("Spinal and/or paraspinal ultrasound")
    assert [(s.kind, s.phrase) for s in intraoperative.settings] == [
        (SettingKind.INTRAOPERATIVE, "during spinal or paraspinal surgery")
    ]
    assert default.determination is Determination.NOT_MEDICALLY_NECESSARY
    assert default.is_default and default.quantifier is None
    assert [c.indication for c in default.criteria] == [
        "evaluation of neuromusculoskeletal conditions",
        "diagnosis and management of spinal pain and radiculopathy",
        "guidance of the rehabilitation of neuromusculoskeletal disorders and back pain",
    ]
    assert len(default.criteria[0].examples) == 6


def test_cpg038_sacral_dimple_thresholds(cpg038: PolicyDocument) -> None:
    quantities = [q for s in cpg038.statements for c in s.criteria for q in c.quantities]
    assert [(q.quantity, q.comparator, q.value, q.unit) for q in quantities] == [
        ("diameter", Comparator.GT, Decimal(5), "mm"),
        ("distance from the anus", Comparator.GT, Decimal("2.5"), "cm"),
    ]
    assert [q.provenance.quote for q in quantities] == ["> 5 mm in diameter", "within > 2.5 cm of the anus"]


ICD_SINGLES = [
    "C70.1",
    "C72.0",
    "C72.1",
    "D32.1",
    "D33.4",
    "D48.0",
    "G95.0",
    "G96.08",
    "G96.09",
    "G97.51",
    "G97.61",
    "G97.63",
    "P10.0",
    "P10.1",
    "P10.2",
    "P10.3",
    "P10.8",
    "P10.9",
    "P11.5",
    "P52.0",
    "P52.1",
    "P52.21",
    "P52.22",
    "P52.3",
    "P52.4",
    "P52.5",
    "P52.6",
    "P52.8",
    "P52.9",
    "Q42.2",
    "Q42.3",
    "Q76.49",
]


def test_cpg038_code_tables(cpg038: PolicyDocument) -> None:
    tables = [(t.determination, t.title, t.system, [r.code for r in t.rows]) for t in cpg038.code_tables]
    mn, nmn = Determination.MEDICALLY_NECESSARY, Determination.NOT_MEDICALLY_NECESSARY
    assert tables[0] == (mn, "Spinal Ultrasound", CodeSystem.CPT, ["76800"])
    assert tables[2] == (nmn, "Spinal Ultrasound", CodeSystem.ICD_10_CM, [None])
    assert tables[3] == (mn, "Lumbar Puncture", CodeSystem.CPT, ["62270", "76942"])
    assert len(tables) == 4
    icd = cpg038.code_tables[1]
    assert (icd.determination, icd.system, len(icd.rows)) == (mn, CodeSystem.ICD_10_CM, 35)
    assert [r.start for r in icd.rows if r.kind is RowKind.SINGLE] == ICD_SINGLES
    ranges = {(r.start, r.end): r.description for r in icd.rows if r.kind is RowKind.RANGE}
    assert ranges == {
        ("Q05.0", "Q05.9"): "Spina bifida",
        ("Q06.0", "Q06.9"): "Other congenital malformations of spinal cord",
        ("Q07.00", "Q07.03"): "Arnold-Chiari syndrome",
    }
    by_code = {r.code: r.description for r in icd.rows}
    assert by_code["G97.51"] == (
        "Postprocedural hemorrhage of a nervous system organ or structure following a nervous system procedure"
    )
    assert by_code["D48.0"] == "Neoplasm of uncertain behavior of bone and articular cartilage"
    assert cpg038.code_tables[3].rows[1].description.endswith("device), imaging supervision and interpretation")
    assert cpg038.code_tables[2].rows[0].kind is RowKind.ALL_OTHER
    assert cpg038.code_tables[2].title_inherited and not cpg038.code_tables[0].title_inherited
    assert len(cpg038.coding_notes) == 2 and "Current Procedural Terminology" in cpg038.footnotes[0].text


CPG038_WORKS = {
    "hara:2001",
    "regelsberger:2005",
    "maiuri:2000",
    "wang:2003",
    "lacopino:2003",
    "unsgaard:2006",
    "mihara:2007",
    "tsui:2010",
    "nojiri:2019",
    "tat:2022",
    "hughes:2003",
    "acr:2007:practice-guideline-performance-ultrasound-examination-neonatal",
    "rees:2021",
    "gajagowni:2024",
    "mckee-garrett:2021",
    "acr:2021",
    "pate:2003",
    "howie:1983",
    "merx:1989",
    "aca:1996:diagnostic-ultrasound-adult-spine",
    "nazarian:1998",
    "chou:2007",
    "chou:2008",
    "aium:2019:nonoperative-spinal-paraspinal-ultrasound-adults",
    "heidari:2015",
    "ranger:2017",
    "aan:1998",
    "acr:1998",
    "todorov:2018",
    "ahmed:2018",
    "acr:2021:appropriateness-criteria",
}


def test_cpg038_works(cpg038: PolicyDocument) -> None:
    assert {w.key for w in cpg038.works} == CPG038_WORKS
    assert len(cpg038.works) == 31 and len(cpg038.citations) == 33
    neonatal = cpg038.work("acr:2007:practice-guideline-performance-ultrasound-examination-neonatal")
    assert neonatal is not None
    assert neonatal.years == (2007, 2016, 2022) and neonatal.collaborators == ("AIUM", "SPR", "SRU")
    assert len(neonatal.citation_indices) == 2  # the guideline sentence and "(ACR, 2007; 2016)"
    assert cpg038.work("aan:1998").years == (1998, 2016)
    assert cpg038.work("mckee-garrett:2021").citation_indices == (0, 1)


def test_cpg038_citation_details(cpg038: PolicyDocument) -> None:
    by_key = {c.work_key: c for c in cpg038.citations}
    hughes = by_key["hughes:2003"]
    assert (hughes.author, hughes.et_al, hughes.form) == ("Hughes", True, CitationForm.PARENTHETICAL)
    assert hughes.provenance.section_path == ("LITERATURE REVIEW", "Use in Newborns and Infants")
    assert hughes.sentence.startswith("A retrospective study evaluated the role of spinal ultrasound")
    assert hughes.sentence.endswith("(Hughes, et al., 2003).")
    pate = by_key["pate:2003"]
    assert (pate.form, pate.et_al, pate.provenance.quote) == (CitationForm.NARRATIVE, False, "Pate (2003)")
    acr = by_key["acr:2021"]
    assert (acr.author, acr.acronym, acr.is_organisation) == ("American College of Radiology", "ACR", True)
    aca = by_key["aca:1996:diagnostic-ultrasound-adult-spine"]
    assert aca.form is CitationForm.IN_TEXT and aca.title_hint == "Diagnostic Ultrasound of the Adult Spine"
    criteria = by_key["acr:2021:appropriateness-criteria"]
    assert criteria.form is CitationForm.YEAR_ONLY and criteria.sentence.startswith("In the ACR Appropriateness")
    tsui = by_key["tsui:2010"]
    assert tsui.sentence == "for guiding regional anesthesia in infants and children (Tsui, et al., 2010)"
    assert cpg038.references == ()


def test_cpg038_every_provenance_points_into_the_original(cpg038: PolicyDocument) -> None:
    assert assert_provenance(cpg038) > 150


# --- synthetic family documents ------------------------------------------------------------------------

SYNTHETIC = """
Lumbar Imaging (CPG 999)
Page 1 of 5

Cigna Medical Coverage Policy- Therapy Services
Lumbar Imaging

Effective Date: 1/2/2025

Next Review Date: 1/2/2026

INSTRUCTIONS FOR USE

Cigna / ASH Medical Coverage Policies are intended to provide guidance.

GUIDELINES

Lumbar Spine
Medically Necessary
Lumbar ultrasound is considered medically necessary in adults (\u2265 18 years) for ALL of the
following:

\u2022 evaluation of paraspinal cysts (e.g., cysts > 3 cm in diameter, synovial or ganglion cysts, and
fluid collections)
\u2022 guidance for facet injection
Lumbar ultrasound is considered medically necessary for
\u00a0
Page 2 of 5
Lumbar Imaging (CPG 999)
\u00a0
use during spinal or paraspinal surgery.

Experimental, Investigational, Unproven
Lumbar elastography is considered experimental, investigational or unproven for ANY indication.

Cervical Spine
Medically Necessary
Cervical ultrasound is considered medically necessary in infants under 6 months of age for ANY of
the following indications:
\u2022 evalu ation of congenital muscular torticollis (e.g., sternocleidomastoid mass)
\u2022 evaluation of neck masses in children age 2 and older
Not Covered or Reimbursable
Home ultrasound devices for cervical self-monitoring are not covered or reimbursable.

Page 3 of 5
Lumbar Imaging (CPG 999)

DESCRIPTION

This guideline addresses lumbar and cervical imaging.

GENERAL BACKGROUND

Evidence
Smith et al. (2019) evaluated lumbar ultrasound in 40 adults. Ultrasound was accurate for cysts (Jones, 2020;
Brown, et al., 2018). The American Society of Spine Radiology (ASSR) Position Statement on Spinal
Ultrasound (2017) does not support elastography.

Page 4 of 5
Lumbar Imaging (CPG 999)

Coding Information

Considered Medically Necessary when criteria in the applicable policy statements listed above are met:

Lumbar Ultrasound

HCPCS
Codes

Description

E1399 Durable medical equipment,
miscellaneous
Considered Experimental/Investigational/Unproven:

CPT\u00ae*
Codes

Description

76981 Ultrasound, elastography; parenchyma (eg, organ)

*Current Procedural Terminology (CPT\u00ae) \u00a92024 American Medical Association: Chicago, IL.

Page 5 of 5
Lumbar Imaging (CPG 999)

References

1. Smith JA, Doe B. Ultrasound of the lumbar spine. Spine J. 2019;19(3):45-67.
doi:10.1016/j.spinee.2019.01.001
2. Jones C. Sonography of lumbar cysts. Radiology. 2020;295:1-9. doi:10.1148/radiol.2020191234
3. Brown D, White E, Green F. Lumbar ultrasound accuracy. J Ultrasound. 2018;5:10-20.
"""


@pytest.fixture(scope="module")
def synthetic() -> PolicyDocument:
    return parse_policy_text(SYNTHETIC, name="synthetic.txt")


def test_synthetic_nested_determination_headings(synthetic: PolicyDocument) -> None:
    guideline_paths = [s.path for s in synthetic.iter_sections() if s.path[0] == "GUIDELINES"]
    assert guideline_paths == [
        ("GUIDELINES",),
        ("GUIDELINES", "Lumbar Spine"),
        ("GUIDELINES", "Lumbar Spine", "Medically Necessary"),
        ("GUIDELINES", "Lumbar Spine", "Experimental, Investigational, Unproven"),
        ("GUIDELINES", "Cervical Spine"),
        ("GUIDELINES", "Cervical Spine", "Medically Necessary"),
        ("GUIDELINES", "Cervical Spine", "Not Covered or Reimbursable"),
    ]
    summary = [(s.determination, s.topic_path, len(s.criteria)) for s in synthetic.statements]
    assert summary == [
        (Determination.MEDICALLY_NECESSARY, ("Lumbar Spine",), 2),
        (Determination.MEDICALLY_NECESSARY, ("Lumbar Spine",), 0),
        (Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN, ("Lumbar Spine",), 0),
        (Determination.MEDICALLY_NECESSARY, ("Cervical Spine",), 2),
        (Determination.NOT_COVERED, ("Cervical Spine",), 0),
    ]


def test_synthetic_statement_details(synthetic: PolicyDocument) -> None:
    adults, _, _, infants, _ = synthetic.statements
    assert adults.quantifier == "ALL"
    (adult_age,) = adults.age_bounds
    assert (adult_age.lower_months, adult_age.lower_inclusive, adult_age.upper_months) == (Decimal(216), True, None)
    (infant_age,) = infants.age_bounds
    assert (infant_age.upper_months, infant_age.upper_inclusive, infant_age.phrase) == (
        Decimal(6),
        False,
        "under 6 months of age",
    )
    cysts = adults.criteria[0]
    assert [e.text for e in cysts.examples] == [
        "cysts > 3 cm in diameter",
        "synovial or ganglion cysts",
        "fluid collections",
    ]
    assert [(q.quantity, q.comparator, q.value, q.unit) for q in cysts.quantities] == [
        ("diameter", Comparator.GT, Decimal(3), "cm")
    ]


def test_page_footer_mid_sentence_is_removed_and_offsets_still_point_into_the_original(
    synthetic: PolicyDocument,
) -> None:
    lone = synthetic.statements[1]
    assert (
        lone.lead == "Lumbar ultrasound is considered medically necessary for use during spinal or paraspinal surgery."
    )
    quote = lone.lead_provenance.quote
    assert "Page 2 of 5" in quote and "Lumbar Imaging (CPG 999)" in quote
    assert synthetic.source.text[lone.lead_provenance.start : lone.lead_provenance.end] == quote
    assert [s.kind for s in lone.settings] == [SettingKind.INTRAOPERATIVE]
    assert lone.lead_provenance.page == 1 and synthetic.statements[2].lead_provenance.page == 2


def test_synthetic_pages_are_exact_when_every_marker_is_present(synthetic: PolicyDocument) -> None:
    assert synthetic.pages_complete and synthetic.page_layout is PageLayout.HEADER
    assert synthetic.section("DESCRIPTION").heading.page == 3
    assert synthetic.citations[0].provenance.page == 3
    assert synthetic.code_tables[0].provenance.page == 4
    assert [e.provenance.page for e in synthetic.references] == [5, 5, 5]
    assert synthetic.metadata.page_count == 5 and synthetic.metadata.effective_date.isoformat() == "2025-01-02"


def test_split_word_is_repaired(synthetic: PolicyDocument) -> None:
    assert [(r.left, r.right) for r in synthetic.word_repairs] == [("evalu", "ation")]
    first = synthetic.statements[3].criteria[0]
    assert first.indication == "evaluation of congenital muscular torticollis"
    assert first.provenance.quote.startswith("evalu ation")


def test_synthetic_code_tables(synthetic: PolicyDocument) -> None:
    hcpcs, cpt = synthetic.code_tables
    assert (hcpcs.determination, hcpcs.title, hcpcs.system) == (
        Determination.MEDICALLY_NECESSARY,
        "Lumbar Ultrasound",
        CodeSystem.HCPCS,
    )
    assert [(r.code, r.description) for r in hcpcs.rows] == [("E1399", "Durable medical equipment, miscellaneous")]
    assert cpt.determination is Determination.EXPERIMENTAL_INVESTIGATIONAL_UNPROVEN
    assert cpt.title_inherited and [r.code for r in cpt.rows] == ["76981"]


def test_synthetic_references_link_to_citations(synthetic: PolicyDocument) -> None:
    assert {w.key for w in synthetic.works} == {
        "smith:2019",
        "jones:2020",
        "brown:2018",
        "assr:2017:position-statement-spinal-ultrasound",
    }
    refs = {e.number: e for e in synthetic.references}
    assert refs[1].doi == "10.1016/j.spinee.2019.01.001" and refs[1].title == "Ultrasound of the lumbar spine"
    assert refs[1].authors == ("Smith JA", "Doe B") and refs[1].year == 2019
    assert [(n, e.work_keys) for n, e in refs.items()] == [
        (1, ("smith:2019",)),
        (2, ("jones:2020",)),
        (3, ("brown:2018",)),
    ]
    assert refs[3].doi is None
    cited = synthetic.citations[refs[2].citation_indices[0]]
    assert cited.provenance.quote == "Jones, 2020"
    assert synthetic.work("brown:2018").reference_numbers == (3,)
    assert synthetic.work("assr:2017:position-statement-spinal-ultrasound").reference_numbers == ()


def test_synthetic_every_provenance_points_into_the_original(synthetic: PolicyDocument) -> None:
    assert assert_provenance(synthetic) > 40


def test_crlf_soft_hyphen_and_nbsp_do_not_change_what_is_extracted() -> None:
    messy = SYNTHETIC.replace("\n", "\r\n").replace("paraspinal cysts", "para\u00adspinal\u00a0 cysts")
    doc = parse_policy_text(messy)
    assert doc.statements[0].criteria[0].indication == "evaluation of paraspinal cysts"
    assert len(doc.statements) == 5 and len(doc.code_tables) == 2
    assert_provenance(doc)


# --- PDF ---------------------------------------------------------------------------------------------


def _pdf(pages: list[list[str]], path: Path) -> Path:
    import fpdf  # a test dependency (pyproject [test])
    pdf = fpdf.FPDF()
    pdf.core_fonts_encoding = "windows-1252"  # core fonts then include the bullet character
    pdf.set_font("Helvetica", size=10)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


def test_pdf_through_pypdf(tmp_path: Path) -> None:
    header = ["Lumbar Imaging (CPG 999)"]
    page1 = [
        *header,
        "Page 1 of 2",
        "Cigna Medical Coverage Policy- Therapy Services",
        "Effective Date: 3/4/2025",
        "GUIDELINES",
        "Medically Necessary",
        "Lumbar ultrasound is considered medically necessary for ANY of the following:",
        "\u2022 evaluation of paraspinal cysts (e.g., synovial cysts, ganglion cysts)",
        "Lumbar ultrasound is considered medically necessary for",
    ]
    page2 = [
        *header,
        "Page 2 of 2",
        "use during spinal surgery.",
        "Not Medically Necessary",
        "Lumbar ultrasound is considered not medically necessary for ANY other indication.",
        "DESCRIPTION",
        "Ultrasound of the lumbar spine has been studied (Smith, et al., 2019).",
    ]
    doc = load_policy(_pdf([page1, page2], tmp_path / "policy.pdf"))
    assert doc.source.media_type == "application/pdf" and len(doc.source.pages) == 2
    assert doc.page_layout is PageLayout.PDF and doc.pages_complete
    first, lone, default = doc.statements
    assert [e.text for e in first.criteria[0].examples] == ["synovial cysts", "ganglion cysts"]
    assert lone.lead == "Lumbar ultrasound is considered medically necessary for use during spinal surgery."
    assert (lone.lead_provenance.page, default.lead_provenance.page) == (1, 2)
    assert default.determination is Determination.NOT_MEDICALLY_NECESSARY and default.is_default
    assert [(c.work_key, c.provenance.page) for c in doc.citations] == [("smith:2019", 2)]
    assert doc.metadata.effective_date.isoformat() == "2025-03-04"
    assert_provenance(doc)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    import fpdf  # a test dependency (pyproject [test])
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    path = tmp_path / "scan.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(NoTextLayer, match="no extractable text"):
        load_policy(path)


# --- refusals and robustness -------------------------------------------------------------------------


def test_other_layout_is_refused_with_what_is_missing() -> None:
    other = "Clinical Policy Bulletin\nNumber: 0123\n\nPolicy\nThe plan considers lumbar ultrasound experimental.\n"
    with pytest.raises(NotAPolicyDocument) as info:
        parse_policy_text(other)
    assert len(info.value.missing) == 3
    message = str(info.value)
    assert "title line with a policy number" in message and "GUIDELINES" in message
    assert "determination heading" in message


def test_missing_determination_headings_only() -> None:
    text = SYNTHETIC.replace("Medically Necessary\n", "").replace("Experimental, Investigational, Unproven\n", "")
    text = text.replace("Not Covered or Reimbursable\n", "")
    with pytest.raises(NotAPolicyDocument) as info:
        parse_policy_text(text)
    assert len(info.value.missing) == 1 and "determination heading" in info.value.missing[0]


def test_empty_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(EmptyDocument):
        load_policy(empty)
    with pytest.raises(EmptyDocument):
        parse_policy_text(" \n\t\n")
    assert issubclass(EmptyDocument, PolicyDocumentError) and issubclass(PolicyDocumentError, ValueError)


@pytest.mark.parametrize("seed", range(3))
def test_mutated_documents_fail_only_with_policy_errors(seed: int) -> None:
    base = SYNTHETIC if not CPG038.is_file() else CPG038.read_text(encoding="utf-8")
    rng = random.Random(20240915 + seed)
    parsed = refused = 0
    for _ in range(25):
        lines = base.split("\n")
        for _ in range(rng.randint(1, 6)):
            k = rng.randrange(len(lines))
            action = rng.choice(["delete", "duplicate", "swap", "halve", "marker"])
            if action == "delete" and len(lines) > 1:
                del lines[k]
            elif action == "duplicate":
                lines.insert(k, lines[k])
            elif action == "swap" and k + 1 < len(lines):
                lines[k], lines[k + 1] = lines[k + 1], lines[k]
            elif action == "halve":
                lines[k] = lines[k][: len(lines[k]) // 2]
            else:
                lines.insert(k, f"Page {rng.randint(1, 12)} of 11")
        try:
            doc = parse_policy_text("\n".join(lines))
        except PolicyDocumentError:
            refused += 1
            continue
        parsed += 1
        assert_provenance(doc)
    assert parsed + refused == 25 and parsed > 0


# --- small family documents for single features ----------------------------------------------------------


def family(*guidelines: str, literature: str = "") -> PolicyDocument:
    """A minimal document of the family: title, one page marker, GUIDELINES, optional LITERATURE REVIEW."""
    text = "Knee Imaging (CPG 100)\nPage 1 of 1\n\nGUIDELINES\n\nMedically Necessary\n" + "\n".join(guidelines)
    if literature:
        text += "\n\nLITERATURE REVIEW\n\n" + literature
    return parse_policy_text(text + "\n")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("in individuals \u2265 18 years", (Decimal(216), True, None, False)),
        ("in infants under 6 months", (None, False, Decimal(6), False)),
        ("in children age 2 and older", (Decimal(24), True, None, False)),
        ("in patients 18 years of age or older", (Decimal(216), True, None, False)),
        ("in children ages 6-17 years", (Decimal(72), True, Decimal(204), True)),
        ("in infants up to six months of age", (None, False, Decimal(6), True)),
    ],
)
def test_age_bounds(phrase: str, expected: tuple[object, ...]) -> None:
    (statement,) = family(f"Knee ultrasound is considered medically necessary {phrase}.").statements
    (bound,) = statement.age_bounds
    assert (bound.lower_months, bound.lower_inclusive, bound.upper_months, bound.upper_inclusive) == expected
    assert bound.provenance.quote in phrase


def test_durations_are_not_ages() -> None:
    (statement,) = family(
        "Knee ultrasound is considered medically necessary for up to 12 months after surgery."
    ).statements
    assert statement.age_bounds == () and [s.kind for s in statement.settings] == [SettingKind.POSTOPERATIVE]


def test_paragraph_after_criteria_is_a_note_of_the_statement() -> None:
    doc = family(
        "Knee ultrasound is considered medically necessary for EITHER of the following:",
        "\u2022 effusion \u2265 10 mm",
        "\u2022 popliteal cyst",
        "Note: Repeat imaging requires new findings.",
    )
    (statement,) = doc.statements
    assert statement.quantifier == "EITHER" and len(statement.criteria) == 2
    assert [n.text for n in statement.notes] == ["Note: Repeat imaging requires new findings."]
    (quantity,) = statement.criteria[0].quantities
    assert (quantity.quantity, quantity.comparator, quantity.value, quantity.unit) == (
        "effusion",
        Comparator.GE,
        Decimal(10),
        "mm",
    )
    assert_provenance(doc)


def test_citation_forms_and_non_citations() -> None:
    doc = family(
        "Knee ultrasound is considered medically necessary for effusion.",
        literature=(
            "Smith and Jones (2010) compared probes. A later trial agreed (see Brown, 2012). Data from\n"
            "registries (e.g., 2015 cohorts) and sizes (i.e., 2 cm) are not citations. The Radiology\n"
            "Society of Europe (RSE) Consensus Statement on Knee Imaging (2016; 2019) was cited by Lee (2020)."
        ),
    )
    cited = [(c.work_key, c.form, c.et_al) for c in doc.citations]
    assert cited == [
        ("smith:2010", CitationForm.NARRATIVE, False),
        ("brown:2012", CitationForm.PARENTHETICAL, False),
        ("rse:2016:consensus-statement-knee-imaging", CitationForm.YEAR_ONLY, False),
        ("lee:2020", CitationForm.NARRATIVE, False),
    ]
    assert doc.citations[2].years == (2016, 2019) and doc.citations[2].author == "Radiology Society of Europe"
    assert doc.citations[0].provenance.section_path == ("LITERATURE REVIEW",)
    assert_provenance(doc)
