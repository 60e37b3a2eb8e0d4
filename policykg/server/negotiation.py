"""Content negotiation: which serialisation a client gets, from its Accept header (RFC 9110 q-values).

The offers are listed in the server's order of preference, which breaks ties: JSON for SELECT and ASK,
Turtle for CONSTRUCT and DESCRIBE. `*/*` or no Accept header gets the first offer; an Accept header that
matches none of the offers is a 406, not a guess.
"""

from __future__ import annotations

# media type -> format name, in the server's order of preference
RESULT_OFFERS: dict[str, str] = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_OFFERS: dict[str, str] = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/x-turtle": "turtle",
    "text/plain": "nt",
    "application/xml": "rdfxml",
    "application/json": "jsonld",
}
# format name -> Content-Type of the response
CONTENT_TYPES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


def offers_for(form: str) -> dict[str, str]:
    return GRAPH_OFFERS if form in ("CONSTRUCT", "DESCRIBE") else RESULT_OFFERS


def _parse_accept(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(f[2:])))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(media: str, ranges: list[tuple[str, float]]) -> float:
    """q of the most specific range matching `media` (exact > type/* > */*); 0 when none matches."""
    main = media.split("/")[0]
    best_specificity, q = -1, 0.0
    for rng, rq in ranges:
        if rng == media:
            specificity = 2
        elif rng == f"{main}/*":
            specificity = 1
        elif rng == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, q = specificity, rq
    return q


def choose(accept: str | None, offers: dict[str, str]) -> str | None:
    """The format name to answer with, or None when the client accepts none of the offers (406)."""
    if not accept or not accept.strip():
        return next(iter(offers.values()))
    ranges = _parse_accept(accept)
    best, best_q = None, 0.0
    for media, fmt in offers.items():
        q = _quality(media, ranges)
        if q > best_q:
            best, best_q = fmt, q
    return best

