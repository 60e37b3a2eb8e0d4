"""The decision table: what the fast coverage path needs, compiled from the graph by named queries.

`policykg.check.Checker` answers one request with about ten SPARQL queries (~5 ms). A claim file repeats
the same few facts millions of times, so the fast path (policykg.table_check) answers from a table that
SPARQL produced once per build:

- procedure codes and the policies listing them (decision-table-procedures), each listing's earliest
  effective date (policy-versions);
- for each procedure code and policy, the statements its code tables can decide, with determination, age
  bounds, required settings and whether a diagnosis list applies (decision-table-rules);
- which ICD-10-CM codes each table's diagnosis list includes, itself or by an ancestor (decision-table-listed);
- the policy versions in effect from each effective date to the next (decision-table-effective-dates, then
  policy-in-effect once per date), the default rules (coverage-default), statement labels
  (statement-detail), settings (settings);
- every ICD-10-CM code with its billable flag and title (decision-table-codes), and the warnings
  listed-descendants and similar-listed-entries give, asked only for the codes that can draw one
  (decision-table-warning-codes, decision-table-text-terms).

No code, age, setting or rule of a policy is written here: they are rows of those queries. The table is
cached as JSON next to the store build (`<build>/decision-table.json`); a build directory never changes
once written, and a new graph is a new build directory, so the cache is rebuilt exactly when the graph
changes. The cache also records the text of every query used, so editing a query rebuilds it too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import DataError

FORMAT = 1
CACHE_NAME = "decision-table.json"
XSD = "http://www.w3.org/2001/XMLSchema#"
# named queries read by compile_table; their text is part of the cache key
QUERIES = ("decision-table-procedures", "decision-table-rules", "decision-table-listed", "decision-table-codes",
           "decision-table-effective-dates", "decision-table-warning-codes", "decision-table-text-terms",
           "settings", "policy-in-effect", "policy-versions", "coverage-default", "statement-detail",
           "listed-descendants", "similar-listed-entries")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def queries_digest() -> str:
    """A hash of the files of every query the table is compiled from (read, not parsed: parsing the library
    checks every example with rdflib, which a run answering from the cache does not otherwise import)."""
    from .queries import source_text

    h = hashlib.sha256(f"decision-table {FORMAT} files".encode())
    for name in QUERIES:
        h.update(name.encode() + b"\0" + source_text(name).encode() + b"\0")
    return h.hexdigest()[:32]


def load_table(store: Any) -> dict[str, Any]:
    """The decision table of an open store: read from the cache next to its build, else compiled and cached.

    A read-only or otherwise unwritable build directory only costs the compilation; two processes compiling
    at once each write a complete file (temporary file, then rename), and the last rename wins.
    """
    digest = queries_digest()
    path = Path(store.info.build) / CACHE_NAME
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == FORMAT and data.get("queries") == digest:
            return data
    data = compile_table(store)
    data["queries"] = digest
    _write_atomically(path, data)
    return data


def _write_atomically(path: Path, data: dict[str, Any]) -> bool:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError:
        return False
    try:
        os.fchmod(fd, 0o644)  # readable like the rest of the build (mkstemp creates 0600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


# -- compilation -------------------------------------------------------------------------------------------
def compile_table(store: Any) -> dict[str, Any]:
    """Run the queries and assemble the table (plain JSON data)."""
    from .sparql import run_named

    def rows(name: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return [{k: _plain(v) for k, v in r.items()} for r in run_named(store, name, params)]

    settings = {r["notation"]: r["setting"] for r in rows("settings")}
    epochs = _epochs(rows)
    listing: dict[str, list[str]] = {}
    for r in rows("decision-table-procedures"):
        policies = listing.setdefault(r["cpt"], [])
        if r.get("policy") is not None and r["policy"] not in policies:
            policies.append(r["policy"])
    versions = rows("policy-versions")
    procedures = {cpt: {"policies": policies,
                        "earliest": min((v.get("effectiveDate") for v in versions if v.get("policy") in policies),
                                        default=None)}
                  for cpt, policies in listing.items()}
    rules = _rules(run_named(store, "decision-table-rules"))
    listed: dict[str, dict[str, list[str | None]]] = {}
    for r in rows("decision-table-listed"):
        listed.setdefault(r["table"], {}).setdefault(r["icd"], []).append(r.get("entryNotation"))
    defaults: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for cpt, info in procedures.items():
        for policy in info["policies"]:
            defaults.setdefault(cpt, {})[policy] = [
                {"determination": d.get("determination"), "statement": d.get("statement"),
                 "all_other": "allOtherCodes" in d, "all_other_label": d.get("allOtherCodesLabel")}
                for d in rows("coverage-default", {"cpt": cpt}) if d.get("policy") == policy]
    statements = {s for by_policy in rules.values() for rs in by_policy.values() for s in (r["statement"] for r in rs)}
    statements |= {d["statement"] for by_policy in defaults.values() for ds in by_policy.values() for d in ds}
    labels = {}
    for s in sorted(x for x in statements if x):
        detail = rows("statement-detail", {"statement": s})
        labels[s] = detail[0].get("label") if detail else None
    codes = _codes(store)
    below, similar = _warnings(store, rows, codes)
    billable = sorted(c for c, (b, _) in codes.items() if b)
    other = sorted(c for c, (b, _) in codes.items() if not b)
    return {"format": FORMAT, "build": Path(store.info.build).name, "settings": settings, "epochs": epochs,
            "procedures": procedures, "rules": rules, "listed": listed, "defaults": defaults,
            "statement_labels": labels, "codes": {"billable": " ".join(billable), "not_billable": " ".join(other)},
            "below": below, "similar": similar}


def _plain(term: Any) -> Any:
    from .sparql import term_value

    return term_value(term)


def _epochs(rows: Any) -> list[list[Any]]:
    """[date, policies in effect from that date] for every effective date, earliest first."""
    dates = [r["effectiveDate"] for r in rows("decision-table-effective-dates")]
    bad = [d for d in dates if not isinstance(d, str) or not _DATE.match(d)]
    if bad:
        raise DataError(f"decision table: effective date {bad[0]!r} is not a plain xsd:date")
    epochs = []
    for day in sorted(set(dates)):
        epochs.append([day, [{"iri": r.get("policy"), "id": r.get("identifier"), "title": r.get("title"),
                              "effective_date": r.get("effectiveDate"), "next_review_date": r.get("nextReviewDate"),
                              "series": r.get("series")}
                             for r in rows("policy-in-effect", {"service_date": day})]])
    return epochs


def _rules(raw: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Rows of decision-table-rules grouped by procedure, policy and (table, statement), in query order."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    index: dict[tuple[Any, ...], dict[str, Any]] = {}
    for term_row in raw:
        r = {k: _plain(v) for k, v in term_row.items()}
        key = (r["cpt"], r["policy"], r["table"], r["statement"])
        rule = index.get(key)
        if rule is None:
            rule = index[key] = {"table": r["table"], "determination": r.get("determination"),
                                 "statement": r["statement"], "label": r.get("statementLabel"),
                                 "dx_list": bool(r.get("hasDxList")), "indications": [], "below": [], "at_least": [],
                                 "settings": []}
            out.setdefault(r["cpt"], {}).setdefault(r["policy"], []).append(rule)
        for field, var in (("below", "ageBelow"), ("at_least", "ageAtLeast")):
            if var in term_row:
                bound = age_bound(term_row[var])
                if bound not in rule[field]:
                    rule[field].append(bound)
        if r.get("requiredSetting") is not None and r["requiredSetting"] not in rule["settings"]:
            rule["settings"].append(r["requiredSetting"])
        if r.get("tableIndication") is not None and r["tableIndication"] not in rule["indications"]:
            rule["indications"].append(r["tableIndication"])
    return out


_DECIMAL_TYPES = {XSD + t for t in ("decimal", "integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong",
                                    "unsignedInt", "unsignedShort", "unsignedByte")}
_DOUBLE_TYPES = {XSD + "double", XSD + "float"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def age_bound(term: Any) -> list[Any]:
    """[kind, lexical form, value as coverage-evaluate reports it] for an age bound literal.

    kind says how SPARQL compares an xsd:decimal age with it: "decimal" exactly, "double" as doubles,
    "error" not at all (a comparison error makes the bound's FILTER false, so that bound never excludes).
    """
    from rdflib import Literal

    lexical = str(term)
    datatype = str(term.datatype) if isinstance(term, Literal) and term.datatype else ""
    if datatype in _DECIMAL_TYPES and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", lexical.strip()):
        kind = "decimal"
    elif datatype in _DOUBLE_TYPES and _NUMBER.match(lexical.strip()):
        kind = "double"
    else:
        kind = "error"
    return [kind, lexical.strip(), _plain(term)]


def _codes(store: Any) -> dict[str, tuple[bool, str]]:
    """notation -> (billable, title) for every ICD-10-CM code, from decision-table-codes.

    98k rows: run on Oxigraph directly and read the few datatypes involved here (rdflib terms would triple
    the time); any other billable value goes through rdflib's conversion, as code-info's would.
    """
    from .namespaces import PREFIXES
    from .queries import get

    out: dict[str, tuple[bool, str]] = {}
    solutions = store.ox.query(get("decision-table-codes").text, use_default_graph_as_union=True, prefixes=PREFIXES)
    for sol in solutions:
        icd = sol["icd"].value
        if icd in out:
            continue
        flag = sol["billable"]
        if flag is None:
            billable = False
        elif flag.value in ("true", "false") and flag.datatype.value == XSD + "boolean":
            billable = flag.value == "true"
        else:
            from oxrdflib._converter import from_ox

            billable = bool(_plain(from_ox(flag)))
        out[icd] = (billable, sol["title"].value)
    return out


def _warnings(store: Any, rows: Any, codes: dict[str, tuple[bool, str]]
              ) -> tuple[dict[str, list[str]], dict[str, list[list[Any]]]]:
    """listed-descendants and similar-listed-entries, asked for the codes that can draw a warning."""
    kinds: dict[str, set[str]] = {"below": set(), "sibling": set()}
    for r in rows("decision-table-warning-codes"):
        kinds.setdefault(r["kind"], set()).add(r["icd"])
    below = {}
    for icd in sorted(kinds["below"] & codes.keys()):
        entries = sorted({r.get("entryNotation") for r in rows("listed-descendants", {"icd": icd})})
        if entries:
            below[icd] = entries
    terms = [r["text"] for r in rows("decision-table-text-terms")]
    candidates = (kinds["sibling"] | title_candidates(codes, terms)) & codes.keys()
    similar = {}
    for icd in sorted(candidates):
        found = rows("similar-listed-entries", {"icd": icd})[:3]
        if found:
            similar[icd] = [codes[icd][1], [[r.get("entryNotation"), r.get("entryLabel"), r.get("why")] for r in found]]
    return below, similar


def title_candidates(codes: dict[str, tuple[bool, str]], terms: Iterable[str]) -> set[str]:
    """Codes whose title contains one of `terms`, ignoring case: a superset of similar-listed-entries' matches.

    That query tests CONTAINS(LCASE(title), LCASE(text)). Case folding maps every character to the same
    letter as lower-casing it first would, one character at a time, so a title that contains a text after
    LCASE still contains it after casefold: no match is missed, and the query itself decides each candidate.
    """
    notations = list(codes)
    folded = "\0".join(codes[c][1].casefold() for c in notations)
    starts, pos = [], 0
    for c in notations:
        starts.append(pos)
        pos += len(codes[c][1].casefold()) + 1
    found: set[str] = set()
    for term in terms:
        needle = term.casefold()
        if not needle:
            return set(notations)
        i = folded.find(needle)
        while i != -1:
            found.add(notations[bisect_right(starts, i) - 1])
            i = folded.find(needle, i + 1)
    return found
