"""The Coding Information tables of a parsed policy as pkg:CodeTable / pkg:CodeList / pkg:CodeListEntry.

The parser gives one table per column header (a CPT table, then an ICD-10-CM table, under one title); the
shipped graph has one pkg:CodeTable per title and determination with a procedure and a diagnosis list. So
consecutive parser tables with the same group heading, determination and title become one pkg:CodeTable.
Three things are inferred, not printed, and each is said in a ``skos:note`` on the table:

* a table with diagnosis codes only (the "Considered Not Medically Necessary" ICD-10-CM table whose title is
  inherited) bills the procedure codes of the table of the same title above it;
* "All other codes" is ``pkg:otherThan`` the other diagnosis lists of the same title (else of the document);
* the statements a table applies to: those with the table's determination; narrowed to the statement owning
  an indication that contains every word of the table's title ("Lumbar Puncture" -> "guidance for lumbar
  puncture", also recorded as ``pkg:appliesToIndication``), else to statements whose topic heading shares a
  word with the title (nested GUIDELINES headings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdflib import RDFS, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from ..namespaces import CPT, ICD, PKG
from .policy_citing import words
from .policy_model import CodeRow, CodeSystem, CodeTable, RowKind
from .policy_rdf import CPT_SCHEME, DETERMINATIONS, HCPCS, HCPCS_SCHEME, slug

if TYPE_CHECKING:
    from .policy_rdf import RdfWriter

_PROCEDURE = {CodeSystem.CPT: (CPT, PKG.CPTCode, CPT_SCHEME), CodeSystem.HCPCS: (HCPCS, PKG.HCPCSCode, HCPCS_SCHEME)}


def _groups(tables: tuple[CodeTable, ...]) -> list[list[CodeTable]]:
    groups: list[list[CodeTable]] = []
    for table in tables:
        head = groups[-1][0] if groups else None
        if head is not None and (head.determination, head.title, head.group_heading) == (
                table.determination, table.title, table.group_heading):
            groups[-1].append(table)
        else:
            groups.append([table])
    return groups


def add_code_tables(w: RdfWriter, statements: list[URIRef]) -> None:
    """Every code table of the document (see the module docstring for what is inferred)."""
    procedure_lists: dict[str | None, list[URIRef]] = {}
    diagnosis_lists: list[tuple[str | None, URIRef]] = []
    pending_other: list[tuple[URIRef, str | None, URIRef]] = []  # (entry, title, its own list)
    for k, group in enumerate(_groups(w.doc.code_tables), start=1):
        head = group[0]
        table = w.iris.item(f"table-{k}")
        w.fact(table, (PKG.CodeTable, OWL.NamedIndividual), head.provenance)
        w.add(w.iris.policy, PKG.hasCodeTable, table)
        w.add(table, RDFS.label, Literal(f"{head.title or 'Codes'}: {head.group_heading}", lang="en"))
        w.add(table, PKG.order, Literal(k))
        w.add(table, PKG.determination, DETERMINATIONS[head.determination])
        notes: list[str] = []
        has_procedures = False
        seen: dict[CodeSystem, int] = {}
        for part in group:
            if part.system is CodeSystem.ICD_10_PCS:
                w.finding("unsupported-code-system", str(table), "ICD-10-PCS tables are not modelled: skipped")
                continue
            seen[part.system] = seen.get(part.system, 0) + 1
            name = slug(part.system.value) + "-codes" + (f"-{seen[part.system]}" if seen[part.system] > 1 else "")
            code_list = URIRef(f"{table}/{name}")
            w.fact(code_list, (PKG.CodeList, OWL.NamedIndividual), part.provenance)
            w.add(code_list, RDFS.label, Literal(f"{head.title or 'Codes'} {part.system.value} codes", lang="en"))
            if part.system is CodeSystem.ICD_10_CM:
                w.add(table, PKG.diagnosisCodeList, code_list)
                diagnosis_lists.append((head.title, code_list))
            else:
                w.add(table, PKG.procedureCodeList, code_list)
                procedure_lists.setdefault(head.title, []).append(code_list)
                has_procedures = True
            for order, row in enumerate(part.rows, start=1):
                entry = _entry(w, code_list, part.system, row, order)
                if entry is not None and row.kind is RowKind.ALL_OTHER:
                    pending_other.append((entry, head.title, code_list))
        if not has_procedures and procedure_lists.get(head.title):
            for code_list in procedure_lists[head.title]:
                w.add(table, PKG.procedureCodeList, code_list)
            notes.append(f"procedure codes taken from the table titled {head.title!r} above (title inherited)")
        elif not has_procedures:
            w.finding("table-without-procedures", str(table), "no procedure codes: coverage checks cannot reach it")
        notes.append(_applies_to(w, table, head, statements))
        w.add(table, SKOS.note, Literal("inferred: " + "; ".join(notes), lang="en"))
    for entry, title, own in pending_other:
        others = [lst for t, lst in diagnosis_lists if t == title and lst != own] or [
            lst for _, lst in diagnosis_lists if lst != own]
        for lst in others:
            w.add(entry, PKG.otherThan, lst)


def _entry(w: RdfWriter, code_list: URIRef, system: CodeSystem, row: CodeRow, order: int) -> URIRef | None:
    if row.kind is RowKind.ALL_OTHER:
        entry = URIRef(f"{code_list}/all-other-codes")
        w.fact(entry, (PKG.AllOtherCodes, OWL.NamedIndividual), row.provenance)
    elif row.kind is RowKind.RANGE:
        entry = URIRef(f"{code_list}/entry-{row.code}")
        w.fact(entry, (PKG.CodeRange, OWL.NamedIndividual), row.provenance)
        w.add(entry, SKOS.notation, Literal(row.code))
        if system is CodeSystem.ICD_10_CM:
            w.add(entry, PKG.firstCode, ICD[row.start or ""])
            w.add(entry, PKG.lastCode, ICD[row.end or ""])
        else:
            w.finding("range-not-expanded", row.code or "", f"{system.value} ranges are not expanded (no release)")
    else:
        entry = URIRef(f"{code_list}/entry-{row.code}")
        w.fact(entry, (PKG.CodeListEntry, OWL.NamedIndividual), row.provenance)
        w.add(entry, SKOS.notation, Literal(row.code))
        code = row.code or ""
        if system is CodeSystem.ICD_10_CM:
            w.add(entry, PKG.includesCode, ICD[code])
        else:
            namespace, cls, scheme = _PROCEDURE[system]
            node = namespace[code]
            w.add(entry, PKG.includesCode, node)
            w.add(node, RDF.type, cls)
            w.add(node, RDF.type, OWL.NamedIndividual)
            w.add(node, SKOS.notation, Literal(code))
            w.add(node, SKOS.inScheme, scheme)
            w.add(node, SKOS.prefLabel, Literal(row.description.rstrip(" ;"), lang="en"))
    w.add(code_list, PKG.hasEntry, entry)
    w.add(entry, PKG.order, Literal(order))
    w.add(entry, RDFS.label, Literal(row.description or "All other codes", lang="en"))
    return entry


def _applies_to(w: RdfWriter, table: URIRef, head: CodeTable, statements: list[URIRef]) -> str:
    """Link the table to its statements; return the note saying how they were chosen."""
    doc = w.doc
    candidates = [i for i, s in enumerate(doc.statements) if s.determination is head.determination]
    if not candidates:
        w.finding("table-without-statement", str(table),
                  f"no statement has the table's determination ({head.determination.value})")
        return "no statement with the table's determination"
    title = words(head.title or "")
    by_indication = [(i, j) for i in candidates for j, c in enumerate(doc.statements[i].criteria, start=1)
                     if title and title <= words(c.indication)]
    if by_indication:
        for i, j in by_indication:
            w.add(table, PKG.appliesToStatement, statements[i])
            w.add(table, PKG.appliesToIndication, URIRef(f"{statements[i]}/indication-{j}"))
        names = ", ".join(repr(doc.statements[i].criteria[j - 1].indication) for i, j in by_indication)
        return f"applies to the statement(s) with the indication(s) {names}, which contain the title's words"
    by_topic = [i for i in candidates if title & words(" ".join(doc.statements[i].topic_path))]
    chosen = by_topic or candidates
    for i in chosen:
        w.add(table, PKG.appliesToStatement, statements[i])
    how = "whose topic heading shares a word with the title" if by_topic else "with the same determination"
    return f"applies to the {len(chosen)} statement(s) {how}"
