"""Write ontology/policies/cigna-cpg038-2024-09-15-evidence.ttl from the table below.

A maintainer's tool, not shipped: the table is the reviewed source of CPG 038's citations
(works, the statement each is cited for, the stance, and the policy's own sentence about it).
Run it after editing the table; the Turtle it writes is committed and reviewed like any data file.
"""

from __future__ import annotations

from pathlib import Path

# key, class, label, creators (org keys or "Surname"), first year, later years, reaffirmed, et al., title
WORKS = [
    ("hara-2001", "Study", "Hara et al. 2001", ["Hara"], 2001, [], [], True, None),
    ("regelsberger-2005", "Study", "Regelsberger et al. 2005", ["Regelsberger"], 2005, [], [], True, None),
    ("maiuri-2000", "Study", "Maiuri et al. 2000", ["Maiuri"], 2000, [], [], True, None),
    ("wang-2003", "Study", "Wang et al. 2003", ["Wang"], 2003, [], [], True, None),
    ("lacopino-2003", "Study", "Lacopino et al. 2003", ["Lacopino"], 2003, [], [], True, None),
    ("unsgaard-2006", "Study", "Unsgaard et al. 2006", ["Unsgaard"], 2006, [], [], True, None),
    ("mihara-2007", "Study", "Mihara et al. 2007", ["Mihara"], 2007, [], [], True, None),
    ("tsui-2010", "Study", "Tsui et al. 2010", ["Tsui"], 2010, [], [], True, None),
    ("nojiri-2019", "Study", "Nojiri et al. 2019", ["Nojiri"], 2019, [], [], True, None),
    ("tat-2022", "Review", "Tat et al. 2022", ["Tat"], 2022, [], [], True, None),
    ("hughes-2003", "Study", "Hughes et al. 2003", ["Hughes"], 2003, [], [], True, None),
    ("acr-neonatal-spine-2007", "ClinicalPracticeGuideline", "ACR 2007; 2016; 2022",
     ["acr", "aium", "spr", "sru"], 2007, [2016, 2022], [], False,
     "Practice Guideline for the Performance of an Ultrasound Examination of the Neonatal Spine"),
    ("rees-2021", "Review", "Rees et al. 2021", ["Rees"], 2021, [], [], True, None),
    ("gajagowni-2024", "Study", "Gajagowni et al. 2024", ["Gajagowni"], 2024, [], [], True, None),
    ("mckee-garrett-2021", "ReferenceWork", "McKee-Garrett 2021", ["McKee-Garrett"], 2021, [], [], False, None),
    ("acr-2021", "AppropriatenessCriteria", "ACR 2021", ["acr"], 2021, [], [], False, None),
    ("pate-2003", "ReferenceWork", "Pate 2003", ["Pate"], 2003, [], [], False, None),
    ("howie-1983", "Study", "Howie et al. 1983", ["Howie"], 1983, [], [], True, None),
    ("merx-1989", "Study", "Merx et al. 1989", ["Merx"], 1989, [], [], True, None),
    ("aca-1996", "PositionStatement", "ACA 1996", ["aca"], 1996, [], [], False,
     "Diagnostic Ultrasound of the Adult Spine"),
    ("nazarian-1998", "Study", "Nazarian et al. 1998", ["Nazarian"], 1998, [], [], True, None),
    ("chou-2007", "ClinicalPracticeGuideline", "Chou et al. 2007", ["Chou", "acp", "aps"], 2007, [], [], True,
     "Diagnosis and treatment of low back pain: a joint clinical practice guideline from the ACP and the APS"),
    ("chou-2008", "ClinicalPracticeGuideline", "Chou et al. 2008", ["Chou", "acp", "aps"], 2008, [], [], True, None),
    ("aium-2019", "PositionStatement", "AIUM 2019", ["aium"], 2019, [], [], False,
     "Nonoperative Spinal/Paraspinal Ultrasound in Adults"),
    ("heidari-2015", "Review", "Heidari et al. 2015", ["Heidari"], 2015, [], [], True, None),
    ("ranger-2017", "Review", "Ranger et al. 2017", ["Ranger"], 2017, [], [], True, None),
    ("aan-1998", "PositionStatement", "AAN 1998 (reaffirmed 2016)", ["aan"], 1998, [], [2016], False,
     "Assessment: spinal ultrasound (Therapeutics and Technology Assessment Subcommittee)"),
    ("acr-1998", "PositionStatement", "ACR 1998", ["acr"], 1998, [], [], False,
     "Adopted statement on spinal ultrasound (included in the AAN 1998 document)"),
    ("todorov-2018", "Review", "Todorov et al. 2018", ["Todorov"], 2018, [], [], True, None),
    ("ahmed-2018", "Review", "Ahmed et al. 2018", ["Ahmed"], 2018, [], [], True, None),
    ("acr-ac-inflammatory-back-pain-2021", "AppropriatenessCriteria", "ACR Appropriateness Criteria 2021", ["acr"],
     2021, [], [], False, "ACR Appropriateness Criteria: Inflammatory Back Pain: Known or Suspected Axial "
     "Spondyloarthritis"),
]

