"""`policykg trace`: why -- determination -> statement -> quoted source passage -> cited works.

Three questions, one chain model: a coverage check (the statements that decided, from policykg.check.Checker),
a statement (the `trace-statement` named query) or a code (`trace-code`: the tables that list it and the
statements they apply to). The chain renders as a table, JSON, Markdown, or a Graphviz drawing (DOT source,
or SVG through the `dot` program). A SPARQL user gets the same chain from the two named queries.
"""

from __future__ import annotations

import io
import json
import textwrap
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from .errors import PolicyKGError, UnknownCodeError, UsageError
from .sparql import run_named, term_value

FORMATS = ("table", "json", "markdown", "dot", "svg")
STANCE_COLOURS = {"supports": "darkgreen", "does_not_support": "firebrick", "background": "gray40"}


@dataclass
class Passage:
    """Where a statement is written: section path, page, the quoted span and its offsets in the source."""

    quote: str | None
    section: str | None
    page: int | None
    page_estimated: bool
    start: int | None = None
    end: int | None = None
    source: str | None = None

    def where(self) -> str:
        page = f", page {self.page}{' (estimated)' if self.page_estimated else ''}" if self.page else ""
        chars = f", characters {self.start}-{self.end}" if self.start is not None else ""
        return f"{self.section or 'unknown section'}{page}{chars}"


@dataclass
class Evidence:
    """A cited work with its stance toward the statement and the policy's sentence about it."""

    work: str
    label: str
    year: int | None
    type: str | None
    stance: str
    sentence: str | None
    section: str | None = None
    page: int | None = None


@dataclass
class Link:
    """One statement in the chain."""

    statement: str
    label: str
    determination: str
    policy: str | None
    passage: Passage | None
    via: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Trace:
    """The whole answer to "why"."""

    question: str
    determination: str | None
    reason: str | None
    policy: dict[str, Any] | None
    links: list[Link]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _v(row: dict[str, Any], key: str) -> Any:
    return term_value(row.get(key))


def _year(value: Any) -> int | None:
    return int(str(value)[:4]) if value is not None else None


def _evidence(row: dict[str, Any], sentence: str = "sentence", section: str = "citationSection",
              page: str = "citationPage") -> Evidence | None:
    if "work" not in row:
        return None
    return Evidence(_v(row, "work"), _v(row, "workLabel") or _v(row, "label"), _year(_v(row, "year")), _v(row, "type"),
                    _v(row, "stance"), _v(row, sentence), _v(row, section), _v(row, page))


def _add_evidence(link: Link, item: Evidence | None) -> None:
    if item is not None and not any(e.work == item.work and e.sentence == item.sentence for e in link.evidence):
        link.evidence.append(item)


def trace_check(store: Any, req: Any, today: date | None = None) -> Trace:
    """The chain behind a coverage check (same request as `check`)."""
    from .check import Checker

    result = Checker(store).check(req, today)
    policy = result.get("policy")
    listed = {c["code"]: c.get("list_entries", []) for c in result["codes"][1:]}
    via = [f"{code} listed as {', '.join(entries)}" if entries else f"{code} not listed (default rule)"
           for code, entries in listed.items()]
    links = []
    for s in result["statements"]:
        offsets = s.get("offsets") or [None, None]
        passage = Passage(s.get("quote"), s.get("section"), s.get("page"), bool(s.get("page_estimated")),
                          offsets[0], offsets[1])
        link = Link(s["iri"], s["label"], s["determination"], policy["iri"] if policy else None, passage, list(via))
        for e in result["evidence"]:
            if e["statement"] == s["iri"]:
                _add_evidence(link, Evidence(e["work"], e["label"], e.get("year"), e.get("type"), e["stance"],
                                             e.get("sentence"), e.get("section"), e.get("page")))
        links.append(link)
    question = f"check CPT {req.cpt} with {', '.join(req.icd)}" + (f", {req.age_text}" if req.age_text else "")
    return Trace(question, result["determination"], result["reason"], policy, links, result.get("warnings", []))


