"""The engines `adjudicate` can answer with: one interface, a batch of distinct requests in, one outcome each out.

- table (default): the decision table compiled from the graph (policykg.decision_table, table_check);
  exactly the SPARQL engine's answers, without running SPARQL per request.
- sparql: policykg.check.Checker, the reference: every answer from named queries.
- reasoner: OWL classification (policykg.reasoner.classify.Classifier, another module's work): each batch is
  classified in one reasoner call over its distinct patterns.

An outcome is the result row (determination, statement, reason, warnings) or the PolicyKGError that the
request raised (unknown code, unknown setting), which `adjudicate` reports against the claim line.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from .errors import PolicyKGError
from .request import ServiceRequest

Outcome = dict[str, Any] | PolicyKGError


class Engine(Protocol):
    name: str

    def decide(self, requests: list[ServiceRequest], today: date) -> list[Outcome]:
        """One outcome per request, in order; an error that concerns the whole run (time-out) is raised."""
        ...


def row(determination: str, statements: list[str], reason: str, warnings: list[str]) -> dict[str, Any]:
    """A result row as requests_io.ResultWriter writes it: the deciding statements' IRIs, space-separated."""
    return {"determination": determination, "statement": " ".join(statements), "reason": reason,
            "warnings": warnings}


class TableEngine:
    name = "table"

    def __init__(self, store: Any) -> None:
        from .decision_table import load_table
        from .table_check import TableChecker

        self.checker = TableChecker(load_table(store))

    def line_path(self, writer: Any, today: date) -> Any:
        """The line path of policykg.adjudicate_fast (claim fields straight to result text), or None when
        the table's age bounds cannot be templated."""
        if not self.checker.templating:
            return None
        from .adjudicate_fast import FastLines

        # kept by the engine: a million remembered parts are freed with it (or not at all: cli.quick_exit),
        # not in the middle of a timed run
        self.lines = FastLines(self.checker, writer, today)
        return self.lines

    def decide(self, requests: list[ServiceRequest], today: date) -> list[Outcome]:
        out: list[Outcome] = []
        answer = self.checker.row
        for req in requests:
            try:
                out.append(answer(req, today))
            except PolicyKGError as exc:
                out.append(exc.with_traceback(None))  # kept: drop the frames its traceback holds
        return out


class SparqlEngine:
    name = "sparql"

    def __init__(self, store: Any) -> None:
        from .check import Checker

        self.checker = Checker(store)

    def decide(self, requests: list[ServiceRequest], today: date) -> list[Outcome]:
        out: list[Outcome] = []
        for req in requests:
            try:
                r = self.checker.check(req, today)
            except PolicyKGError as exc:
                out.append(exc.with_traceback(None))
                continue
            out.append(row(r["determination"], [s["iri"] for s in r["statements"]], r["reason"], r["warnings"]))
        return out


class ReasonerEngine:
    name = "reasoner"

    def __init__(self, store: Any, reasoner: str = "auto", timeout: float | None = None) -> None:
        from .reasoner.classify import Classifier

        kwargs: dict[str, Any] = {"engine": reasoner}
        if timeout is not None:
            kwargs["timeout"] = timeout
        self.classifier = Classifier(store, **kwargs)

    def decide(self, requests: list[ServiceRequest], today: date) -> list[Outcome]:
        if not requests:
            return []
        run = self.classifier.classify(requests, today=today)
        out: list[Outcome] = []
        for item in run.results:
            if isinstance(item, PolicyKGError):
                out.append(item)
            else:
                d = self.classifier.describe(item)
                out.append({k: d[k] for k in ("determination", "statement", "reason", "warnings")})
        return out


ENGINES: dict[str, Any] = {"table": TableEngine, "sparql": SparqlEngine, "reasoner": ReasonerEngine}


def make_engine(name: str, store: Any, **options: Any) -> Engine:
    """The engine called `name`, opened on `store` (options go to the reasoner engine only)."""
    cls = ENGINES[name]
    engine: Engine = cls(store, **options) if name == "reasoner" else cls(store)
    return engine
