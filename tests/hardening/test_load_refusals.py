"""`policykg load` on hostile and broken files: refused with file and line, quickly, nothing half-loaded.

All of these are refused before the store is written, so no rebuild happens here: each test checks that the
store's current build and its ingested/ folder are exactly as before.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from policykg.loaders.rdf_file import FileLimits, lexical_problem, read_rdf_file

from .conftest import Recorder, assert_one_line_error, cli

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rdf:RDF {RDF}>
<rdf:Description rdf:about="http://example.org/s"><ex:p>&i;</ex:p></rdf:Description>
</rdf:RDF>
"""


def snapshot(root: Path) -> tuple[str, list[str]]:
    ingested = root / "ingested"
    return os.readlink(root / "current"), sorted(os.listdir(ingested)) if ingested.is_dir() else []


def load_refused(capsys, root: Path, path: Path | str, *args: str, code: int = 3) -> str:  # type: ignore[no-untyped-def]
    before = snapshot(root)
    t0 = time.perf_counter()
    got, out, err = cli(capsys, "load", "--store", str(root), str(path), *args)
    assert time.perf_counter() - t0 < 5, "refusals must be quick"
    assert got == code, err
    assert out == ""
    assert_one_line_error(err)
    assert snapshot(root) == before, "a refused load changed the store"
    assert not list((root / "builds").glob(".tmp-*")) if (root / "builds").is_dir() else True
    return err


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def test_billion_laughs_is_refused_at_once(capsys, tmp_path: Path, borrowed_store: Path) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path, "lol.rdf", BILLION_LAUGHS)
    assert f.stat().st_size < 1024
    err = load_refused(capsys, borrowed_store, f)
    assert "lol.rdf:2: XML DOCTYPE declarations are refused" in err


@pytest.mark.parametrize("entity", ['SYSTEM "file:///etc/passwd"', 'SYSTEM "http://127.0.0.1:9/x"',
                                    'PUBLIC "-//x//y" "http://127.0.0.1:9/x"'])
def test_external_entities_are_refused(capsys, tmp_path: Path, borrowed_store: Path, entity: str) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path, "xxe.rdf", f'<?xml version="1.0"?>\n<!DOCTYPE r [ <!ENTITY x {entity}> ]>\n<rdf:RDF {RDF}>'
                                   '<rdf:Description rdf:about="http://example.org/s"><ex:p>&x;</ex:p>'
                                   '</rdf:Description></rdf:RDF>')
    err = load_refused(capsys, borrowed_store, f)
    assert "xxe.rdf:2: XML DOCTYPE" in err


def test_entity_declared_without_doctype_keyword_case(capsys, tmp_path: Path, borrowed_store: Path) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path, "ent.owl", f'<?xml version="1.0"?>\n\n<!doctype r>\n<rdf:RDF {RDF}/>')
    assert "ent.owl:3: XML DOCTYPE" in load_refused(capsys, borrowed_store, f)


@pytest.mark.parametrize("how", ["context", "import", "file", "relative"])
def test_jsonld_remote_contexts_are_never_fetched(capsys, tmp_path: Path, borrowed_store: Path,  # type: ignore[no-untyped-def]
                                                  recorder: Recorder, how: str) -> None:
    recorder.body = b'{"@context": {"name": "http://evil.example/name"}}'
    recorder.content_type = "application/ld+json"
    ctx_file = write(tmp_path, "ctx.jsonld", recorder.body)
    context = {"context": f'"{recorder.url}"', "import": f'{{"@import": "{recorder.url}"}}',
               "file": f'"{ctx_file.as_uri()}"', "relative": '"ctx.jsonld"'}[how]
    f = write(tmp_path, "remote.jsonld", f'{{\n"@context": {context},\n"@id": "http://example.org/s",\n'
                                         '"name": "x"\n}')
    err = load_refused(capsys, borrowed_store, f)
    assert "is remote: contexts are never fetched" in err and "remote.jsonld:" in err
    assert recorder.hits == []


def test_owl_imports_are_never_followed(capsys, tmp_path: Path, borrowed_store: Path, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path, "onto.ttl", "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                                    "<http://example.org/o> a owl:Ontology ;\n"
                                    f"  owl:imports <{recorder.url}> .\n")
    err = load_refused(capsys, borrowed_store, f)
    assert f"onto.ttl:3: owl:imports <{recorder.url}> is never followed" in err and "--drop-imports" in err
    assert recorder.hits == []


