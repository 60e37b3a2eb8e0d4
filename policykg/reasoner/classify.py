"""Requests in, decisions out: the reasoner path from service requests to determinations with reasons.

1. look the diagnosis codes up (with their ancestors) and check the settings, request by request;
2. group requests into patterns (abox.py): one individual per pattern, however many requests share it;
3. classify the patterns (engines.py: HermiT for up to 500 patterns, the RL engine above, unless chosen);
4. close the world (closed_world.py) and explain each decision (explain.py).
A request that cannot be classified (unknown code or setting) gets its error, the others go on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import PolicyKGError, UnknownCodeError, UsageError
from ..request import ServiceRequest
from .abox import (
    REQUEST_BASE,
    CodeFragment,
    Pattern,
    PatternKey,
    abox_graph,
    asserted_bounds,
    lookup_codes,
    pattern_key,
)
from .closed_world import Decision, decide
from .engines import (
    DEFAULT_TIMEOUT,
    HERMIT_PART,
    HERMIT_WORKERS,
    Classification,
    choose_engine,
    ontology_ntriples,
    run_hermit,
    run_rl,
)
from .explain import Explainer, name
from .model import ReasoningModel, build_model
from .policy_facts import read_facts


@dataclass
class Classified:
    """One request's outcome: the decision of its pattern, explained with the request's own values."""

    request: ServiceRequest
    decision: Decision
    explanation: list[str]
    warnings: list[str]
    service_date_used: date


@dataclass
class Run:
    """A classification run: per request a Classified or the error that stopped it; and what it cost."""

    results: list[Classified | PolicyKGError] = field(default_factory=list)
    engine: str = ""
    patterns: int = 0
    reasoner_seconds: float = 0.0
    seconds: float = 0.0
    note: str = ""


class Classifier:
    """Classifies batches of requests against one store; the model is built once and reused."""

    def __init__(self, store: Any, engine: str = "auto", timeout: float = DEFAULT_TIMEOUT,
                 workers: int = HERMIT_WORKERS) -> None:
        choose_engine(engine, 0)  # validates the name
        self.store = store
        self.engine = engine
        self.timeout = timeout
        self.workers = workers
        self.model: ReasoningModel = build_model(read_facts(store))
        self._ontology: bytes | None = None

    def _ontology_nt(self) -> bytes:
        if self._ontology is None:
            self._ontology = ontology_ntriples(self.store)
        return self._ontology

    def _check(self, req: ServiceRequest, codes: CodeFragment) -> None:
        for code in req.icd:
            if code not in codes.iri:
                raise UnknownCodeError(f"unknown ICD-10-CM code {code}: it is not in the loaded ICD-10-CM release")
        known = self.model.facts.settings
        if req.setting is not None and req.setting not in known:
            raise UsageError(f"unknown setting {req.setting!r}: known settings are {', '.join(sorted(known))}")

    def classify(self, requests: list[ServiceRequest], today: date | None = None) -> Run:
        """Classify every request; errors are per request, a reasoner failure or time-out stops the run."""
        t0 = time.perf_counter()
        day0 = today or date.today()
        codes = lookup_codes(self.store, {c for r in requests for c in r.icd})
        run = Run()
        patterns: dict[PatternKey, Pattern] = {}
        slots: list[tuple[ServiceRequest, Pattern, date] | PolicyKGError] = []
        for req in requests:
            try:
                self._check(req, codes)
            except PolicyKGError as exc:
                slots.append(exc)
                continue
            day = req.service_date or day0
            key = pattern_key(self.model, req, day)
            if key not in patterns:
                patterns[key] = Pattern(key, req, day, f"{REQUEST_BASE}{len(patterns)}")
            slots.append((req, patterns[key], day))
        run.patterns = len(patterns)
        run.engine = choose_engine(self.engine, len(patterns))
        result = self._reason(run.engine, list(patterns.values()), codes) if patterns else Classification(run.engine, 0)
        run.reasoner_seconds, run.note = result.seconds, result.note
        explainer = Explainer(self.model, result, codes)
        decisions = {p.iri: decide(self.model, result, p, codes) for p in patterns.values()}
        cache: dict[tuple[str, object, date], list[str]] = {}
        for slot in slots:
            if isinstance(slot, PolicyKGError):
                run.results.append(slot)
                continue
            req, pattern, day = slot
            decision = decisions[pattern.iri]
            ckey = (pattern.iri, req.age_months, day)
            if ckey not in cache:
                cache[ckey] = explainer.explain(decision, pattern, req, day)
            run.results.append(Classified(req, decision, cache[ckey], self._warnings(req, day, codes), day))
        run.seconds = time.perf_counter() - t0
        return run

    def _reason(self, engine: str, patterns: list[Pattern], codes: CodeFragment) -> Classification:
        if engine == "hermit":
            parts = [abox_graph(self.model, patterns[i:i + HERMIT_PART], codes)
                     for i in range(0, len(patterns), HERMIT_PART)]
            return run_hermit(self.model, self._ontology_nt(), parts, self.timeout, self.workers)
        return run_rl(self.model, abox_graph(self.model, patterns, codes), asserted_bounds(self.model, patterns))

    @staticmethod
    def _warnings(req: ServiceRequest, day: date, codes: CodeFragment) -> list[str]:
        out = []
        if req.service_date is None:
            out.append(f"no service date given: used the policy versions in effect on {day.isoformat()}")
        out.extend(f"{c} is not billable (it has more specific codes)" for c in req.icd if not codes.billable.get(c))
        return out

    def describe(self, item: Classified) -> dict[str, Any]:
        """One result row for requests_io.ResultWriter: determination, statements, reason (class and axioms)."""
        d = item.decision
        facts = self.model.facts
        labels = [facts.statements[s].label for s in d.statements]
        if d.classes:
            head = f"classified as {', '.join(name(self.model, c) for c in d.classes)}"
        elif d.closed_world:
            head = "closed world: no statement's class inferred, the default rule decides"
        else:
            head = "no statement class applies"
        if labels:
            head += " -> " + "; ".join(f"'{x}'" for x in labels)
        return {"determination": d.determination, "statement": " ".join(d.statements),
                "reason": head + " | because: " + " ; ".join(item.explanation), "warnings": item.warnings}
