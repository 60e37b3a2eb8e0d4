"""A user's RDF file, read safely, as N-Quads for one named graph of the store (`policykg load`).

Why this much care: the file is untrusted, and the usual parsers do things with it that must not happen here.
rdflib fetches JSON-LD @context URLs (http and file) and expands XML entities (a 751-byte "billion laughs"
file keeps it busy for minutes; external entities silently become empty strings); owlready2 follows
owl:imports over HTTP. So the file is parsed by pyoxigraph, which fetches nothing (measured: remote JSON-LD
contexts are an error, external entities are refused) — but which does expand internal XML entities
(a billion-laughs file became a 100 MB literal in 1.7 s) and crashes on JSON nested ~4,000 deep. Hence,
before pyoxigraph sees a byte:

- the path must be a local regular file (not a URL, directory, FIFO or device), non-empty, under a size cap,
  and UTF-8 (a BOM is dropped);
- RDF/XML with a DOCTYPE or ENTITY declaration is refused, and the document is checked by expat for
  well-formedness and element depth; JSON-LD is checked for nesting depth and for @id values that are not
  IRIs (JSON-LD processors drop those silently);

and while pyoxigraph reads, every quad is checked: count, IRI and literal length caps, the lexical form of
literals typed with common XSD datatypes (pyoxigraph accepts "abc"^^xsd:integer), and owl:imports, which is
never followed and, unless the user asks to drop those triples, refused. Relative IRIs are an error (no base
is invented from the file's path). Every quad goes into the one target graph (named graphs of a TriG or
N-Quads file are merged into it, and the result says so); blank nodes are renamed so that they cannot
collide with other graphs of the store. Errors name the file and, where known, the line.
"""

from __future__ import annotations

import json
import re
import stat
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from policykg.errors import DataError, UsageError

FORMAT_NAMES = ("turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld")
EXTENSIONS = {".ttl": "turtle", ".turtle": "turtle", ".nt": "ntriples", ".nq": "nquads", ".trig": "trig",
              ".rdf": "rdfxml", ".owl": "rdfxml", ".xml": "rdfxml", ".jsonld": "jsonld", ".json": "jsonld"}
_OX_FORMAT = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "nquads": "N_QUADS", "trig": "TRIG", "rdfxml": "RDF_XML",
              "jsonld": "JSON_LD"}
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
XSD = "http://www.w3.org/2001/XMLSchema#"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(//|[^\\])")  # http://..., file:/..., urn:... (not C:\ paths)
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")


class RdfFileError(DataError):
    """A file that cannot be loaded; the message starts with the file name (and line, where known)."""


@dataclass(frozen=True)
class FileLimits:
    """Caps on what one file may bring. Generous for real vocabularies, small enough to refuse abuse."""

    max_bytes: int = 64 * 1024 * 1024
    max_quads: int = 2_000_000
    max_literal_chars: int = 100_000
    max_iri_chars: int = 4096
    max_xml_depth: int = 100
    max_json_depth: int = 100


@dataclass
class ParsedFile:
    """What a file brought, ready for the store: N-Quads of one graph and what was done on the way."""

    nquads: bytes
    triples: int
    format: str
    merged_graphs: list[str] = field(default_factory=list)  # named graphs of the file merged into the target
    dropped_imports: list[str] = field(default_factory=list)  # owl:imports targets left out (--drop-imports)


def detect_format(path: Path, fmt: str | None) -> str:
    """The format given, or the one the file name says; a UsageError if neither tells."""
    if fmt is not None:
        if fmt not in FORMAT_NAMES:
            raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMAT_NAMES)}")
        return fmt
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise UsageError(f"cannot tell the format of {path.name!r} from its extension: give --format "
                         f"({', '.join(FORMAT_NAMES)})")
    return found


def refuse_url(source: str) -> None:
    """A URL where a file is expected is a usage error: nothing is ever downloaded."""
    if _URL.match(source):
        raise UsageError(f"{source[:80]!r} is a URL: policykg loads local files only (nothing is downloaded)")