ORGS = {
    "acr": ("American College of Radiology", "ACR"),
    "aium": ("American Institute of Ultrasound in Medicine", "AIUM"),
    "spr": ("Society for Pediatric Radiology", "SPR"),
    "sru": ("Society of Radiologists in Ultrasound", "SRU"),
    "aan": ("American Academy of Neurology", "AAN"),
    "acp": ("American College of Physicians", "ACP"),
    "aps": ("American Pain Society", "APS"),
    "aca": ("American Chiropractic Association", "ACA"),
}

IO = "statement-intraoperative"
INF = "statement-infant"
NMN = "statement-other-indications"
S_IO = "LITERATURE REVIEW > Intraoperative Use"
S_INF = "LITERATURE REVIEW > Use in Newborns and Infants"
S_DX = "LITERATURE REVIEW > Diagnosis of Spinal Conditions"
S_BG_INF = "GENERAL BACKGROUND > Use in Newborns and Infants"
S_BG_DUS = "GENERAL BACKGROUND > Diagnostic Ultrasound for the Spine"

# work, citing statement, stance, section, the policy's sentence about it (one line of the text)
CITATIONS = [
    ("hara-2001", IO, "supports", S_IO, "provides well-defined B-mode sonographic images of the spinal cord and spinal lesions in real"),
    ("regelsberger-2005", IO, "supports", S_IO, "gives reliable diagnosis of intraspinal tumors, allowing the distinction between intra- and"),
    ("maiuri-2000", IO, "supports", S_IO, "useful during surgery for spinal tumors in order to reduce the extent of the laminectomy, dural"),
    ("wang-2003", IO, "supports", S_IO, "yields information that guides aggressive surgical treatment of intradural spinal arachnoid cysts"),
    ("lacopino-2003", IO, "supports", S_IO, "provides immediate assessment of blood flow in surgical closure of spinal arteriovenous"),
    ("unsgaard-2006", IO, "supports", S_IO, "useful when collecting biopsies or resecting intramedullary tumors not visible on the surface of"),
    ("mihara-2007", IO, "supports", S_IO, "useful for evaluating spinal cord decompression status during laminoplasty (Mihara, et al., 2007)"),
    ("tsui-2010", IO, "supports", S_IO, "for guiding regional anesthesia in infants and children (Tsui, et al., 2010)"),
    ("nojiri-2019", IO, "supports", S_IO, "intraoperative ultrasound allows real-time identification of the blood vessels surrounding the lumbar spine,"),
    ("tat-2022", IO, "supports", S_IO, "They found IOUS to be useful in"),
    ("hughes-2003", INF, "supports", S_INF, "detection of low-lying cord (90%) and recommends US as a first-line screening test for OSD."),
    ("acr-neonatal-spine-2007", INF, "supports", S_INF, "and cost-effective examination that is comparable to MRI for evaluating congenital or acquired abnormalities in"),
    ("rees-2021", INF, "supports", S_INF, "US is the first-line imaging modality for screening neonates"),
    ("gajagowni-2024", INF, "does_not_support", S_INF, "findings. Authors concluded that overall, spinal US has a low diagnostic yield."),
    ("mckee-garrett-2021", INF, "supports", S_BG_INF, "dimple is usually benign with little or no clinical significance (McKee-Garrett, 2021)."),
    ("acr-2021", INF, "supports", S_BG_INF, "College of Radiology [ACR], 2021)."),
    ("acr-1998", INF, "supports", S_DX, "in the newborn and infants for the evaluation of the spinal cord and canal; and"),
    ("acr-1998", IO, "supports", S_DX, "intraoperatively;"),
    ("pate-2003", NMN, "background", S_BG_DUS, "Pate (2003) states that the limitations of ultrasound imaging are important considerations; as with any imaging"),
    ("howie-1983", NMN, "supports", S_DX, "Howie et al. (1983) found ultrasonography to be unreliable in identifying spinal cord and nerve root"),
    ("merx-1989", NMN, "supports", S_DX, "authors concluded that their sensitivity level was too low to support the use of DUS in the evaluation of lumbar"),
    ("aca-1996", NMN, "supports", S_DX, "pathology is inadequately studied and its routine application for these purposes cannot be supported by the"),
    ("nazarian-1998", NMN, "supports", S_DX, "ultrasonography is neither accurate nor reproducible in evaluating patients with cervical and lumbar back pain."),
    ("chou-2007", NMN, "supports", S_DX, "“clinicians should not routinely obtain imaging or other diagnostic tests in patients with nonspecific low back"),
    ("chou-2008", NMN, "supports", S_DX, "“clinicians should not routinely obtain imaging or other diagnostic tests in patients with nonspecific low back"),
    ("aium-2019", NMN, "supports", S_DX, "or monitoring of therapy for these conditions has no proven clinical utility and should be considered"),
    ("heidari-2015", NMN, "supports", S_DX, "practical role in prediction and/or estimation of the prognosis of LBP, neither in workers nor in general"),
    ("ranger-2017", NMN, "background", S_DX, "with low back pain because evidence prior has been conflicting."),
    ("aan-1998", NMN, "supports", S_DX, "in the evaluation of patients with back pain or radicular symptoms. The procedure cannot be recommended for"),
    ("acr-1998", NMN, "supports", S_DX, "of the efficacy of this modality in the evaluation of the paraspinal tissues and the spine in adults.”"),
    ("todorov-2018", NMN, "background", S_DX, "that the evidence for the diagnostic value of US is not equivocal, though promising for some of the causative"),
    ("ahmed-2018", NMN, "supports", S_DX, "comparing diagnostic accuracy to CT and MRI are needed before broad implementation of US for spinal"),
    ("acr-ac-inflammatory-back-pain-2021", NMN, "supports", S_DX, "diagnostic modality, or for the assessment of treatment response or disease progression due to a lack of"),
]

