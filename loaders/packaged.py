"""The reviewed data files that ship inside the package: the ontology and each policy's facts.

Files under ontology/policies/ are grouped by policy: `<name>.ttl` (statements, code tables),
`<name>-evidence.ttl` (cited works and citations) and `<name>-anchors.ttl` (text positions) go to the
policy's named graph; `<name>-crosswalk.ttl` (curated, not stated by the policy) goes to its own graph so
that analysts can tell the two apart. They are read through importlib.resources, so the main job works on a
machine that has only the wheel.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .base import LoadedGraph, Loader
from .code_lists import expand_code_lists
from .icd10cm import Icd10cmRelease
from .rdfs_types import add_superclass_types

PKG_NS = "https://w3id.org/policykg/ns#"
GRAPH_BASE = "https://w3id.org/policykg/graph/"
ONTOLOGY_GRAPH = URIRef(GRAPH_BASE + "ontology")
SUFFIXES = ("-evidence", "-anchors", "-crosswalk")


def ontology_text() -> str:
    """The ontology's Turtle source."""
    return resources.files("policykg.ontology").joinpath("policykg.ttl").read_text(encoding="utf-8")


def shipped_policy_names() -> list[str]:
    """Base names of the shipped policy data files (without suffix and extension)."""
    folder = resources.files("policykg.ontology").joinpath("policies")
    names = set()
    for entry in folder.iterdir():
        stem = entry.name.removesuffix(".ttl")
        if entry.name.endswith(".ttl"):
            for suffix in SUFFIXES:
                stem = stem.removesuffix(suffix)
            names.add(stem)
    return sorted(names)


def read_policy_part(name: str, suffix: str = "") -> str | None:
    entry = resources.files("policykg.ontology").joinpath("policies", f"{name}{suffix}.ttl")
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def policy_graph_iri(policy: URIRef) -> URIRef:
    """The named graph of a policy version: .../id/<path>/policy -> .../graph/<path>."""
    path = str(policy).split("/id/", 1)[1].removesuffix("/policy")
    return URIRef(GRAPH_BASE + path)


class OntologyLoader(Loader):
    name = "ontology"

    def load(self) -> LoadedGraph:
        g = Graph().parse(data=ontology_text(), format="turtle")
        return LoadedGraph(ONTOLOGY_GRAPH, g.serialize(format="nt"), source="ontology/policykg.ttl")


@dataclass
class ShippedPolicyLoader(Loader):
    """One shipped policy: its facts graph (code lists expanded against the release) and its crosswalk."""

    policy_name: str
    release: Icd10cmRelease
    name: str = "policy"

    def load_all(self) -> list[LoadedGraph]:
        g = Graph()
        for suffix in ("", "-evidence", "-anchors"):
            text = read_policy_part(self.policy_name, suffix)
            if text is not None:
                g.parse(data=text, format="turtle")
        policies = list(g.subjects(RDF.type, URIRef(PKG_NS + "CoveragePolicy")))
        if len(policies) != 1:
            raise ValueError(f"{self.policy_name}: expected one pkg:CoveragePolicy, found {len(policies)}")
        graph_iri = policy_graph_iri(policies[0])
        add_superclass_types(g, Graph().parse(data=ontology_text(), format="turtle"))
        findings = expand_code_lists(g, self.release)
        out = [LoadedGraph(graph_iri, g.serialize(format="nt"), findings, source=self.policy_name)]
        crosswalk = read_policy_part(self.policy_name, "-crosswalk")
        if crosswalk is not None:
            cw = Graph().parse(data=crosswalk, format="turtle")
            out.append(LoadedGraph(URIRef(str(graph_iri) + "/curated"), cw.serialize(format="nt"),
                                   source=f"{self.policy_name}-crosswalk"))
        return out

    def load(self) -> LoadedGraph:
        return self.load_all()[0]
