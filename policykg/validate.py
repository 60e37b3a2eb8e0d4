"""`policykg validate`: SHACL shapes and QC queries over the graph; violations fail with a readable report.

Two kinds of rule, each where it is cheap:
- SHACL (ontology/shapes.ttl, pySHACL) on the ontology plus every policy and curated graph (a few thousand
  triples; the 700k-triple ICD-10-CM graph is left out);
- QC queries (queries/qc/*-violation.rq, the ODK habit): SPARQL over the whole store, for what needs the
  ICD-10-CM release (do listed codes exist?) or compares several tables; a query that returns rows fails.
Optionally (--consistency) HermiT checks that the ontology, policies and reasoning classes are consistent.
Every violation names its rule, the node it is about and what is wrong; any violation raises
ValidationFailed (exit 8) after the report is printed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rdflib import RDF, Graph
from rdflib.namespace import SH

from .errors import ValidationFailed
from .namespaces import PREFIXES


@dataclass(frozen=True)
class Violation:
    rule: str  # shape or query name
    focus: str  # the node the violation is about
    message: str


@dataclass
class ValidationReport:
    violations: list[Violation] = field(default_factory=list)
    shapes: int = 0
    queries: int = 0
    triples: int = 0
    seconds: float = 0.0
    consistency: str | None = None
    rules: dict[str, str] = field(default_factory=dict)  # rule -> what it checks (for the report)

    @property
    def conforms(self) -> bool:
        return not self.violations

    def render(self) -> str:
        lines = [f"{len(self.violations)} violation(s): {self.shapes} SHACL shapes over {self.triples} triples, "
                 f"{self.queries} QC queries" + (f", {self.consistency}" if self.consistency else "")
                 + f" ({self.seconds:.2f} s)"]
        rule = None
        for v in sorted(self.violations, key=lambda x: (x.rule, x.focus, x.message)):
            if v.rule != rule:
                rule = v.rule
                lines.append(f"{rule}" + (f": {self.rules[rule]}" if rule in self.rules else ""))
            lines.append(f"  {v.focus}: {v.message}")
        return "\n".join(lines)


class GraphTarget:
    """An rdflib graph (or dataset) seen like PolicyStore: `.query(text)` with policykg's prefixes."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def query(self, text: str) -> Any:
        return self.graph.query(text, initNs=PREFIXES)


def load_shapes() -> Graph:
    shapes = Graph()
    shapes.parse(data=resources.files("policykg.ontology").joinpath("shapes.ttl").read_text("utf-8"),
                 format="turtle")
    return shapes


def _short(node: Any) -> str:
    text = str(node)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns):]}"
    return text


def run_shacl(data: Graph, shapes: Graph) -> list[Violation]:
    """pySHACL without inference (the ontology's subclass triples are in the data graph)."""
    import pyshacl

    conforms, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False,
                                            allow_warnings=False)
    if conforms:
        return []
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        source = results.value(result, SH.sourceShape)
        node_shape = next(iter(shapes.subjects(SH.property, source)), source) if source is not None else None
        rule = _short(node_shape).split("#")[-1] if node_shape is not None else "shacl"
        message = results.value(result, SH.resultMessage)
        out.append(Violation(rule.removeprefix("pkgsh:"), _short(results.value(result, SH.focusNode)),
                             str(message) if message is not None else "violates the shape"))
    return out


def run_qc(target: Any) -> tuple[dict[str, str], list[Violation]]:
    """Every queries/qc/*-violation.rq (name -> summary); each row a query returns is a violation."""
    from .queries import registry
    from .sparql import result_rows, term_value

    queries = {n: q for n, q in registry("qc").items() if n.endswith("-violation")}
    out = []
    for name, q in queries.items():
        for row in result_rows(target.query(q.text)):
            cells = [(k, term_value(v)) for k, v in row.items()]
            focus = _short(row[next(iter(row))]) if row else ""
            detail = ", ".join(f"{k}={_short(v) if isinstance(v, str) else v}" for k, v in cells[1:])
            out.append(Violation(name.removesuffix("-violation"), focus, detail or "returned a row"))
    return {n.removesuffix("-violation"): q.summary for n, q in queries.items()}, out


def validate_graphs(data: Graph, qc_target: Any) -> ValidationReport:
    """SHACL over `data` (ontology + policy graphs) and QC queries over `qc_target` (with the ICD graph)."""
    t0 = time.perf_counter()
    shapes = load_shapes()
    report = ValidationReport(shapes=len(set(shapes.subjects(RDF.type, SH.NodeShape))), triples=len(data))
    report.violations.extend(run_shacl(data, shapes))
    rules, qc = run_qc(qc_target)
    report.queries = len(rules)
    report.rules.update(rules)
    report.violations.extend(qc)
    report.seconds = time.perf_counter() - t0
    return report


def validate_store(store: Any, *, consistency: bool = False, timeout: float = 120.0) -> ValidationReport:
    """Validate the store's graphs; with `consistency`, also run HermiT's consistency check."""
    from .reasoner.consistency import policy_graphs

    t0 = time.perf_counter()
    report = validate_graphs(policy_graphs(store, include_ontology=True), store)
    if consistency:
        from .reasoner.consistency import check_consistency
        from .reasoner.hermit import InconsistentOntology

        try:
            seconds = check_consistency(store, timeout)
            report.consistency = f"consistent under HermiT ({seconds:.1f} s)"
        except InconsistentOntology as exc:
            report.consistency = "INCONSISTENT under HermiT"
            report.violations.append(Violation("consistency", "ontology + policies", str(exc)))
    report.seconds = time.perf_counter() - t0
    return report


def check(report: ValidationReport) -> None:
    """Raise ValidationFailed (exit 8) when the report has violations."""
    if not report.conforms:
        first = sorted(report.violations, key=lambda v: (v.rule, v.focus))[0]
        raise ValidationFailed(f"validation failed: {len(report.violations)} violation(s), "
                               f"first [{first.rule}] {first.focus}: {first.message}")


__all__ = ["GraphTarget", "ValidationReport", "Violation", "check", "validate_graphs", "validate_store"]
