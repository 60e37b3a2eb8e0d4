"""Fixtures of the reasoner tests: classifiers on the shipped store, and a second store with a synthetic policy.

The synthetic policy (TEST 001, two versions) exercises what CPG 038 does not: a listed category whose
descendants match through skos:broader, a lower and an upper age bound, a version replaced by a later
one (a closed date window), a table with another determination, and a version without a default rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, URIRef

SYNTHETIC_GRAPH = "https://w3id.org/policykg/graph/test/001"
SYNTHETIC_TTL = """
@prefix pkg: <https://w3id.org/policykg/ns#> .
@prefix t: <https://w3id.org/policykg/id/test/001/> .
@prefix icd: <https://w3id.org/policykg/icd10cm/code/> .
@prefix cpt: <https://w3id.org/policykg/cpt/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

# superclass types asserted, as the loaders do for shipped policies (loaders/rdfs_types.py)
cpt:99990 a pkg:CPTCode, pkg:ProcedureCode ; skos:notation "99990" ; skos:prefLabel "Test procedure A"@en .
cpt:99991 a pkg:CPTCode, pkg:ProcedureCode ; skos:notation "99991" ; skos:prefLabel "Test procedure B"@en .

t:v1 a pkg:CoveragePolicy ; dcterms:identifier "TEST 001" ; dcterms:title "Test policy" ; rdfs:label "TEST 001 v1" ;
    dcterms:isVersionOf t:series ; pkg:effectiveDate "2025-01-01"^^xsd:date ;
    pkg:hasStatement t:v1-s1, t:v1-s2, t:v1-s3, t:v1-default ;
    pkg:hasCodeTable t:v1-t1, t:v1-t2, t:v1-t3 .
t:v1-s1 a pkg:CoverageStatement ; rdfs:label "children 1-17 with listed diagnoses" ; pkg:order 1 ;
    pkg:determination pkg:MedicallyNecessary ; pkg:hasPopulation t:v1-pop .
t:v1-pop a pkg:PopulationCriterion ; rdfs:label "1 to 17 years" ;
    pkg:ageAtLeastMonths 12.0 ; pkg:ageBelowMonths 216.0 .
t:v1-s2 a pkg:CoverageStatement ; rdfs:label "intraoperative" ; pkg:order 2 ;
    pkg:determination pkg:MedicallyNecessary ; pkg:requiresSetting pkg:Intraoperative .
t:v1-s3 a pkg:CoverageStatement ; rdfs:label "procedure B is unproven" ; pkg:order 3 ;
    pkg:determination pkg:ExperimentalInvestigationalUnproven .
t:v1-default a pkg:CoverageStatement, pkg:DefaultRule ; rdfs:label "any other indication" ; pkg:order 4 ;
    pkg:determination pkg:NotMedicallyNecessary ; pkg:otherThan t:v1-s1, t:v1-s2 .
t:v1-t1 a pkg:CodeTable ; rdfs:label "A with diagnoses" ; pkg:order 1 ; pkg:determination pkg:MedicallyNecessary ;
    pkg:procedureCodeList t:list-a ; pkg:diagnosisCodeList t:list-dx ; pkg:appliesToStatement t:v1-s1 .
t:v1-t2 a pkg:CodeTable ; rdfs:label "A during surgery" ; pkg:order 2 ; pkg:determination pkg:MedicallyNecessary ;
    pkg:procedureCodeList t:list-a ; pkg:appliesToStatement t:v1-s2 .
t:v1-t3 a pkg:CodeTable ; rdfs:label "B" ; pkg:order 3 ; pkg:determination pkg:ExperimentalInvestigationalUnproven ;
    pkg:procedureCodeList t:list-b ; pkg:appliesToStatement t:v1-s3 .

t:v2 a pkg:CoveragePolicy ; dcterms:identifier "TEST 001" ; dcterms:title "Test policy" ; rdfs:label "TEST 001 v2" ;
    dcterms:isVersionOf t:series ; pkg:effectiveDate "2025-07-01"^^xsd:date ;
    pkg:hasStatement t:v2-s1 ; pkg:hasCodeTable t:v2-t1 .
t:v2-s1 a pkg:CoverageStatement ; rdfs:label "children under 10 with listed diagnoses" ; pkg:order 1 ;
    pkg:determination pkg:MedicallyNecessary ; pkg:hasPopulation t:v2-pop .
t:v2-pop a pkg:PopulationCriterion ; rdfs:label "under 10 years" ; pkg:ageBelowMonths 120.0 .
t:v2-t1 a pkg:CodeTable ; rdfs:label "A with diagnoses (v2)" ; pkg:order 1 ; pkg:determination pkg:MedicallyNecessary ;
    pkg:procedureCodeList t:list-a ; pkg:diagnosisCodeList t:list-dx ; pkg:appliesToStatement t:v2-s1 .

t:list-a a pkg:CodeList ; pkg:hasEntry t:entry-a .
t:entry-a a pkg:CodeListEntry ; skos:notation "99990" ; pkg:includesCode cpt:99990 .
t:list-b a pkg:CodeList ; pkg:hasEntry t:entry-b .
t:entry-b a pkg:CodeListEntry ; skos:notation "99991" ; pkg:includesCode cpt:99991 .
t:list-dx a pkg:CodeList ; pkg:hasEntry t:entry-g96, t:entry-q054 .
t:entry-g96 a pkg:CodeListEntry ; skos:notation "G96" ; pkg:includesCode icd:G96 .
t:entry-q054 a pkg:CodeListEntry ; skos:notation "Q05.4" ; pkg:includesCode icd:Q05.4 .
"""



def _nquads(ds: Dataset) -> str:
    """N-Quads of a dataset's named graphs (rdflib's own writer warns about a deprecated API)."""
    out = []
    for g in ds.graphs():
        if isinstance(g.identifier, URIRef) and len(g):
            out.extend(line[:-1].rstrip() + f" <{g.identifier}> .\n"
                       for line in g.serialize(format="nt").splitlines() if line.endswith("."))
    return "".join(out)


@pytest.fixture(scope="session")
def synthetic_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the shipped sources plus the synthetic policy as an ingested graph."""
    from policykg.store import ensure_store

    root = tmp_path_factory.mktemp("synthetic-store")
    ds = Dataset()
    ds.graph(URIRef(SYNTHETIC_GRAPH)).parse(data=SYNTHETIC_TTL, format="turtle")
    (root / "ingested").mkdir()
    (root / "ingested" / "test-001.nq").write_text(_nquads(ds), encoding="utf-8")
    ensure_store(root)
    return root


@pytest.fixture(scope="session")
def synthetic_store(synthetic_store_dir: Path):  # type: ignore[no-untyped-def]
    from policykg.store import PolicyStore

    return PolicyStore.open(synthetic_store_dir)


@pytest.fixture(scope="session")
def rl_classifier(store):  # type: ignore[no-untyped-def]
    from policykg.reasoner.classify import Classifier

    return Classifier(store, engine="rl")


@pytest.fixture(scope="session")
def hermit_classifier(store):  # type: ignore[no-untyped-def]
    from policykg.reasoner.classify import Classifier

    return Classifier(store, engine="hermit")
