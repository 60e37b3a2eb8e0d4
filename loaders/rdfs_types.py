"""Assert the superclass types of policy resources, so queries need no `a/rdfs:subClassOf*` closure.

A CPT code is typed pkg:CPTCode in the data; a query for pkg:ProcedureCode would need the property path
`a/rdfs:subClassOf*`. Oxigraph evaluates that well, but Virtuoso 7.2 returns no rows when such a closure is
joined with other patterns (seen in tests/integration), so the same named query gave different answers
embedded and remote. Materialising the (few hundred) superclass types of our own classes at load time is
the portable answer: a small, explicit RDFS subclass step over pkg: classes only, recorded here.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, URIRef

PKG_NS = "https://w3id.org/policykg/ns#"


def superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """For every pkg: class, its pkg: superclasses (transitively, itself excluded)."""
    direct: dict[URIRef, set[URIRef]] = {}
    for c, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(c, URIRef) and isinstance(sup, URIRef) and str(sup).startswith(PKG_NS):
            direct.setdefault(c, set()).add(sup)
    closed: dict[URIRef, set[URIRef]] = {}
    for c in direct:
        seen: set[URIRef] = set()
        todo = list(direct[c])
        while todo:
            s = todo.pop()
            if s not in seen:
                seen.add(s)
                todo.extend(direct.get(s, ()))
        seen.discard(c)
        closed[c] = seen
    return closed


def add_superclass_types(graph: Graph, ontology: Graph) -> int:
    """Add rdf:type S for every resource typed C where C ⊑ S (pkg: classes); returns how many were added."""
    table = superclasses(ontology)
    added = 0
    for s, c in list(graph.subject_objects(RDF.type)):
        for sup in table.get(c, ()):  # type: ignore[call-overload]
            if (s, RDF.type, sup) not in graph:
                graph.add((s, RDF.type, sup))
                added += 1
    return added
