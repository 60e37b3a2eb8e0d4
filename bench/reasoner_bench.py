"""Reasoner benchmark (not a test): time to classify 100, 1,000 and 10,000 requests, per engine.

Usage: python bench/reasoner_bench.py [--store DIR] [--sizes 100,1000,10000] [--engines hermit,rl,auto]
       [--repeat 3] [--distinct]

Requests are drawn from the differential-test grid (policykg.reasoner.grid) with repetition, as claim lines
repeat patterns; --distinct instead draws every request with its own random ICD-10-CM code (the worst case
for the pattern dedup). Each run is checked against the SPARQL engine on its distinct patterns, so a fast
wrong answer cannot pass. Prints one line per (engine, size): patterns, reasoner seconds, total seconds
(median of --repeat runs). The figures in docs/reasoner.md come from this script.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from policykg.check import Checker
from policykg.errors import UsageError
from policykg.reasoner.abox import pattern_key
from policykg.reasoner.classify import Classifier
from policykg.reasoner.grid import build_grid, sample_requests
from policykg.request import ServiceRequest, make_request
from policykg.store import PolicyStore


def distinct_requests(store: Any, n: int, seed: int = 11) -> list[ServiceRequest]:
    """n requests, each with a different random billable code (no two share a pattern by their code)."""
    from policykg.namespaces import PREFIXES

    prologue = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    rows = store.ox.query(prologue + "SELECT ?n WHERE { ?c a pkg:ICD10CMCode ; skos:notation ?n ; "
                          "pkg:billable true }", use_default_graph_as_union=True)
    codes = sorted(r[0].value for r in rows)
    rng = random.Random(seed)
    out: list[ServiceRequest] = []
    for c in rng.sample(codes, n + n // 10):
        try:
            out.append(make_request("76800", [c], age=rng.choice(["3m", "30m"]),
                                    setting=rng.choice([None, "intraoperative"]), service_date="2025-03-01"))
        except UsageError:  # a few release codes (QA0.*) do not pass policykg.codes.normalize_icd
            continue
    return out[:n]


def check_against_sparql(checker: Checker, classifier: Classifier, requests: list[ServiceRequest], run: Any) -> int:
    """Disagreements with the SPARQL engine, one SPARQL check per distinct pattern."""
    seen: dict[Any, tuple[str, list[str]]] = {}
    bad = 0
    for req, res in zip(requests, run.results, strict=True):
        key = pattern_key(classifier.model, req, req.service_date or date.today())
        if key not in seen:
            r = checker.check(req)
            seen[key] = (r["determination"], [s["iri"] for s in r["statements"]])
        if (res.decision.determination, res.decision.statements) != seen[key]:
            bad += 1
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--engines", default="hermit,rl")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--distinct", action="store_true", help="every request its own code (worst case for dedup)")
    args = ap.parse_args()
    store = PolicyStore.open(args.store)
    checker = Checker(store)
    for engine in args.engines.split(","):
        classifier = Classifier(store, engine=engine, timeout=3600)
        grid = build_grid(store, classifier.model)
        for size in (int(s) for s in args.sizes.split(",")):
            requests = distinct_requests(store, size) if args.distinct else sample_requests(grid, size)
            reasoner, total = [], []
            run = None
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                run = classifier.classify(requests)
                total.append(time.perf_counter() - t0)
                reasoner.append(run.reasoner_seconds)
            assert run is not None
            bad = check_against_sparql(checker, classifier, requests, run)
            print(f"{engine:7} {size:>6} requests {run.patterns:>5} patterns"
                  f"  reasoner {statistics.median(reasoner):7.2f} s  total {statistics.median(total):7.2f} s"
                  f"  ({run.engine}: {run.note})  disagreements {bad}", flush=True)


if __name__ == "__main__":
    main()