@pytest.mark.parametrize("name,content,fragment", [
    ("trunc.ttl", '@prefix ex: <http://example.org/> .\nex:s ex:p ex:o .\nex:s ex:p "unterminated\n',
     "trunc.ttl:3:"),
    ("trunc2.ttl", "@prefix ex: <http://example.org/> .\nex:s ex:p [ ex:q ex:r ", "trunc2.ttl:2:"),
    ("bad.nt", "<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n<http://x> <y> .\n",
     "bad.nt:2:"),
    ("badiri.ttl", "\n<http://example.org/s> <http://example.org/p> <http://example.org/a b> .\n",
     "badiri.ttl:2:"),
    ("rel.ttl", "<s> <p> <o> .\n", "relative IRI"),
    ("badiri.rdf", f'<rdf:RDF {RDF}>\n<rdf:Description rdf:about="http://a b"><ex:p>x</ex:p>\n'
                   "</rdf:Description></rdf:RDF>", "badiri.rdf:2:"),
    ("rel.rdf", f'<rdf:RDF {RDF}>\n<rdf:Description rdf:about="foo"><ex:p>x</ex:p></rdf:Description></rdf:RDF>',
     "relative IRI"),
    ("broken.rdf", f'<rdf:RDF {RDF}>\n<rdf:Description rdf:about="http://a/b">\n</rdf:RDF>',
     "broken.rdf:3: not well-formed XML"),
    ("badiri.jsonld", '{\n"@id": "http://a b",\n"http://example.org/p": "x"}', "badiri.jsonld:2: @id"),
    ("rel.jsonld", '{"@id": "foo", "http://example.org/p": "x"}', "not an absolute IRI"),
    ("trunc.jsonld", '{"@id": "http://example.org/s",\n"http://example.org/p": "x"', "trunc.jsonld:2:"),
    ("int.ttl", '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n<http://e/s> <http://e/p> "abc"^^xsd:integer .',
     "int.ttl:3: invalid literal 'abc'^^xsd:integer: not an integer"),
    ("date.nt", '<http://e/s> <http://e/p> "2024-02-30"^^<http://www.w3.org/2001/XMLSchema#date> .',
     "date.nt:1: invalid literal '2024-02-30'^^xsd:date: not a real calendar date"),
    ("byte.ttl", '<http://e/s> <http://e/p> "300"^^<http://www.w3.org/2001/XMLSchema#byte> .',
     "out of range for xsd:byte"),
    ("bool.jsonld", '{"@id": "http://e/s", "http://e/p": {"@value": "maybe", '
                    '"@type": "http://www.w3.org/2001/XMLSchema#boolean"}}', "not true, false, 1 or 0"),
    ("lang.ttl", '<http://e/s> <http://e/p> "x"@123 .', "lang.ttl:1:"),
    ("blank.ttl", "   \n\n  \n", "the file is empty"),
    ("comments.ttl", "# nothing but a comment\n@prefix ex: <http://example.org/> .\n", "no triples found"),
    ("nothing.jsonld", '{"@context": {"ex": "http://example.org/"}}', "no triples found"),
    ("latin1.ttl", b'<http://e/s> <http://e/p> "\xe9t\xe9" .', "latin1.ttl:1: not valid UTF-8"),
    ("utf16.rdf", '<?xml version="1.0" encoding="UTF-16"?>\n'.encode("utf-16"), "not valid UTF-8"),
])
def test_broken_and_invalid_files(capsys, tmp_path: Path, borrowed_store: Path, name: str, content: str | bytes,  # type: ignore[no-untyped-def]
                                  fragment: str) -> None:
    err = load_refused(capsys, borrowed_store, write(tmp_path, name, content))
    assert fragment in err


@pytest.mark.parametrize("name,content,fragment", [
    ("deep.jsonld", '{"@id": "http://e/s", "http://e/p": ' + '{"http://e/p": ' * 10_000 + '"x"' + "}" * 10_001,
     "JSON nests deeper than 100 levels"),  # pyoxigraph 0.5.13 segfaults on this
    ("deep.rdf", f"<rdf:RDF {RDF}>" + "<rdf:Description><ex:p>" * 5_000 + "</ex:p></rdf:Description>" * 5_000
     + "</rdf:RDF>", "XML elements nest deeper than 100 levels"),
])
def test_deep_nesting_is_refused_before_the_parser_sees_it(capsys, tmp_path: Path, borrowed_store: Path, name: str,  # type: ignore[no-untyped-def]
                                                           content: str, fragment: str) -> None:
    assert fragment in load_refused(capsys, borrowed_store, write(tmp_path, name, content))


def test_size_caps(capsys, tmp_path: Path, borrowed_store: Path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.nt"
    with big.open("wb") as fh:  # sparse: refused on its size alone, never read
        fh.truncate(65 * 1024 * 1024)
    assert "big.nt: the file is larger than 64 MiB" in load_refused(capsys, borrowed_store, big)
    lit = write(tmp_path, "lit.nt", '<http://e/s> <http://e/p> "' + "x" * 100_001 + '" .\n')
    assert "lit.nt:1: a literal is longer than 100000 characters" in load_refused(capsys, borrowed_store, lit)
    iri = write(tmp_path, "iri.nt", f'<http://e/{"x" * 5000}> <http://e/p> "x" .\n')
    assert "an IRI is longer than 4096 characters" in load_refused(capsys, borrowed_store, iri)


def test_quad_cap() -> None:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".nt", delete=False) as fh:
        fh.write("".join(f'<http://e/s{i}> <http://e/p> "x" .\n' for i in range(11)))
    try:
        with pytest.raises(Exception, match="more than 10 triples"):
            read_rdf_file(fh.name, "urn:g:x", limits=FileLimits(max_quads=10))
    finally:
        os.unlink(fh.name)


