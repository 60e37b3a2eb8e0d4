"""The SPARQL 1.1 Service Description, answered at GET /sparql without a query.

It says what a client can rely on: SPARQL 1.1 Query only (no Update, no SERVICE), the union of the named
graphs as the default graph, the result formats, and the named graphs with their sizes (voiD triples).
"""

from __future__ import annotations

from typing import Any

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML")


def service_description(endpoint: str, graphs: dict[str, int], union_default_graph: bool) -> list[Any]:
    """The description as pyoxigraph triples (serialised by the caller in the negotiated format)."""
    import pyoxigraph as ox

    def iri(value: str) -> Any:
        return ox.NamedNode(value)

    service, dataset, default = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    a = iri(RDF_TYPE)
    triples = [
        ox.Triple(service, a, iri(SD + "Service")),
        ox.Triple(service, iri(SD + "endpoint"), iri(endpoint)),
        ox.Triple(service, iri(SD + "supportedLanguage"), iri(SD + "SPARQL11Query")),
        ox.Triple(service, iri(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, a, iri(SD + "Dataset")),
        ox.Triple(dataset, iri(SD + "defaultGraph"), default),
        ox.Triple(default, a, iri(SD + "Graph")),
    ]
    if union_default_graph:
        triples.append(ox.Triple(service, iri(SD + "feature"), iri(SD + "UnionDefaultGraph")))
        triples.append(ox.Triple(default, iri(VOID + "triples"), ox.Literal(str(sum(graphs.values())),
                                                                            datatype=iri(_XSD_INTEGER))))
    for fmt in RESULT_FORMATS:
        triples.append(ox.Triple(service, iri(SD + "resultFormat"), iri(FORMATS + fmt)))
    for name, size in sorted(graphs.items()):
        node, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, iri(SD + "namedGraph"), node),
            ox.Triple(node, a, iri(SD + "NamedGraph")),
            ox.Triple(node, iri(SD + "name"), iri(name)),
            ox.Triple(node, iri(SD + "graph"), graph),
            ox.Triple(graph, a, iri(SD + "Graph")),
            ox.Triple(graph, iri(VOID + "triples"), ox.Literal(str(size), datatype=iri(_XSD_INTEGER))),
        ]
    return triples


_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
PREFIXES = {"sd": SD, "void": VOID, "formats": FORMATS}
