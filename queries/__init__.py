"""The library of named SPARQL queries: one `.rq` file per query, header first.

Each file starts with a header of `#+ key: value` comment lines, so the file stays valid SPARQL:

    #+ summary: Statements of a policy, in the policy's order
    #+ description: (optional) longer text
    #+ param: policy iri optional -- a policy version IRI
    #+ example: policy=https://w3id.org/policykg/id/cigna/cpg038/2024-09-15/policy
    #+ tags: policy, statements

Headers are parsed strictly (an unknown key, a malformed param line, an example naming an undeclared
parameter or a value of the wrong type is an error), unlike grlc, which only warns. Parameters are bound
as typed RDF terms (initBindings / Oxigraph substitutions); they never reach the query text. The CLI and
the HTTP endpoint both read this registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

PARAM_TYPES = ("string", "iri", "decimal", "integer", "date", "boolean", "icd10cm", "procedure")
HEADER_KEYS = ("summary", "description", "param", "example", "tags")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_IRI = re.compile(r"^(https?|urn|file):[^\s<>\"{}|\\^`]+$")
MAX_PARAM_LENGTH = 2000


class QueryDefinitionError(ValueError):
    """A named query file whose header is malformed."""


class ParameterError(ValueError):
    """A parameter value that is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    description: str
    params: tuple[Param, ...]
    example: dict[str, str]
    tags: tuple[str, ...]
    text: str
    group: str = ""
    kind: str = field(default="SELECT")

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "summary": self.summary, "description": self.description, "kind": self.kind,
            "params": [{"name": p.name, "type": p.type, "required": p.required, "description": p.description}
                       for p in self.params],
            "example": self.example, "tags": list(self.tags),
        }


