"""Synthetic claim files for the benchmark (fixed seed), drawn from the codes of the graph's decision table.

The mix, per line (documented in docs/benchmarks.md):
- procedure: 76800 70 %, 62270 8 %, 76942 7 %, another procedure code (unlisted) 15 %;
- 1 diagnosis code (70 %), 2 (20 %) or 3 (10 %), each from: the listed codes 35 %, their unlisted look-alikes
  (siblings, parents, title matches) 15 %, a practice's pool of 2,000 codes drawn Zipf-like 50 %;
- age: months 0-35 (55 %), years 0-90 (25 %), days 0-400 (10 %), birth date + service date (10 %);
- setting intraoperative 10 %; service date: a day in 2024-06-01..2025-12-31 (85 %) or none (15 %);
- 1 line in 2,000 is malformed (a bad code, a bad age or a missing field), to exercise rejection.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HEADER = ["claim_id", "cpt", "icd", "age", "birth_date", "service_date", "setting"]
OTHER_CPT = ["72148", "70450", "99213", "76700", "62322"]


def code_pools(table: dict[str, Any], seed: int = 7) -> dict[str, list[str]]:
    """Listed codes, look-alikes and a practice pool, taken from a decision table (policykg.decision_table)."""
    rng = random.Random(seed)
    listed = sorted({icd for by_code in table["listed"].values() for icd in by_code})
    lookalikes = sorted((set(table["similar"]) | set(table["below"])) - set(listed))
    everything = table["codes"]["billable"].split() + table["codes"]["not_billable"].split()
    return {"listed": listed, "lookalikes": lookalikes, "pool": rng.sample(everything, min(2000, len(everything)))}


def write_claims(path: Path, lines: int, pools: dict[str, list[str]], seed: int = 20240915) -> Path:
    """Write `lines` claim lines (CSV) to `path`, deterministic for a seed."""
    rng = random.Random(seed)
    pool = pools["pool"]
    weights = [1.0 / (rank + 1) for rank in range(len(pool))]
    start, span = date(2024, 6, 1), (date(2025, 12, 31) - date(2024, 6, 1)).days
    zipf = rng.choices(pool, weights, k=min(lines * 2, 200_000) + 1)

    def code() -> str:
        x = rng.random()
        if x < 0.35:
            return rng.choice(pools["listed"])
        if x < 0.50 and pools["lookalikes"]:
            return rng.choice(pools["lookalikes"])
        return zipf[rng.randrange(len(zipf))]

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        for n in range(lines):
            x = rng.random()
            cpt = "76800" if x < 0.70 else "62270" if x < 0.78 else "76942" if x < 0.85 else rng.choice(OTHER_CPT)
            k = 1 if rng.random() < 0.7 else 2 if rng.random() < 0.67 else 3
            icd = ";".join(code() for _ in range(k))
            service = (start + timedelta(days=rng.randrange(span))).isoformat() if rng.random() < 0.85 else ""
            birth = ""
            x = rng.random()
            if x < 0.55:
                age = f"{rng.randrange(36)}m"
            elif x < 0.80:
                age = f"{rng.randrange(91)}y"
            elif x < 0.90:
                age = f"{rng.randrange(401)}d"
            else:
                age = ""
                service = service or (start + timedelta(days=rng.randrange(span))).isoformat()
                birth = (date.fromisoformat(service) - timedelta(days=rng.randrange(2000))).isoformat()
            setting = "intraoperative" if rng.random() < 0.10 else ""
            if rng.random() < 0.0005:
                icd, age = rng.choice([("Q05.4X", age), (icd, "3 months"), ("", age)])
            w.writerow([f"C{n:08d}", cpt, icd, age, birth, service, setting])
    return path