def read_source(source: str, limits: FileLimits = FileLimits()) -> tuple[Path, bytes]:
    """The bytes of a local regular file, refused with a reason for anything else."""
    refuse_url(source)
    path = Path(source)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise RdfFileError(f"{path.name}: no such file") from None
    except OSError as exc:
        raise RdfFileError(f"{path.name}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise RdfFileError(f"{path.name}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise RdfFileError(f"{path.name}: is not a regular file")
    if st.st_size == 0:
        raise RdfFileError(f"{path.name}: the file is empty")
    if st.st_size > limits.max_bytes:
        raise RdfFileError(f"{path.name}: the file is larger than {limits.max_bytes // (1024 * 1024)} MiB")
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise RdfFileError(f"{path.name}: cannot be read ({exc.strerror})") from None
    if len(data) > limits.max_bytes:  # it grew while we looked
        raise RdfFileError(f"{path.name}: the file is larger than {limits.max_bytes // (1024 * 1024)} MiB")
    return path, data


def read_rdf_file(source: str, graph: str, fmt: str | None = None, *, drop_imports: bool = False,
                  limits: FileLimits = FileLimits()) -> ParsedFile:
    """Read, check and convert one file; every quad ends up in `graph`. Raises RdfFileError or UsageError."""
    path, data = read_source(source, limits)
    fmt = detect_format(path, fmt)
    name = path.name
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RdfFileError(f"{name}:{line}: not valid UTF-8 (byte {exc.start}); only UTF-8 files are read") from None
    if not text.strip():
        raise RdfFileError(f"{name}: the file is empty")
    if fmt == "rdfxml":
        _prescan_xml(name, data, text, limits)
    elif fmt == "jsonld":
        _prescan_json(name, text, limits)
    return _convert(name, data, text, fmt, graph, drop_imports, limits)


# -- pre-scans ---------------------------------------------------------------------------------------------
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)


class _Refused(Exception):
    pass