def test_not_a_file(capsys, tmp_path: Path, borrowed_store: Path) -> None:  # type: ignore[no-untyped-def]
    assert "no such file" in load_refused(capsys, borrowed_store, tmp_path / "missing.ttl")
    (tmp_path / "dir.ttl").mkdir()
    assert "dir.ttl: is a directory" in load_refused(capsys, borrowed_store, tmp_path / "dir.ttl")
    os.mkfifo(tmp_path / "fifo.ttl")  # reading it would block for ever
    assert "fifo.ttl: is not a regular file" in load_refused(capsys, borrowed_store, tmp_path / "fifo.ttl")
    assert "the file is empty" in load_refused(capsys, borrowed_store, write(tmp_path, "empty.ttl", b""))


@pytest.mark.parametrize("source", ["http://example.org/data.ttl", "https://127.0.0.1:9/x.rdf",
                                    "file:///etc/passwd", "ftp://example.org/x.nt"])
def test_urls_where_a_file_is_expected(capsys, borrowed_store: Path, source: str) -> None:  # type: ignore[no-untyped-def]
    err = load_refused(capsys, borrowed_store, source, code=2)
    assert "is a URL: policykg loads local files only" in err


@pytest.mark.parametrize("args,fragment", [
    (["--graph", "https://w3id.org/policykg/graph/ontology"], "belongs to the build"),
    (["--graph", "file:///etc/passwd"], "absolute http(s) or urn IRI"),
    (["--graph", "http://example.org/a b"], "not a valid IRI"),
    (["--graph", "relative"], "absolute http(s) or urn IRI"),
    (["--name", "../../etc"], "invalid graph name"),
    (["--name", "A"], "invalid graph name"),
    (["--name", ""], "invalid graph name"),
    (["--format", "n3"], "Invalid value"),
])
def test_bad_arguments(capsys, tmp_path: Path, borrowed_store: Path, args: list[str], fragment: str) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path, "ok.ttl", '<http://e/s> <http://e/p> "x" .\n')
    assert fragment in load_refused(capsys, borrowed_store, f, *args, code=2)


def test_unknown_extension_needs_a_format(capsys, tmp_path: Path, borrowed_store: Path) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path, "data.txt", '<http://e/s> <http://e/p> "x" .\n')
    assert "give --format" in load_refused(capsys, borrowed_store, f, code=2)


def test_unload_of_an_unknown_name(capsys, borrowed_store: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(capsys, "unload", "--store", str(borrowed_store), "nothing-here")
    assert code == 2 and "no graph loaded under the name 'nothing-here'" in err


def test_what_a_good_file_becomes(tmp_path: Path) -> None:
    """Named graphs are merged into the target (and reported), blank nodes renamed, duplicates dropped.

    _:b is one node in the whole TriG document, so g2 repeats g1's first triple: three triples become two."""
    f = write(tmp_path, "two.trig", "@prefix ex: <http://example.org/> .\n"
                                    "ex:g1 { ex:s ex:p _:b . _:b ex:q 1 . }\nex:g2 { ex:s ex:p _:b . ex:s ex:p _:b }\n")
    parsed = read_rdf_file(str(f), "urn:policykg:test")
    assert parsed.merged_graphs == ["<http://example.org/g1>", "<http://example.org/g2>"]
    assert parsed.triples == 2
    lines = parsed.nquads.decode().splitlines()
    assert all(line.endswith("<urn:policykg:test> .") for line in lines)
    assert "_:b " not in parsed.nquads.decode()


@pytest.mark.parametrize("value,datatype,problem", [
    ("12", "integer", None), ("-0", "integer", None), ("1.5", "integer", "not an integer"),
    ("-1", "nonNegativeInteger", "out of range for xsd:nonNegativeInteger"), ("1e400", "double", None),
    ("INF", "float", None), ("1,5", "decimal", "not a decimal number"), ("2024-02-29", "date", None),
    ("2023-02-29", "date", "not a real calendar date"), ("2024-01-01Z", "date", None),
    ("2024-01-01T24:00:00", "dateTime", None), ("2024-01-01T25:00:00", "dateTime", "not a real time of day"),
    ("2024-01-01 10:00:00", "dateTime", "not a date-time YYYY-MM-DDThh:mm:ss"), ("true", "boolean", None),
    ("12345-01-01", "date", None), ("2024", "gYear", None), ("24", "gYear", "not a year"),
    ("anything", "string", None), (" 1", "integer", "not an integer"),
])
def test_lexical_forms(value: str, datatype: str, problem: str | None) -> None:
    assert lexical_problem(value, "http://www.w3.org/2001/XMLSchema#" + datatype) == problem
