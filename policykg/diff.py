"""What changed between two versions of a policy: statements, criteria, codes and citations.

Each side is a snapshot read with the `policy-diff-*` named queries, from the store (a version IRI) or from a
document parsed and mapped in memory without ingesting it (a file), so a curated version, an ingested one
and a document on disk compare the same way. Nothing is matched by IRI (two versions never share item
IRIs): statements pair by determination and shared words, indications by label, code tables by their entries,
works (per statement, as a set: how often a work is mentioned is not a change) by first author or
organisation and year.

Curated quotes are excerpts of the sentence they come from, so two texts count as the same wording when,
whitespace and quote marks normalised, one contains the other; otherwise the change is "reworded".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .sparql import run_named, term_value

T = TypeVar("T")
LEVELS = ("policy", "statement", "criterion", "code", "citation")


@dataclass(frozen=True)
class Change:
    """One difference; ``where`` names the statement or table it sits in."""

    level: str  # policy | statement | criterion | code | citation
    kind: str  # added | removed | reworded | changed
    where: str
    what: str
    old: str | None = None
    new: str | None = None

    def line(self) -> str:
        detail = ""
        if self.old is not None or self.new is not None:
            detail = f": {self.old!r} -> {self.new!r}" if self.kind in ("reworded", "changed") else \
                f": {self.old or self.new!r}"
        return f"{self.kind} {self.what}{detail} [{self.where}]"


@dataclass
class Indication:
    label: str
    examples: set[str] = field(default_factory=set)
    thresholds: set[str] = field(default_factory=set)


@dataclass
class Statement:
    iri: str
    order: int
    label: str
    determination: str
    is_default: bool
    service: str | None = None
    required: str | None = None
    age: set[str] = field(default_factory=set)
    settings: set[str] = field(default_factory=set)
    quotes: set[str] = field(default_factory=set)
    indications: list[Indication] = field(default_factory=list)

    def text(self) -> str:
        return " ".join([self.label, self.service or "", *self.quotes, *(i.label for i in self.indications)])


@dataclass
class Entry:
    key: str
    role: str
    kind: str
    label: str
    codes: set[str] = field(default_factory=set)


@dataclass
class Table:
    iri: str
    label: str
    determination: str
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)


@dataclass
class Cited:
    statement: str
    work: tuple[str, int | None]
    label: str
    stance: str | None
    sentence: str | None


@dataclass
class Snapshot:
    """One side of a diff."""

    origin: str  # the IRI or file it was read from
    policy: str
    meta: dict[str, Any]
    statements: list[Statement]
    tables: list[Table]
    citations: list[Cited]

    def describe(self) -> str:
        m = self.meta
        return f"{m.get('identifier')} {m.get('title')}, effective {m.get('effectiveDate')} ({self.origin})"


def _local(iri: Any) -> str:
    text = str(iri)
    return re.split(r"[#/]", text)[-1]


def _notation(name: str) -> str:
    """pkg:MedicallyNecessary -> medically_necessary (the skos:notation style)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def norm(text: str) -> str:
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split()).casefold()


def same_wording(a: str, b: str) -> bool:
    a, b = norm(a), norm(b)
    return a == b or a in b or b in a


def work_key(label: str, year: Any) -> tuple[str, int | None]:
    """(first author or organisation, first year): "Hughes et al. 2003" -> ("hughes", 2003)."""
    m = re.match(r"[A-Za-z][\w'-]*", label.strip())
    return (m.group(0).lower() if m else label.lower(), int(str(year)[:4]) if year is not None else None)