def _prescan_xml(name: str, data: bytes, text: str, limits: FileLimits) -> None:
    """No DTD at all (so no entity of any kind), well-formed, and not absurdly deep."""
    m = _DECLARATION.search(data)
    if m:
        line = data[: m.start()].count(b"\n") + 1
        raise RdfFileError(f"{name}:{line}: XML {m.group(1).decode().upper()} declarations are refused "
                           "(entity expansion and external entities are never processed)")
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def refuse(*_: Any) -> None:
        raise _Refused("XML DOCTYPE or ENTITY declarations are refused")

    def start(*_: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > limits.max_xml_depth:
            raise _Refused(f"XML elements nest deeper than {limits.max_xml_depth} levels")

    def end(*_: Any) -> None:
        nonlocal depth
        depth -= 1

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise RdfFileError(f"{name}:{parser.CurrentLineNumber}: {exc}") from None
    except xml.parsers.expat.ExpatError as exc:
        raise RdfFileError(f"{name}:{exc.lineno}: not well-formed XML ({xml.parsers.expat.ErrorString(exc.code)})"
                           ) from None


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def _prescan_json(name: str, text: str, limits: FileLimits) -> None:
    """Nesting depth first (pyoxigraph crashes ~4,000 deep), then @id values that are not IRIs."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > limits.max_json_depth:
                line = text.count("\n", 0, m.start()) + 1
                raise RdfFileError(f"{name}:{line}: JSON nests deeper than {limits.max_json_depth} levels")
        elif c in "]}":
            depth -= 1
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise RdfFileError(f"{name}:{line}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
    has_base = '"@base"' in text
    for value in _json_ids(doc):
        if value.startswith("_:"):
            continue
        if not _ABSOLUTE_IRI.match(value) and not (has_base and not re.search(r"[\s<>\"{}|\\^`]", value)):
            line = _line_of(text, json.dumps(value)) or _line_of(text, value)
            where = f":{line}" if line else ""
            raise RdfFileError(f"{name}{where}: @id {value[:80]!r} is not an absolute IRI "
                               "(JSON-LD would drop it silently)")


def _json_ids(node: Any) -> list[str]:
    """Every string value of an "@id" key, anywhere in the document (iteratively: depth is already capped)."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "@id" and isinstance(value, str):
                    found.append(value)
                elif key != "@context":
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


# -- parsing and checking ----------------------------------------------------------------------------------
def _convert(name: str, data: bytes, text: str, fmt: str, graph: str, drop_imports: bool,
             limits: FileLimits) -> ParsedFile:
    import pyoxigraph as ox

    target = ox.NamedNode(graph)
    quads: dict[Any, None] = {}
    merged: dict[str, None] = {}
    dropped: list[str] = []
    seen = 0
    try:
        for q in ox.parse(data, getattr(ox.RdfFormat, _OX_FORMAT[fmt]), rename_blank_nodes=True):
            seen += 1
            if seen > limits.max_quads:
                raise RdfFileError(f"{name}: more than {limits.max_quads} triples")
            if isinstance(q.graph_name, ox.NamedNode | ox.BlankNode):
                merged.setdefault(str(q.graph_name), None)
            if q.predicate.value == OWL_IMPORTS:
                target_iri = q.object.value if isinstance(q.object, ox.NamedNode) else str(q.object)
                if not drop_imports:
                    raise RdfFileError(f"{name}{_where(text, target_iri)}: owl:imports <{target_iri[:120]}> is never "
                                       "followed: load the imported file itself, or pass --drop-imports")
                dropped.append(target_iri)
                continue
            _check_terms(name, text, q, limits)
            quads[ox.Quad(q.subject, q.predicate, q.object, target)] = None
    except SyntaxError as exc:
        raise RdfFileError(_syntax_message(name, text, exc)) from None
    except OSError as exc:
        raise RdfFileError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if not quads:
        raise RdfFileError(f"{name}: no triples found" + (" (only owl:imports)" if dropped else ""))
    nquads = ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS)
    return ParsedFile(nquads, len(quads), fmt, list(merged), dropped)


def _check_terms(name: str, text: str, quad: Any, limits: FileLimits) -> None:
    import pyoxigraph as ox

    for term in (quad.subject, quad.predicate, quad.object):
        if isinstance(term, ox.NamedNode) and len(term.value) > limits.max_iri_chars:
            raise RdfFileError(f"{name}: an IRI is longer than {limits.max_iri_chars} characters")
        if isinstance(term, ox.Literal):
            if len(term.value) > limits.max_literal_chars:
                raise RdfFileError(f"{name}{_where(text, term.value[:40])}: a literal is longer than "
                                   f"{limits.max_literal_chars} characters")
            problem = lexical_problem(term.value, term.datatype.value)
            if problem:
                raise RdfFileError(f"{name}{_where(text, term.value)}: invalid literal {term.value[:40]!r}^^"
                                   f"xsd:{term.datatype.value.removeprefix(XSD)}: {problem}")


def _syntax_message(name: str, text: str, exc: SyntaxError) -> str:
    message = (exc.msg or str(exc)).splitlines()[0] if (exc.msg or str(exc)) else "syntax error"
    message = re.sub(r"\s*\(line \d+\)$", "", message)
    message = re.sub(r"^Parser error (at|between) line \d+ (column \d+ and line \d+ column \d+|between columns "
                     r"\d+ and \d+|column \d+): ", "", message)
    if "LoadDocumentCallback" in message or "remote context" in message.lower():
        remote = re.search(r'"@(?:context|import)"\s*:\s*"([^"]*)"', text)
        what = f" {remote.group(1)[:120]!r}" if remote else ""
        return (f"{name}{_where(text, remote.group(1)) if remote else ''}: JSON-LD context{what} is remote: "
                "contexts are never fetched; put the context in the file")
    if "No scheme found in an absolute IRI" in message:
        message = message.replace("No scheme found in an absolute IRI", "relative IRI") + \
            " (give absolute IRIs, or @base / xml:base in the file)"
    line = exc.lineno
    if line is None:
        quoted = re.search(r"'([^']{1,200})'", message)
        line = _line_of(text, quoted.group(1)) if quoted else None
    where = f":{line}" + (f":{exc.offset}" if exc.lineno and exc.offset else "") if line else ""
    return f"{name}{where}: {message[:300]}"


