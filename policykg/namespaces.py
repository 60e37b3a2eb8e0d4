"""Namespaces and fixed IRIs.

`PKG` is a closed namespace (rdflib DefinedNamespace with `_fail = True`): a misspelt term raises
instead of minting a new IRI. tests/test_ontology.py keeps its term list equal to ontology/policykg.ttl.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace


class PKG(DefinedNamespace):
    """The policykg vocabulary (https://w3id.org/policykg/ns#)."""

    _NS = Namespace("https://w3id.org/policykg/ns#")
    _fail = True

    # classes
    CoveragePolicy: URIRef
    PolicySeries: URIRef
    CoverageStatement: URIRef
    DefaultRule: URIRef
    Determination: URIRef
    Indication: URIRef
    QuantitativeCriterion: URIRef
    PopulationCriterion: URIRef
    Setting: URIRef
    CodeTable: URIRef
    ProcedureCode: URIRef
    CPTCode: URIRef
    HCPCSCode: URIRef
    DiagnosisCode: URIRef
    ICD10CMCode: URIRef
    ICD10CMChapter: URIRef
    ICD10CMBlock: URIRef
    CodeSystemRelease: URIRef
    CodeList: URIRef
    CodeListEntry: URIRef
    CodeRange: URIRef
    AllOtherCodes: URIRef
    EvidenceSource: URIRef
    Study: URIRef
    Review: URIRef
    ClinicalPracticeGuideline: URIRef
    PositionStatement: URIRef
    AppropriatenessCriteria: URIRef
    ReferenceWork: URIRef
    Stance: URIRef
    CuratedMapping: URIRef
    # object properties
    hasStatement: URIRef
    hasCodeTable: URIRef
    determination: URIRef
    hasIndication: URIRef
    hasPopulation: URIRef
    requiresSetting: URIRef
    hasCriterion: URIRef
    procedureCodeList: URIRef
    diagnosisCodeList: URIRef
    appliesToStatement: URIRef
    appliesToIndication: URIRef
    hasEntry: URIRef
    includesCode: URIRef
    firstCode: URIRef
    lastCode: URIRef
    expandedAgainst: URIRef
    otherThan: URIRef
    stance: URIRef
    anchor: URIRef
    mappedEntry: URIRef
    mappedIndication: URIRef
    aboutPolicy: URIRef
    # data and annotation properties
    effectiveDate: URIRef
    nextReviewDate: URIRef
    pageCount: URIRef
    service: URIRef
    indicationsRequired: URIRef
    ageBelowMonths: URIRef
    ageAtLeastMonths: URIRef
    comparator: URIRef
    quantityValue: URIRef
    unit: URIRef
    measuredQuantity: URIRef
    billable: URIRef
    sectionPath: URIRef
    page: URIRef
    pageEstimated: URIRef
    order: URIRef
    etAl: URIRef
    acronym: URIRef
    reaffirmedIn: URIRef
    revisedIn: URIRef
    releaseDate: URIRef
    curationNote: URIRef
    # individuals
    DeterminationScheme: URIRef
    MedicallyNecessary: URIRef
    NotMedicallyNecessary: URIRef
    ExperimentalInvestigationalUnproven: URIRef
    NotCovered: URIRef
    NotAddressed: URIRef
    SettingScheme: URIRef
    Intraoperative: URIRef
    StanceScheme: URIRef
    Supports: URIRef
    DoesNotSupport: URIRef
    Background: URIRef
    policykgCurators: URIRef


BASE = "https://w3id.org/policykg/"
ONTOLOGY_IRI = URIRef(BASE + "ns")
ICD = Namespace(BASE + "icd10cm/code/")
ICD_BLOCK = Namespace(BASE + "icd10cm/block/")
ICD_CHAPTER = Namespace(BASE + "icd10cm/chapter/")
ICD_RELEASE = Namespace(BASE + "icd10cm/release/")
CPT = Namespace(BASE + "cpt/")
GRAPH = Namespace(BASE + "graph/")

OA = Namespace("http://www.w3.org/ns/oa#")
CITO = Namespace("http://purl.org/spar/cito/")
FABIO = Namespace("http://purl.org/spar/fabio/")

ONTOLOGY_GRAPH = GRAPH["ontology"]

# Prefixes known to every query (named queries, `policykg sparql`, the endpoint).
PREFIXES: dict[str, str] = {
    "pkg": str(PKG._NS),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "cito": str(CITO),
    "fabio": str(FABIO),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "oa": str(OA),
    "icd": str(ICD),
    "cpt": str(CPT),
}
