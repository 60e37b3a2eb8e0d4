"""A lexical guard that every ad-hoc query passes before any SPARQL engine parses it.

Why lexical: the engines are the thing being protected. pyoxigraph and the Oxigraph server follow SERVICE
even when read-only, rdflib Datasets dereference FROM <url>, deeply nested queries and very long expressions
crash pyoxigraph's parser (a segfault at ~2,500 nested groups or a 10,000-term sum), and long property paths
run for minutes. So, before any engine sees the text, the guard:

- caps size (64 KiB), tokens, bracket nesting, operators (expression terms) and property-path length;
- decodes ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes first, as rdflib does before parsing (so ``\\u0053ERVICE``
  is seen as SERVICE), and checks the decoded text;
- refuses SPARQL Update and LOAD, SERVICE in any spelling and position (SILENT, variable endpoint, inside
  EXISTS or a subquery), FROM / FROM NAMED that name anything but a graph of the store, and two queries in
  one text;
- refuses REGEX / REPLACE patterns, written as literals, of the shapes that make backtracking engines
  (Python's re, used by rdflib) take exponential time or make pyoxigraph's regex compilation hang: a
  quantified group that itself contains a quantifier or an alternation, counted repetition above
  MAX_REGEX_REPEAT, back-references, very long patterns.

What the guard cannot see: patterns computed at run time (``REGEX(?o, CONCAT(...))``), cartesian products,
unanchored closures, or any other query that is merely expensive. Those are bounded where the query runs:
the CLI runs ad-hoc queries in a killable worker process with time, memory and row limits (policykg.worker),
the endpoint in its own worker pool. The guard is the first line, not the only one.

API (stable, used by the endpoint): ``guard_query(text, known_graphs) -> GuardedQuery``; refusals raise
``QueryRefused(message, status)`` where `status` is the HTTP status the endpoint answers with.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from .errors import UsageError

MAX_QUERY_BYTES = 64 * 1024
MAX_NESTING = 64
MAX_TOKENS = 20_000
MAX_OPERATORS = 1_000  # expression terms: arithmetic, comparison, logical and path operators in the whole query
MAX_PATH_STEPS = 32  # '/' and '|' in one property path
MAX_REGEX_LENGTH = 512
MAX_REGEX_REPEAT = 100

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
PATTERN_FUNCTIONS = {"REGEX", "REPLACE"}  # the pattern is their second argument
OPERATORS = {"||", "&&", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "|", "^", "!"}
_PATH_BREAKERS = {"var", "number", "string", "open_brace", "close_brace", "punct"}

# rdflib's expandUnicodeEscapes (plugins/sparql/parser.py), applied before rdflib parses: mirror it exactly
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", re.I)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::[A-Za-z0-9_\-.%]*)?|:[A-Za-z0-9_\-.%]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<op>\|\||&&|!=|<=|>=|\^\^|[=<>+\-*/|^!])
  | (?P<open_brace>\{)
  | (?P<close_brace>\})
  | (?P<open>[(\[])
  | (?P<close>[)\]])
  | (?P<punct>[.,;])
  | (?P<other>.)
    """,
    re.X | re.S,
)
_STRING_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class QueryRefused(UsageError):
    """A query the guard will not let through; `status` is the HTTP status the endpoint answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GuardedQuery:
    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    from_graphs: tuple[str, ...]


def guard_query(text: str | bytes, known_graphs: Container[str] | None = None) -> GuardedQuery:
    """Check an ad-hoc query; raise QueryRefused with a one-line reason, or return what was found.

    `known_graphs` are the store's named graphs that FROM / FROM NAMED may name (None: none may). Any
    container works; it is only asked about IRIs that follow FROM, so a lazy one costs nothing otherwise.
    The returned text is the text given, unchanged: the checks ran on its escape-decoded form.
    """
    original = _as_text(text)
    decoded = _decode_escapes(original)
    if "\x00" in decoded:
        raise QueryRefused("query contains a NUL character")
    form, from_graphs = _scan(decoded, known_graphs)
    return GuardedQuery(original, form, tuple(from_graphs))


def _as_text(text: str | bytes) -> str:
    """Size first (cheaply, before decoding anything), then UTF-8 validity."""
    if isinstance(text, bytes):
        if len(text) > MAX_QUERY_BYTES:
            raise QueryRefused(f"query is larger than {MAX_QUERY_BYTES // 1024} KiB", 413)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryRefused(f"query is not valid UTF-8 (byte {exc.start})") from None
    if not isinstance(text, str):
        raise QueryRefused("query must be text")
    if len(text) > MAX_QUERY_BYTES:  # every character is at least one byte
        raise QueryRefused(f"query is larger than {MAX_QUERY_BYTES // 1024} KiB", 413)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # lone surrogates, e.g. from a surrogateescape'd argv
        raise QueryRefused(f"query is not valid UTF-8 (character {exc.start})") from None
    if size > MAX_QUERY_BYTES:
        raise QueryRefused(f"query is larger than {MAX_QUERY_BYTES // 1024} KiB", 413)
    if not text.strip():
        raise QueryRefused("query is empty")
    return text


def _decode_escapes(text: str) -> str:
    """The text as rdflib's parser sees it (codepoint escapes expanded once, anywhere in the text)."""

    def expand(m: re.Match[str]) -> str:
        try:
            char = chr(int(m.group(1), 16))
        except (ValueError, OverflowError):
            raise QueryRefused(f"invalid unicode escape \\u{m.group(1)[:8]}") from None
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise QueryRefused(f"unicode escape \\u{m.group(1)} is a lone surrogate")
        return char

    return _UNICODE_ESCAPE.sub(expand, text)