def _where(text: str, needle: str) -> str:
    line = _line_of(text, needle)
    return f":{line}" if line else ""


def _line_of(text: str, needle: str) -> int | None:
    """The line of the first occurrence of `needle`: a best-effort position for errors the parser gives none."""
    if not needle:
        return None
    i = text.find(needle)
    return text.count("\n", 0, i) + 1 if i >= 0 else None


# -- lexical forms of common XSD datatypes -----------------------------------------------------------------
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DOUBLE = re.compile(r"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)")
_TZ = r"(Z|[+-]\d{2}:\d{2})?"
_DATE = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})" + _TZ)
_TIME = r"(\d{2}):(\d{2}):(\d{2})(\.\d+)?"
_DATETIME = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})T" + _TIME + _TZ)
_GYEAR = re.compile(r"-?\d{4,}" + _TZ)
_GYEARMONTH = re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])" + _TZ)
_BOUNDS = {"nonNegativeInteger": (0, None), "positiveInteger": (1, None), "nonPositiveInteger": (None, 0),
           "negativeInteger": (None, -1), "long": (-(2**63), 2**63 - 1), "int": (-(2**31), 2**31 - 1),
           "short": (-(2**15), 2**15 - 1), "byte": (-128, 127), "unsignedLong": (0, 2**64 - 1),
           "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255),
           "integer": (None, None)}


def lexical_problem(value: str, datatype: str) -> str | None:
    """Why `value` is not in the lexical space of `datatype`, or None (also for datatypes not checked here)."""
    if not datatype.startswith(XSD):
        return None
    local = datatype[len(XSD):]
    if local in _BOUNDS:
        if not _INTEGER.fullmatch(value) or len(value) > 40:
            return "not an integer"
        low, high = _BOUNDS[local]
        n = int(value)
        if (low is not None and n < low) or (high is not None and n > high):
            return f"out of range for xsd:{local}"
        return None
    checks = {"decimal": (_DECIMAL, "not a decimal number"), "double": (_DOUBLE, "not a floating-point number"),
              "float": (_DOUBLE, "not a floating-point number"), "gYear": (_GYEAR, "not a year"),
              "gYearMonth": (_GYEARMONTH, "not a year and month")}
    if local in checks:
        pattern, reason = checks[local]
        return None if pattern.fullmatch(value) else reason
    if local == "boolean":
        return None if value in ("true", "false", "1", "0") else "not true, false, 1 or 0"
    if local == "date":
        m = _DATE.fullmatch(value)
        return "not a date YYYY-MM-DD" if not m else _calendar(m.group(1), m.group(2), m.group(3))
    if local == "dateTime":
        m = _DATETIME.fullmatch(value)
        if not m:
            return "not a date-time YYYY-MM-DDThh:mm:ss"
        hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6))
        if not (hour < 24 and minute < 60 and second < 60) and (hour, minute, second) != (24, 0, 0):
            return "not a real time of day"
        return _calendar(m.group(1), m.group(2), m.group(3))
    return None


def _calendar(year: str, month: str, day: str) -> str | None:
    y = int(year)
    if not 1 <= y <= 9999:  # outside what Python's date can check: the pattern was enough
        return None if 1 <= int(month) <= 12 and 1 <= int(day) <= 31 else "not a real calendar date"
    try:
        date(y, int(month), int(day))
    except ValueError:
        return "not a real calendar date"
    return None
