"""Rendering results for people (rich tables) and programs (JSON, CSV, TSV, RDF)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .sparql import term_value

RDF_FORMATS = {
    "turtle": ("TURTLE", "text/turtle"),
    "nt": ("N_TRIPLES", "application/n-triples"),
    "jsonld": ("JSON_LD", "application/ld+json"),
    "xml": ("RDF_XML", "application/rdf+xml"),
    "trig": ("TRIG", "application/trig"),
    "nq": ("N_QUADS", "application/n-quads"),
}


def rows_to_plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: term_value(v) for k, v in r.items()} for r in rows]


def render_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str, title: str | None = None) -> str:
    """SELECT rows (rdflib terms) in one of the tabular formats."""
    plain = rows_to_plain(rows)
    if fmt == "json":
        return json.dumps({"columns": columns, "rows": plain}, indent=2, ensure_ascii=False, default=str)
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        for r in plain:
            writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
        return buf.getvalue()
    return rich_table(plain, columns, title)


def rich_table(plain: list[dict[str, Any]], columns: list[str], title: str | None = None) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in plain:
        table.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in columns])
    console = Console(file=io.StringIO(), width=160, force_terminal=False, color_system=None)
    console.print(table)
    console.print(f"{len(plain)} row(s)")
    return console.file.getvalue()  # type: ignore[attr-defined]


def render_check(result: dict[str, Any], fmt: str) -> str:
    """A coverage check result as JSON or as a short report."""
    if fmt == "json":
        return json.dumps(result, indent=2, ensure_ascii=False, default=str)
    lines = [f"Determination: {result['determination']}"]
    pol = result.get("policy")
    if pol:
        lines.append(f"Policy: {pol['id']} {pol['title']} (effective {pol['effective_date']})")
    lines.append(f"Reason: {result['reason']}")
    for s in result.get("statements", []):
        page = f", page {s['page']}{' (estimated)' if s.get('page_estimated') else ''}" if s.get("page") else ""
        lines.append(f"Statement: {s['label']} [{s['section']}{page}]")
        if s.get("quote"):
            lines.append(f"  \u201c{s['quote']}\u2026\u201d")
    lines.append("Codes:")
    for c in result.get("codes", []):
        listed = f"listed as {', '.join(c['list_entries'])}" if c.get("list_entries") else (
            "listed" if c.get("listed") else "not listed")
        lines.append(f"  {c['code']} ({c['system']}) {c.get('label') or ''} - {listed}")
        if c.get("indications"):
            lines.append(f"    serves (curated): {'; '.join(c['indications'])}")
    if result.get("evidence"):
        lines.append("Evidence:")
        for e in result["evidence"]:
            lines.append(f"  {e['label']} [{e['stance']}] {e.get('type') or ''}")
    for w in result.get("warnings", []):
        lines.append(f"Warning: {w}")
    return "\n".join(lines) + "\n"
