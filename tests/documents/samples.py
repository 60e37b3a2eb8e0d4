"""Documents and constants shared by the document tests (a module of its own so tests can import it)."""

from __future__ import annotations

import datetime as dt

CPG038_NAME = "cigna-cpg038-spinal-ultrasound.txt"
SHIPPED = "https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/policy"
NEXT = "https://w3id.org/policykg/id/ingested/cigna/cpg038/2025-01-15/policy"
REMOVED_ROW = "Q76.49 Other congenital malformations of spine, not associated with scoliosis  \n"
NOW = dt.datetime(2025, 2, 3, 4, 5, 6, tzinfo=dt.UTC)

# A family document with what CPG 038 lacks: nested topic headings with several determinations (an
# Experimental one among them), page FOOTERS breaking a sentence, a split word, a HCPCS table, an ICD-10-CM
# range with holes, an unknown code and a misprinted title, and a numbered References list.
FAMILY = """Knee Imaging (CPG 777)
Cigna Medical Coverage Policy- Therapy Services
Knee Imaging

Effective Date: 3/1/2025

Next Review Date: 3/1/2026

INSTRUCTIONS FOR USE

Cigna / ASH Medical Coverage Policies are intended to provide guidance.

GUIDELINES

Knee Joint
Medically Necessary
Knee ultrasound is considered medically necessary in adults (\u2265 18 years) for ANY of the following:
\u2022 evaluation of popliteal cysts (e.g., cysts > 2 cm in diameter, Baker cysts)
\u2022 guidance for knee aspiration
Knee ultrasound is considered medically necessary for use during
Knee Imaging (CPG 777)
Page 1 of 3
arthroscopic knee surgery.

Experimental, Investigational, Unproven
Knee elastography is considered experimental, investigational or unproven for ANY indication.

Pediatric Knee
Medically Necessary
Knee ultrasound is considered medically necessary in children under 12 years of age for ANY of the following:
\u2022 evalu ation of joint effusion
Not Medically Necessary
Knee ultrasound is considered not medically necessary for ANY other indication.

DESCRIPTION

This guideline addresses knee imaging.

LITERATURE REVIEW

Knee Aspiration
Smith et al. (2019) found ultrasound guidance useful for knee aspiration in 40 adults. A later trial was
Knee Imaging (CPG 777)
Page 2 of 3
inconclusive (Jones, 2020).

Elastography
Elastography of the knee is insufficiently studied and cannot be recommended (Brown, et al., 2018).

Coding Information

Considered Medically Necessary when criteria in the applicable policy statements listed above are met:

Knee Ultrasound

CPT\u00ae*
Codes

Description

76881 Ultrasound, complete joint (ie, joint space and peri-articular soft-tissue structures), real-time
with image documentation

HCPCS
Codes

Description

G0500 Moderate sedation services provided by the same physician

ICD-10-CM
Diagnosis
Codes

Description

M71.21 Baker cyst, right knee
M71.22 Synovial cyst of popliteal space [Baker], left knee
M71.29 Synovial cyst of popliteal space [Baker], other knee
M25.461-
M25.469
Effusion, knee
Considered Experimental/Investigational/Unproven:

CPT\u00ae*
Codes

Description

76981 Ultrasound, elastography; parenchyma (eg, organ)

*Current Procedural Terminology (CPT\u00ae) \u00a92024 American Medical Association: Chicago, IL.

References

1. Smith JA, Doe B. Ultrasound-guided knee aspiration. Knee. 2019;26(3):45-67. doi:10.1016/j.knee.2019.01.001
2. Jones C. Knee sonography. Radiology. 2020;295:1-9.
3. Brown D, White E. Knee elastography. J Ultrasound. 2018;5:10-20.
Knee Imaging (CPG 777)
Page 3 of 3
"""

OTHER_LAYOUT = """Clinical Policy Bulletin: Spinal Ultrasound
Number: 0123

Policy
The plan considers diagnostic spinal ultrasound experimental and investigational for adults.

Background
Ultrasound of the spine has been studied in small series.
"""


def edited_cpg038(text: str) -> str:
    """The next version used by the tests: effective 2025-01-15 and the Q76.49 row removed."""
    assert REMOVED_ROW in text and "Effective Date: 9/15/2024" in text
    return (text.replace("Effective Date: 9/15/2024", "Effective Date: 1/15/2025")
            .replace("Next Review Date: 9/15/2025", "Next Review Date: 1/15/2026").replace(REMOVED_ROW, ""))