def snapshot(source: Any, policy: str, origin: str) -> Snapshot:
    """Read one version with the policy-diff-* queries from a store or an rdflib-graph source."""
    params = {"policy": policy}
    meta_rows = run_named(source, "policy-metadata", params)
    if not meta_rows:
        from .errors import DataError

        raise DataError(f"{policy} is not a policy version in {origin}")
    meta = {k: term_value(v) for k, v in meta_rows[0].items()}
    statements: dict[str, Statement] = {}
    for r in run_named(source, "policy-diff-statements", params):
        iri = str(r["statement"])
        s = statements.setdefault(iri, Statement(
            iri, int(term_value(r.get("order")) or 0), str(r["label"]), _notation(_local(r["determination"])),
            bool(term_value(r.get("isDefault"))), term_value(r.get("service")), term_value(r.get("required"))))
        if "ageBelow" in r:
            s.age.add(f"< {term_value(r['ageBelow']):g} months")
        if "ageAtLeast" in r:
            s.age.add(f">= {term_value(r['ageAtLeast']):g} months")
        if "setting" in r:
            s.settings.add(_notation(_local(r["setting"])))
        if "quote" in r:
            s.quotes.add(str(r["quote"]))
    indications: dict[str, Indication] = {}
    for r in run_named(source, "policy-diff-criteria", params):
        key = str(r["indication"])
        if key not in indications:
            indications[key] = Indication(str(r["label"]))
            statements[str(r["statement"])].indications.append(indications[key])
        if "example" in r:
            indications[key].examples.add(str(r["example"]))
        if "comparator" in r:
            indications[key].thresholds.add(f"{r['comparator']} {term_value(r['value']):g} {r['unit']}")
    tables: dict[str, Table] = {}
    for r in run_named(source, "policy-diff-codes", params):
        t = tables.setdefault(str(r["table"]), Table(str(r["table"]), str(r["tableLabel"]),
                                                     _notation(_local(r["determination"]))))
        key = str(r["notation"]) if "notation" in r else "All other codes"
        entry = t.entries.setdefault((str(r["role"]), key), Entry(key, str(r["role"]), str(r["kind"]),
                                                                  str(r.get("entryLabel", ""))))
        if "code" in r:
            entry.codes.add(_local(r["code"]))
    cited = [Cited(str(r["statement"]), work_key(str(r["workLabel"]), term_value(r.get("year"))),
                   str(r["workLabel"]), _notation(_local(r["stance"])) if "stance" in r else None,
                   term_value(r.get("sentence")))
             for r in run_named(source, "policy-diff-citations", params)]
    return Snapshot(origin, policy, meta, sorted(statements.values(), key=lambda s: (s.order, s.iri)),
                    list(tables.values()), cited)


def _words(text: str) -> set[str]:
    from .loaders.policy_citing import words

    return words(text)