def trace_statement(store: Any, iri: str) -> Trace:
    """The chain of one statement (the `trace-statement` query)."""
    rows = run_named(store, "trace-statement", {"statement": iri})
    if not rows:
        raise UsageError(f"no statement {iri} in the store")
    first = rows[0]
    passage = Passage(_v(first, "quote"), _v(first, "section"), _v(first, "page"), bool(_v(first, "pageEstimated")),
                      _v(first, "start"), _v(first, "end"), _v(first, "source"))
    link = Link(iri, _v(first, "label"), _v(first, "determination"), _v(first, "policy"), passage)
    for r in rows:
        _add_evidence(link, _evidence(r))
    policy = {"iri": _v(first, "policy"), "id": _v(first, "identifier"), "effective_date": _v(first, "effectiveDate")}
    return Trace(f"statement {iri}", link.determination, None, policy, [link])


def trace_code(store: Any, code: str, day: date) -> Trace:
    """The chain of a code in the policy versions in effect on ``day`` (the `trace-code` query)."""
    from .check import Checker
    from .codes import normalize_icd, normalize_procedure

    try:
        code = normalize_procedure(code)
        known = run_named(store, "procedure-info", {"cpt": code})
    except UsageError:
        code = normalize_icd(code)
        known = run_named(store, "code-info", {"icd": code})
    if not known:
        raise UnknownCodeError(f"unknown code {code}: neither in the ICD-10-CM release nor printed by a policy")
    in_effect = {p["iri"]: p for p in Checker(store).policies_in_effect(day)}
    links: dict[str, Link] = {}
    for r in run_named(store, "trace-code", {"code": code}):
        policy = _v(r, "policy")
        if policy not in in_effect:
            continue
        iri = _v(r, "statement")
        if iri not in links:
            passage = Passage(_v(r, "quote"), _v(r, "section"), _v(r, "page"), bool(_v(r, "pageEstimated")))
            links[iri] = Link(iri, _v(r, "label"), _v(r, "determination"), policy, passage)
        via = f"{code} in {_v(r, 'role')} entry {_v(r, 'entryNotation')} of '{_v(r, 'tableLabel')}' " \
              f"({_v(r, 'tableDetermination')})"
        if via not in links[iri].via:
            links[iri].via.append(via)
        _add_evidence(links[iri], _evidence(r))
    policies = sorted({link.policy for link in links.values() if link.policy})
    policy = in_effect[policies[0]] if len(policies) == 1 else None
    warnings = [] if links else [f"{code} is listed by no code table of a policy in effect on {day.isoformat()}; "
                                 "trace a check (--cpt, --icd, an age) to see the default rule that decides it"]
    return Trace(f"code {code} on {day.isoformat()}", None, None, policy, list(links.values()), warnings)


# -- rendering -----------------------------------------------------------------------------------------

