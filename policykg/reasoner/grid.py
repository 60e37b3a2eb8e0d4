"""A generated grid of service requests that probes every criterion of the policies in the store.

Used by the differential test (reasoner vs SPARQL) and the benchmark. Built from the store, not from
knowledge of CPG 038: every procedure code a policy lists plus one it does not; every diagnosis code a
list includes, the unlisted siblings and the parents of each, and a seeded random sample of the release;
ages on both sides of, and on, every age bound (in days, weeks, months and years); with and without each
setting; dates of service before, on and after every effective date; and pairs of diagnoses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR
from typing import Any

from ..request import DAYS_PER_MONTH, ServiceRequest, make_request
from .abox import bind_values, values_block
from .model import AGE, ReasoningModel

UNLISTED_PROCEDURE = "72148"  # MRI of the lumbar spine: a real CPT code no shipped policy lists
CODES_QUERY = "SELECT ?notation WHERE { ?code a pkg:ICD10CMCode ; skos:notation ?notation }"
FAMILY_QUERIES = (  # each with the listed codes bound first: siblings, parents, children
    "SELECT DISTINCT ?notation WHERE { ?listed skos:broader ?parent . ?sibling skos:broader ?parent ; "
    "skos:notation ?notation }",
    "SELECT DISTINCT ?notation WHERE { ?listed skos:broader ?parent . ?parent a pkg:ICD10CMCode ; "
    "skos:notation ?notation }",
    "SELECT DISTINCT ?notation WHERE { ?child skos:broader ?listed ; skos:notation ?notation }",
)


def _accepted(notation: str) -> bool:
    """Codes a user can type (policykg.codes.normalize_icd refuses a few of the release, e.g. QA0.*)."""
    from ..codes import normalize_icd
    from ..errors import UsageError

    try:
        return normalize_icd(notation) == notation
    except UsageError:
        return False


@dataclass
class GridCodes:
    listed: list[str]  # notations of codes some diagnosis list includes
    family: list[str]  # their siblings, parents and children that no list includes
    sample: list[str]  # seeded random codes of the release
    procedures: list[str]  # listed procedure codes, then one unlisted


def grid_codes(store: Any, model: ReasoningModel, *, sample: int = 60, seed: int = 38) -> GridCodes:
    from rdflib import URIRef

    facts = model.facts
    dx_lists = {lst for t in facts.tables.values() for lst in t.diagnosis_lists}
    listed_iris = sorted({c for lst in dx_lists for _, codes in facts.lists[lst].values() for c in codes})
    notations = {}
    for row in store.query(bind_values("SELECT ?code ?notation WHERE { ?code skos:notation ?notation }",
                                 values_block("code", [URIRef(x) for x in listed_iris]))):
        notations[str(row[0])] = str(row[1])
    listed = sorted(notations.values())
    bound = values_block("listed", [URIRef(x) for x in listed_iris])
    family = sorted({str(r[0]) for q in FAMILY_QUERIES for r in store.query(bind_values(q, bound))} - set(listed))
    family = [n for n in family if "-" not in n and _accepted(n)]  # blocks (Q00-Q07) are not codes
    from ..namespaces import PREFIXES

    prologue = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    rows = store.ox.query(prologue + CODES_QUERY, use_default_graph_as_union=True)  # 98k rows: skip rdflib
    everything = sorted(n for n in (row[0].value for row in rows) if _accepted(n))
    rng = random.Random(seed)
    picked = sorted(set(rng.sample(everything, sample)) - set(listed) - set(family))
    procedures = [*sorted(facts.procedures), UNLISTED_PROCEDURE]
    return GridCodes(listed, family, picked, procedures)


def grid_ages(model: ReasoningModel) -> list[str]:
    """Ages as a user writes them, on, just below and just above every age bound, plus a few far ones."""
    ages = {"0d", "3m", "10y"}
    for _, dr in model.data_ranges():
        if dr.prop != AGE:
            continue
        for bound in (dr.min_inclusive, dr.max_exclusive):
            if bound is None:
                continue
            months = int(bound)
            ages |= {f"{max(months - 1, 0)}m", f"{months}m", f"{months + 1}m"}
            if months % 12 == 0:
                ages.add(f"{months // 12}y")
            days = bound * DAYS_PER_MONTH
            ages |= {f"{int(days.to_integral_value(ROUND_FLOOR))}d", f"{int(days.to_integral_value(ROUND_CEILING))}d",
                     f"{int(days.to_integral_value(ROUND_FLOOR)) - 1}d"}
            weeks = days / 7
            ages |= {f"{int(weeks.to_integral_value(ROUND_FLOOR))}w", f"{int(weeks.to_integral_value(ROUND_CEILING))}w"}
    return sorted(ages, key=lambda a: (a[-1], int(a[:-1])))


def grid_dates(model: ReasoningModel) -> list[str]:
    days: set[date] = set()
    for p in model.facts.policies.values():
        for d in (p.effective, p.until):
            if d is not None:
                days |= {d - timedelta(days=1), d, d + timedelta(days=200)}
    return sorted(d.isoformat() for d in days)


def _with_diagnosis_lists(model: ReasoningModel) -> set[str]:
    """Procedure codes listed by a table that has a diagnosis list (the diagnosis matters for them)."""
    facts = model.facts
    iris = {c for t in facts.tables.values() if t.diagnosis_lists for lst in t.procedure_lists
            for _, codes in facts.lists[lst].values() for c in codes}
    return {n for n, iri in facts.procedures.items() if iri in iris}


def build_grid(store: Any, model: ReasoningModel, *, sample: int = 60, seed: int = 38,
               procedures: list[str] | None = None) -> list[ServiceRequest]:
    """Every grid code x every age x every setting for the procedures whose tables list diagnoses; a subset of
    codes for the other procedures; dates around every effective date; pairs of diagnoses. `procedures`
    restricts the grid to some procedure codes (default: every listed one and one unlisted)."""
    codes = grid_codes(store, model, sample=sample, seed=seed)
    if procedures is not None:
        codes.procedures = [p for p in codes.procedures if p in procedures]
    settings: list[str | None] = [None, *sorted(model.facts.settings)]
    ages = grid_ages(model)
    dates = grid_dates(model)
    latest = max(p.effective for p in model.facts.policies.values()).isoformat()
    in_effect = max(d for d in dates if d >= latest)
    every = codes.listed + codes.family + codes.sample
    few = codes.listed[:5] + codes.family[:5] + codes.sample[:5]
    dx_dependent = _with_diagnosis_lists(model)
    out: list[ServiceRequest] = []
    for cpt in codes.procedures:
        icds = every if cpt in dx_dependent else few
        for icd in icds:
            for age in ages:
                for setting in settings:
                    out.append(make_request(cpt, [icd], age=age, setting=setting, service_date=in_effect))
    main = sorted(dx_dependent & set(codes.procedures)) or codes.procedures[:1]
    two_ages = [ages[0], ages[-1]]
    for cpt in codes.procedures:  # every version's window: dates around every effective date, and today
        for icd in (codes.listed[:3] + codes.family[:3]) if cpt in dx_dependent else codes.listed[:1]:
            for day in [*dates, None]:
                for age in ages:
                    out.append(make_request(cpt, [icd], age=age, service_date=day))
    rng = random.Random(seed)
    for _ in range(40):
        a, b = rng.choice(codes.listed), rng.choice(codes.family + codes.sample)
        pair = [a, b] if rng.random() < 0.5 else [b, a]
        out.append(make_request(rng.choice(main), pair, age=rng.choice(two_ages), setting=rng.choice(settings),
                                service_date=in_effect))
    return out


def sample_requests(grid: list[ServiceRequest], n: int, seed: int = 7) -> list[ServiceRequest]:
    """n requests drawn from the grid with repetition (claims repeat patterns; the benchmark's input)."""
    rng = random.Random(seed)
    return [rng.choice(grid) for _ in range(n)]