STANCE = {"supports": "Supports", "does_not_support": "DoesNotSupport", "background": "Background"}
CITO = {"supports": "cito:obtainsSupportFrom", "background": "cito:obtainsBackgroundFrom", "does_not_support": None}


def lit(text: str) -> str:
    """A Turtle string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def person_key(surname: str) -> str:
    return surname.lower().replace(" ", "-")


def main() -> None:
    out = [
        "# Cited literature of CPG 038 (effective 2024-09-15): works, and for each citation the statement it is",
        "# cited for, its stance and the policy's own sentence about it. Generated by tools/gen_evidence_ttl.py",
        "# from its reviewed table; edit the table, not this file.",
        "",
        "@prefix pkg: <https://w3id.org/policykg/ns#> .",
        "@prefix cpg: <https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/> .",
        "@prefix org: <https://w3id.org/policykg/id/org/> .",
        "@prefix person: <https://w3id.org/policykg/id/person/> .",
        "@prefix work: <https://w3id.org/policykg/id/work/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix cito: <http://purl.org/spar/cito/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        "@prefix oa: <http://www.w3.org/ns/oa#> .",
        "",
    ]
    for key, (name, acronym) in ORGS.items():
        out.append(f"org:{key} a foaf:Organization, owl:NamedIndividual ; foaf:name {lit(name)} ; "
                   f"pkg:acronym {lit(acronym)} ; rdfs:label {lit(f'{name} ({acronym})')}@en .")
    persons = sorted({c for w in WORKS for c in w[3] if c not in ORGS})
    for surname in persons:
        out.append(f"person:{person_key(surname)} a foaf:Person, owl:NamedIndividual ; "
                   f"foaf:familyName {lit(surname)} ; rdfs:label {lit(surname)}@en .")
    out.append("")
    for key, cls, label, creators, year, revised, reaffirmed, etal, title in WORKS:
        refs = ", ".join(f"org:{c}" if c in ORGS else f"person:{person_key(c)}" for c in creators)
        lines = [f"work:{key} a pkg:{cls}, owl:NamedIndividual ;", f"    rdfs:label {lit(label)} ;",
                 f"    dcterms:creator {refs} ;", f'    dcterms:issued "{year}"^^xsd:gYear ;',
                 f"    pkg:etAl {'true' if etal else 'false'}"]
        for y in revised:
            lines[-1] += " ;"
            lines.append(f'    pkg:revisedIn "{y}"^^xsd:gYear')
        for y in reaffirmed:
            lines[-1] += " ;"
            lines.append(f'    pkg:reaffirmedIn "{y}"^^xsd:gYear')
        if title:
            lines[-1] += " ;"
            lines.append(f"    dcterms:title {lit(title)}@en")
        out.extend([*lines[:-1], lines[-1] + " .", ""])
    for n, (key, stmt, stance, section, quote) in enumerate(CITATIONS, start=1):
        lines = [f"cpg:citation-{n:02d} a cito:Citation, owl:NamedIndividual ;",
                 f"    cito:hasCitingEntity cpg:{stmt} ;", f"    cito:hasCitedEntity work:{key} ;",
                 f"    pkg:stance pkg:{STANCE[stance]} ;"]
        if CITO[stance]:
            lines.append(f"    cito:hasCitationCharacterization {CITO[stance]} ;")
        lines += [f"    pkg:anchor cpg:anchor-citation-{n:02d} .",
                  f"cpg:anchor-citation-{n:02d} a oa:SpecificResource ; oa:hasSource cpg:policy ;",
                  f"    pkg:sectionPath {lit(section)} ;",
                  f"    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {lit(quote)} ] .", ""]
        out.extend(lines)
    target = Path(__file__).resolve().parents[1] / "ontology/policies/cigna-cpg038-2024-09-15-evidence.ttl"
    target.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {target} ({len(WORKS)} works, {len(CITATIONS)} citations)")


if __name__ == "__main__":
    main()