def _jaccard(a: set[Any], b: set[Any]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def pair(olds: Sequence[T], news: Sequence[T], score: Callable[[T, T], float],
         threshold: float) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Greedy best-first pairing above a threshold; returns pairs and the unpaired of each side."""
    ranked = sorted(((score(o, n), i, j) for i, o in enumerate(olds) for j, n in enumerate(news)),
                    key=lambda t: (-t[0], t[1], t[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[T, T]] = []
    for value, i, j in ranked:
        if value < threshold or i in used_old or j in used_new:
            continue
        pairs.append((olds[i], news[j]))
        used_old.add(i)
        used_new.add(j)
    return (pairs, [o for i, o in enumerate(olds) if i not in used_old],
            [n for j, n in enumerate(news) if j not in used_new])


def compare(old: Snapshot, new: Snapshot) -> list[Change]:
    """Every difference, policy first, then statements, criteria, codes and citations."""
    changes: list[Change] = []
    for key, what in (("identifier", "policy number"), ("title", "title"), ("effectiveDate", "effective date"),
                      ("nextReviewDate", "next review date")):
        if old.meta.get(key) != new.meta.get(key):
            changes.append(Change("policy", "changed", "policy", what, str(old.meta.get(key)),
                                  str(new.meta.get(key))))

    def statement_score(o: Statement, n: Statement) -> float:
        return (_jaccard(_words(o.text()), _words(n.text())) + 0.3 * (o.determination == n.determination)
                + 0.2 * (o.is_default == n.is_default))

    pairs, removed, added = pair(old.statements, new.statements, statement_score, 0.45)
    for s in removed:
        changes.append(Change("statement", "removed", s.label, "statement", s.label))
    for s in added:
        changes.append(Change("statement", "added", s.label, "statement", None, s.label))
    for o, n in pairs:
        changes += _statement_changes(o, n)
    statement_map = {o.iri: n.iri for o, n in pairs} | {old.policy: new.policy}
    labels = {s.iri: s.label for s in [*old.statements, *new.statements]} | {old.policy: "policy",
                                                                               new.policy: "policy"}
    changes += _code_changes(old.tables, new.tables)
    changes += _citation_changes(old.citations, new.citations, statement_map, labels)
    return changes


def _statement_changes(o: Statement, n: Statement) -> list[Change]:
    out: list[Change] = []
    where = n.label
    for attr, what in (("determination", "determination"), ("is_default", "default rule"),
                       ("required", "indications required")):
        if getattr(o, attr) != getattr(n, attr) and not (attr == "required" and None in (o.required, n.required)):
            out.append(Change("statement", "changed", where, what, str(getattr(o, attr)), str(getattr(n, attr))))
    for attr, what in (("age", "population"), ("settings", "setting")):
        if getattr(o, attr) != getattr(n, attr):
            out.append(Change("statement", "changed", where, what, ", ".join(sorted(getattr(o, attr))) or "none",
                              ", ".join(sorted(getattr(n, attr))) or "none"))
    old_text = max(o.quotes, key=len) if o.quotes else o.label
    new_text = max(n.quotes, key=len) if n.quotes else n.label
    if not same_wording(old_text, new_text):
        out.append(Change("statement", "reworded", where, "statement text", old_text, new_text))

    def indication_score(a: Indication, b: Indication) -> float:
        return 2.0 if norm(a.label) == norm(b.label) else _jaccard(_words(a.label), _words(b.label))

    pairs, removed, added = pair(o.indications, n.indications, indication_score, 0.5)
    out += [Change("criterion", "removed", where, "indication", i.label) for i in removed]
    out += [Change("criterion", "added", where, "indication", None, i.label) for i in added]
    for a, b in pairs:
        if norm(a.label) != norm(b.label):
            out.append(Change("criterion", "reworded", where, "indication", a.label, b.label))
        for attr, what in (("examples", "example"), ("thresholds", "threshold")):
            old_set, new_set = getattr(a, attr), getattr(b, attr)
            out += [Change("criterion", "removed", where, f"{what} of {b.label!r}", x)
                    for x in sorted(old_set - new_set)]
            out += [Change("criterion", "added", where, f"{what} of {b.label!r}", None, x)
                    for x in sorted(new_set - old_set)]
    return out


def _code_changes(olds: list[Table], news: list[Table]) -> list[Change]:
    def score(a: Table, b: Table) -> float:
        keys = _jaccard(set(a.entries), set(b.entries))
        return keys + 0.5 * (a.determination == b.determination) + 0.3 * _jaccard(_words(a.label), _words(b.label))

    pairs, removed, added = pair(olds, news, score, 0.6)
    out = [Change("code", "removed", t.label, f"code table with {len(t.entries)} entries", t.label) for t in removed]
    out += [Change("code", "added", t.label, f"code table with {len(t.entries)} entries", None, t.label)
            for t in added]
    for a, b in pairs:
        where = b.label
        if a.determination != b.determination:
            out.append(Change("code", "changed", where, "table determination", a.determination, b.determination))
        for key in sorted(set(a.entries) - set(b.entries)):
            e = a.entries[key]
            out.append(Change("code", "removed", where, f"{e.role} entry {e.key}", e.label))
        for key in sorted(set(b.entries) - set(a.entries)):
            e = b.entries[key]
            out.append(Change("code", "added", where, f"{e.role} entry {e.key}", None, e.label))
        for key in sorted(set(a.entries) & set(b.entries)):
            if norm(a.entries[key].label) != norm(b.entries[key].label):
                out.append(Change("code", "reworded", where, f"description of {key}", a.entries[key].label,
                                  b.entries[key].label))
        for role in ("procedure", "diagnosis"):
            old_codes = {c for e in a.entries.values() if e.role == role for c in e.codes}
            new_codes = {c for e in b.entries.values() if e.role == role for c in e.codes}
            if old_codes - new_codes:
                out.append(Change("code", "removed", where, f"{role} codes (expanded)",
                                  ", ".join(sorted(old_codes - new_codes))))
            if new_codes - old_codes:
                out.append(Change("code", "added", where, f"{role} codes (expanded)", None,
                                  ", ".join(sorted(new_codes - old_codes))))
    return out


def _citation_changes(olds: list[Cited], news: list[Cited], statement_map: dict[str, str],
                      labels: dict[str, str]) -> list[Change]:
    out: list[Change] = []
    by_new: dict[str, list[Cited]] = {}
    for c in news:
        by_new.setdefault(c.statement, []).append(c)
    by_old: dict[str, list[Cited]] = {}
    for c in olds:
        by_old.setdefault(statement_map.get(c.statement, "removed:" + c.statement), []).append(c)
    for statement in sorted(set(by_old) | set(by_new)):
        old_list, new_list = by_old.get(statement, []), by_new.get(statement, [])
        where = labels.get(statement, labels.get(statement.removeprefix("removed:"), statement))
        old_works, new_works = {c.work for c in old_list}, {c.work for c in new_list}
        for work in sorted(old_works - new_works, key=str):
            label = next(c.label for c in old_list if c.work == work)
            out.append(Change("citation", "removed", where, "cited work", label))
        for work in sorted(new_works - old_works, key=str):
            label = next(c.label for c in new_list if c.work == work)
            out.append(Change("citation", "added", where, "cited work", None, label))
        for work in sorted(old_works & new_works, key=str):
            a = [c for c in old_list if c.work == work]
            b = [c for c in new_list if c.work == work]
            sentences_a = [c.sentence for c in a if c.sentence]
            sentences_b = [c.sentence for c in b if c.sentence]
            if sentences_a and sentences_b and not any(same_wording(x, y) for x in sentences_a for y in sentences_b):
                out.append(Change("citation", "reworded", where, f"sentence citing {b[0].label}", sentences_a[0],
                                  sentences_b[0]))
            stances_a, stances_b = sorted({c.stance or "" for c in a}), sorted({c.stance or "" for c in b})
            if stances_a != stances_b:
                out.append(Change("citation", "changed", where, f"stance of {b[0].label}", ", ".join(stances_a),
                                  ", ".join(stances_b)))
    return out


@dataclass
class DiffResult:
    old: Snapshot
    new: Snapshot
    changes: list[Change]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {level: {} for level in LEVELS}
        for c in self.changes:
            out[c.level][c.kind] = out[c.level].get(c.kind, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        side = lambda s: {"origin": s.origin, "policy": s.policy, **s.meta}  # noqa: E731
        return {"old": side(self.old), "new": side(self.new), "counts": self.counts(),
                "changes": [asdict(c) for c in self.changes]}

    def to_text(self) -> str:
        lines = [f"old: {self.old.describe()}", f"new: {self.new.describe()}"]
        for level in LEVELS:
            items = [c for c in self.changes if c.level == level]
            lines.append(f"{level}: {'no changes' if not items else f'{len(items)} change(s)'}")
            lines += [f"  {c.line()}" for c in items]
        lines.append(f"{len(self.changes)} change(s)")
        return "\n".join(lines) + "\n"


def render(result: DiffResult, fmt: str) -> str:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n" if fmt == "json" else result.to_text()


def load_side(spec: str, store_root: Path | None) -> Snapshot:
    """A version IRI (read from the store) or a document file (parsed and mapped, not ingested)."""
    if re.match(r"^https?://", spec):
        from .store import PolicyStore

        return snapshot(PolicyStore.open(store_root), spec, spec)
    from .ingest import GraphSource, document_graph

    mapped = document_graph(Path(spec))
    return snapshot(GraphSource(mapped.graph), str(mapped.iris.policy), spec)


def diff(old: str, new: str, store_root: Path | None = None) -> DiffResult:
    """Compare two versions given as IRIs or files (see load_side)."""
    a, b = load_side(old, store_root), load_side(new, store_root)
    return DiffResult(a, b, compare(a, b))