@dataclass
class _Call:
    """A REGEX / REPLACE call being read: the depth of its arguments, which argument, at its first token?"""

    depth: int
    arg: int = 1
    first: bool = True


def _scan(text: str, known_graphs: Container[str] | None) -> tuple[str, list[str]]:
    depth = tokens = operators = path_steps = 0
    form: str | None = None
    prev_word = ""
    from_graphs: list[str] = []
    expect_from_iri = False
    pending_call = False
    calls: list[_Call] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        tokens += 1
        if tokens > MAX_TOKENS:
            raise QueryRefused(f"query has more than {MAX_TOKENS} tokens", 413)
        value = m.group(0)
        if kind in _PATH_BREAKERS or (kind == "word" and ":" not in value and value != "a"):
            path_steps = 0
        if kind == "op" and value != "^^":
            operators += 1
            if operators > MAX_OPERATORS:
                raise QueryRefused(f"query has more than {MAX_OPERATORS} operators (expression terms)")
            if value in ("/", "|"):
                path_steps += 1  # operators; a path has one step more than it has operators
                if path_steps + 1 > MAX_PATH_STEPS:
                    raise QueryRefused(f"a property path has more than {MAX_PATH_STEPS} steps")
        _track_call(calls, kind, value, depth, pending_call)
        pending_call = False
        if kind in ("open", "open_brace"):
            depth += 1
            if depth > MAX_NESTING:
                raise QueryRefused(f"query nests deeper than {MAX_NESTING} levels")
        elif kind in ("close", "close_brace"):
            depth -= 1
            if depth < 0:
                raise QueryRefused("unbalanced brackets in query")
            while calls and depth < calls[-1].depth:
                calls.pop()
        if expect_from_iri and not (kind == "iri" or (kind == "word" and value.upper() == "NAMED"
                                                      and prev_word == "FROM")):
            raise QueryRefused("FROM must name a graph IRI written in full (<...>)")
        if kind == "word":
            if ":" in value:
                prev_word = ""
                continue
            upper = value.upper()
            if upper == "SERVICE":
                raise QueryRefused("SERVICE (federated query) is refused: this endpoint makes no outbound requests",
                                   403)
            if upper in UPDATE_KEYWORDS:
                raise QueryRefused(f"SPARQL Update ({upper}) is refused: the graph is read-only", 403)
            if upper in FORMS and depth == 0:
                if form is not None:
                    raise QueryRefused("two queries in one text: send one query at a time")
                form = upper
            pending_call = upper in PATTERN_FUNCTIONS
            expect_from_iri = upper == "FROM" or (upper == "NAMED" and prev_word == "FROM")
            prev_word = upper
            continue
        if kind == "iri" and expect_from_iri:
            iri = value[1:-1]
            if known_graphs is None or iri not in known_graphs:
                raise QueryRefused(f"FROM <{iri[:80]}> is refused: it is not a graph of this store "
                                   "(nothing is fetched from URLs or files)", 403)
            from_graphs.append(iri)
            expect_from_iri = False
        prev_word = ""
    if expect_from_iri:
        raise QueryRefused("FROM must name a graph IRI written in full (<...>)")
    if depth != 0:
        raise QueryRefused("unbalanced brackets in query")
    if form is None:
        raise QueryRefused("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return form, from_graphs


def _track_call(calls: list[_Call], kind: str, value: str, depth: int, pending_call: bool) -> None:
    """Follow REGEX/REPLACE arguments; check a pattern given as a literal string (the second argument)."""
    if pending_call and value == "(":
        calls.append(_Call(depth + 1))
        return
    if not calls or depth != calls[-1].depth:
        return
    call = calls[-1]
    if kind == "punct" and value == ",":
        call.arg += 1
        call.first = True
        return
    if kind == "string" and call.arg == 2 and call.first:
        reason = regex_problem(_string_value(value))
        if reason:
            raise QueryRefused(f"REGEX pattern refused: {reason}")
    call.first = False


def _string_value(token: str) -> str:
    """The value of a SPARQL string literal token (quotes removed, escapes resolved)."""
    body = token[3:-3] if token[:3] in ('"""', "'''") else token[1:-1]
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


_COUNTED = re.compile(r"\{(\d{1,9})(,(\d{0,9}))?\}")


def regex_problem(pattern: str) -> str | None:
    """Why a regular expression is refused, or None. A static check of the known catastrophic shapes.

    Refused: longer than MAX_REGEX_LENGTH; back-references; counted repetition above MAX_REGEX_REPEAT; and a
    group repeated more than once (*, +, {n,m} with m > 1) that contains a quantifier or an alternation:
    (a+)+, (\\w+\\s?)*, (a|aa)*, (a{10}){10}. Those backtrack exponentially in Python's re and, counted,
    blow up regex compilation. Character classes and escapes are skipped, not interpreted.
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        return f"longer than {MAX_REGEX_LENGTH} characters"
    groups: list[dict[str, bool]] = [{"quant": False, "alt": False}]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 < n and pattern[i + 1] in "123456789":
                return "back-references are not supported"
            i += 2
            continue
        if c == "[":
            i = _skip_class(pattern, i)
            continue
        if c == "(":
            groups.append({"quant": False, "alt": False})
            i += 1
            if pattern.startswith("?", i):  # (?:...), (?i) and friends: not quantifiers
                i += 1
            continue
        if c == ")":
            if len(groups) == 1:
                return "unbalanced parentheses"
            inner = groups.pop()
            times, i = _quantifier(pattern, i + 1)
            if isinstance(times, str):
                return times
            if times is not None:
                if times > 1 and (inner["quant"] or inner["alt"]):
                    what = "a quantifier" if inner["quant"] else "an alternation"
                    return f"a repeated group contains {what} (catastrophic backtracking)"
                groups[-1]["quant"] = True
            groups[-1]["quant"] = groups[-1]["quant"] or inner["quant"]
            groups[-1]["alt"] = groups[-1]["alt"] or inner["alt"]
            continue
        if c == "|":
            groups[-1]["alt"] = True
            i += 1
            continue
        times, j = _quantifier(pattern, i)
        if isinstance(times, str):
            return times
        if times is not None:
            groups[-1]["quant"] = True
            i = j
            continue
        i += 1
    if len(groups) != 1:
        return "unbalanced parentheses"
    return None


def _quantifier(pattern: str, i: int) -> tuple[int | str | None, int]:
    """A quantifier at i: (how many times at most, 10**9 for unbounded; next index), an error text, or None."""
    if i >= len(pattern):
        return None, i
    c = pattern[i]
    if c in "*+":
        times = 10**9
        i += 1
    elif c == "?":
        times = 1
        i += 1
    elif c == "{" and (m := _COUNTED.match(pattern, i)):
        low = int(m.group(1))
        high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else 10**9)
        if max(low, high if high < 10**9 else low) > MAX_REGEX_REPEAT:
            return f"counted repetition above {MAX_REGEX_REPEAT}", i
        times = high
        i = m.end()
    else:
        return None, i
    if i < len(pattern) and pattern[i] in "?+":  # lazy or possessive suffix
        i += 1
    return times, i


def _skip_class(pattern: str, i: int) -> int:
    """The index after the character class starting at i ('[...]'); the end of the pattern if unclosed."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1