def render(trace: Trace, fmt: str) -> str | bytes:
    """The chain in one of FORMATS (svg as bytes; needs Graphviz's dot program)."""
    if fmt == "json":
        return json.dumps(trace.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(trace)
    if fmt in ("dot", "svg"):
        return _graphviz(trace, fmt)
    return _table(trace)


def _one_line(text: str | None, width: int = 0) -> str:
    flat = " ".join((text or "").split())
    return textwrap.shorten(flat, width, placeholder="…") if width and len(flat) > width else flat


def _header(trace: Trace) -> list[str]:
    lines = [f"Trace: {trace.question}"]
    if trace.determination:
        lines.append(f"Determination: {trace.determination}")
    if trace.reason:
        lines.append(f"Reason: {trace.reason}")
    if trace.policy:
        p = trace.policy
        title = f" {p['title']}" if p.get("title") else ""
        lines.append(f"Policy: {p.get('id')}{title} (effective {p.get('effective_date')}) {p.get('iri')}")
    return lines


def _table(trace: Trace) -> str:
    from .formatting import rich_table

    out = io.StringIO()
    out.write("\n".join(_header(trace)) + "\n")
    for n, link in enumerate(trace.links, start=1):
        out.write(f"\n[{n}] Statement ({link.determination}): {link.label}\n    {link.statement}\n")
        for via in link.via:
            out.write(f"    via: {via}\n")
        if link.passage:
            out.write(f"    source: {link.passage.where()}\n    \u201c{_one_line(link.passage.quote)}\u201d\n")
        rows = [{"work": e.label, "type": e.type or "", "stance": e.stance, "page": e.page or "",
                 "policy's sentence": _one_line(e.sentence, 160)} for e in link.evidence]
        if rows:
            out.write(rich_table(rows, ["work", "type", "stance", "page", "policy's sentence"]))
        else:
            out.write("    no cited works\n")
    for w in trace.warnings:
        out.write(f"Warning: {w}\n")
    return out.getvalue()


def _markdown(trace: Trace) -> str:
    def cell(text: Any) -> str:
        return _one_line(str(text) if text is not None else "").replace("|", "\\|")

    lines = [f"# {_header(trace)[0]}", ""]
    lines += [f"**{h.split(':', 1)[0]}:**{h.split(':', 1)[1]}  " for h in _header(trace)[1:]]
    for link in trace.links:
        lines += ["", f"## {cell(link.label)}", "", f"- Determination: `{link.determination}`",
                  f"- Statement: <{link.statement}>"]
        lines += [f"- Via: {cell(v)}" for v in link.via]
        if link.passage:
            lines += [f"- Source: {cell(link.passage.where())}", "", f"> {cell(link.passage.quote)}"]
        if link.evidence:
            lines += ["", "| Work | Type | Stance | Page | Policy's sentence |", "|---|---|---|---|---|"]
            lines += [f"| {cell(e.label)} | {cell(e.type)} | {e.stance} | {cell(e.page)} | {cell(e.sentence)} |"
                      for e in link.evidence]
    lines += ["", *[f"_Warning: {cell(w)}_" for w in trace.warnings]] if trace.warnings else []
    return "\n".join(lines) + "\n"


def _graphviz(trace: Trace, fmt: str) -> str | bytes:
    try:
        import graphviz
    except ModuleNotFoundError:
        raise PolicyKGError("drawing a trace needs the Python package 'graphviz' (pip install graphviz)") from None

    def wrap(text: str | None, width: int = 48, limit: int = 240) -> str:
        return "\n".join(textwrap.wrap(_one_line(text, limit), width)) or " "

    g = graphviz.Digraph("trace", graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                         node_attr={"shape": "box", "style": "rounded", "fontname": "Helvetica", "fontsize": "10"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    g.node("q", wrap(f"{trace.question}\n{trace.determination or ''}", 60), shape="doubleoctagon")
    for i, link in enumerate(trace.links):
        s = f"s{i}"
        g.node(s, wrap(f"{link.label} [{link.determination}]"), tooltip=link.statement)
        g.edge("q", s, label=wrap("; ".join(link.via), 40, 120) if link.via else "decided by")
        if link.passage:
            g.node(f"p{i}", wrap(f"\u201c{link.passage.quote}\u201d\n{link.passage.where()}"), shape="note")
            g.edge(s, f"p{i}", label="quoted from")
        for j, e in enumerate(link.evidence):
            w = f"w{i}_{j}"
            g.node(w, wrap(f"{e.label} ({e.type or 'work'})\n{e.sentence or ''}"), tooltip=e.work)
            g.edge(s, w, label=e.stance, color=STANCE_COLOURS.get(e.stance, "black"),
                   fontcolor=STANCE_COLOURS.get(e.stance, "black"))
    if fmt == "dot":
        return g.source
    try:
        return g.pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise PolicyKGError("SVG needs Graphviz's 'dot' program, which is not installed (e.g. apt-get install "
                            "graphviz); --format dot writes the drawing's source without it") from None