def _query_kind(body: str) -> str:
    stripped = re.sub(r"(?m)^\s*#.*$", "", body)
    stripped = re.sub(r"(?is)^\s*(PREFIX\s+\S*\s*<[^>]*>\s*|BASE\s*<[^>]*>\s*)*", "", stripped)
    m = re.match(r"\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", stripped, re.I)
    if not m:
        raise QueryDefinitionError("the query is not a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    return m.group(1).upper()


def parse_named_query(name: str, text: str, group: str = "") -> NamedQuery:
    """Parse a `.rq` file's header strictly; the query body is left to the SPARQL engine."""
    summary, description, tags = "", "", ()
    params: list[Param] = []
    example: dict[str, str] = {}
    body_start = 0
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.startswith("#+"):
            body_start = i
            break
        m = re.match(r"^#\+ ([a-z]+): ?(.*?)\s*$", line)
        if not m:
            raise QueryDefinitionError(f"{name}: line {i + 1}: header lines look like '#+ key: value'")
        key, value = m.group(1), m.group(2)
        if key not in HEADER_KEYS:
            raise QueryDefinitionError(f"{name}: line {i + 1}: unknown header key {key!r}")
        if key == "summary":
            summary = value
        elif key == "description":
            description = (description + " " + value).strip()
        elif key == "tags":
            tags = tuple(t.strip() for t in value.split(",") if t.strip())
        elif key == "param":
            pm = re.match(r"^([a-z][a-z0-9_]*) (\w+) (required|optional) -- (.+)$", value)
            if not pm:
                raise QueryDefinitionError(
                    f"{name}: line {i + 1}: param lines look like 'NAME TYPE required|optional -- description'")
            if pm.group(2) not in PARAM_TYPES:
                raise QueryDefinitionError(f"{name}: line {i + 1}: unknown parameter type {pm.group(2)!r}")
            if any(p.name == pm.group(1) for p in params):
                raise QueryDefinitionError(f"{name}: line {i + 1}: parameter {pm.group(1)!r} declared twice")
            params.append(Param(pm.group(1), pm.group(2), pm.group(3) == "required", pm.group(4)))
        elif key == "example":
            for pair in value.split():
                if "=" not in pair:
                    raise QueryDefinitionError(f"{name}: line {i + 1}: example values look like key=value")
                k, v = pair.split("=", 1)
                example[k] = v
    else:
        raise QueryDefinitionError(f"{name}: the file has a header but no query")
    if not summary:
        raise QueryDefinitionError(f"{name}: the header has no '#+ summary:'")
    if "#+" in "".join(lines[body_start:]).split("\n", 1)[0]:
        raise QueryDefinitionError(f"{name}: header lines must come first")
    body = "".join(lines[body_start:])
    for pname in example:
        if not any(p.name == pname for p in params):
            raise QueryDefinitionError(f"{name}: the example names an undeclared parameter {pname!r}")
    missing = [p.name for p in params if p.required and p.name not in example]
    if missing:
        raise QueryDefinitionError(f"{name}: the example lacks required parameter(s) {', '.join(missing)}")
    if params and not _WHERE.search(body):
        raise QueryDefinitionError(f"{name}: a query with parameters needs a WHERE clause")
    for p in params:
        if not re.search(r"\?" + p.name + r"\b", body):
            raise QueryDefinitionError(f"{name}: parameter {p.name!r} is not used as ?{p.name} in the query")
    nq = NamedQuery(name, summary, description, tuple(params), example, tags, body, group, _query_kind(body))
    for k, v in example.items():
        try:
            to_term(nq.param(k), v)  # type: ignore[arg-type]
        except ParameterError as exc:
            raise QueryDefinitionError(f"{name}: example: {exc}") from None
    return nq


@cache
def registry(group: str = "") -> dict[str, NamedQuery]:
    """All named queries of a group ('' for the main library, 'qc' for quality-control queries)."""
    root = resources.files("policykg.queries")
    if group:
        root = root.joinpath(group)
    out: dict[str, NamedQuery] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name.removesuffix(".rq")
            out[name] = parse_named_query(name, entry.read_text(encoding="utf-8"), group)
    return out


def source_text(name: str, group: str = "") -> str:
    """A named query's file as written (header included), without parsing the library: for hashing."""
    root = resources.files("policykg.queries")
    if group:
        root = root.joinpath(group)
    entry = root.joinpath(f"{name}.rq")
    if not entry.is_file():
        get(name, group)  # the usual error, with suggestions
    return entry.read_text(encoding="utf-8")


def get(name: str, group: str = "") -> NamedQuery:
    queries = registry(group)
    if name not in queries:
        close = [n for n in queries if name.replace("_", "-") in n or n in name]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else " (see `policykg query --list`)"
        raise ParameterError(f"unknown query {name!r}{hint}")
    return queries[name]


def to_term(param: Param, value: str) -> Any:
    """A parameter value as a typed RDF term, or a ParameterError naming what is wrong with it."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    if len(value) > MAX_PARAM_LENGTH:
        raise ParameterError(f"parameter {param.name!r} is longer than {MAX_PARAM_LENGTH} characters")
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ParameterError(f"parameter {param.name!r} contains control characters")
    if param.type == "string":
        return Literal(value)
    if param.type in ("icd10cm", "procedure"):
        # the same documented normalisation as `check` (q054 -> Q05.4), so a query never silently misses
        from policykg.codes import normalize_icd, normalize_procedure
        from policykg.errors import UsageError

        try:
            return Literal(normalize_icd(value) if param.type == "icd10cm" else normalize_procedure(value))
        except UsageError as exc:
            raise ParameterError(f"parameter {param.name!r}: {exc}") from None
    if param.type == "iri":
        if not _IRI.match(value):
            raise ParameterError(f"parameter {param.name!r} must be an absolute IRI, got {value[:80]!r}")
        return URIRef(value)
    if param.type == "decimal":
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise ParameterError(f"parameter {param.name!r} must be a decimal number, got {value[:80]!r}") from None
        if not d.is_finite():
            raise ParameterError(f"parameter {param.name!r} must be a finite number")
        return Literal(d, datatype=XSD.decimal)
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            raise ParameterError(f"parameter {param.name!r} must be an integer, got {value[:80]!r}")
        return Literal(int(value), datatype=XSD.integer)
    if param.type == "date":
        try:
            return Literal(date.fromisoformat(value), datatype=XSD.date)
        except ValueError:
            raise ParameterError(f"parameter {param.name!r} must be a date YYYY-MM-DD, got {value[:80]!r}") from None
    if param.type == "boolean":
        if value not in ("true", "false"):
            raise ParameterError(f"parameter {param.name!r} must be true or false")
        return Literal(value == "true", datatype=XSD.boolean)
    raise ParameterError(f"unsupported parameter type {param.type}")


def bind(query: NamedQuery, values: dict[str, str]) -> dict[str, Any]:
    """Check and convert parameter values: unknown names, missing required ones and bad types are errors."""
    for key in values:
        if query.param(key) is None:
            known = ", ".join(p.name for p in query.params) or "none"
            raise ParameterError(f"query {query.name!r} has no parameter {key!r} (parameters: {known})")
    out: dict[str, Any] = {}
    for p in query.params:
        if p.name in values:
            out[p.name] = to_term(p, values[p.name])
        elif p.required:
            raise ParameterError(f"query {query.name!r} needs parameter {p.name!r} ({p.type}): {p.description}")
    return out


_WHERE = re.compile(r"\bWHERE\s*\{", re.I)


def bound_text(query: NamedQuery, bindings: dict[str, Any]) -> str:
    """The query with its parameters bound by a VALUES block at the top of its WHERE clause.

    The values are RDF terms made by `to_term` (validated, typed) and written with rdflib's N3 escaping,
    never user text: this is binding, not pasting. A VALUES block at the top of the WHERE clause scopes
    the values over the whole pattern, EXISTS filters included, on every engine: Oxigraph (whose
    substitutions only accept projected variables), rdflib, and remote endpoints alike.
    """
    if not bindings:
        return query.text
    m = _WHERE.search(query.text)
    if m is None:
        raise QueryDefinitionError(f"{query.name}: parameters need a WHERE clause to bind into")
    names = sorted(bindings)
    row = " ".join(bindings[n].n3() for n in names)
    block = "\n  VALUES (" + " ".join("?" + n for n in names) + ") { (" + row + ") }\n"
    return query.text[: m.end()] + block + query.text[m.end():]
