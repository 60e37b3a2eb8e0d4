"""The policy-document parser on mutated versions of the CPG 038 text: only PolicyDocumentError may escape.

The text is third-party and read from ../shared (never copied into the repo). Mutations cut, repeat, swap
and garble parts of it the way bad extractions and hostile files do.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from policykg.loaders.policy_document import PolicyDocument, load_policy, parse_policy_text
from policykg.loaders.policy_errors import PolicyDocumentError

POLICY_TEXT = Path(__file__).resolve().parents[3] / "shared" / "policies" / "cigna-cpg038-spinal-ultrasound.txt"
TEXT = POLICY_TEXT.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)
NOISE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(i, min(len(lines), i + 40)))
        op = draw(st.sampled_from(["cut", "repeat", "swap", "noise", "truncate", "digits", "join"]))
        if op == "cut":
            del lines[i:j]
        elif op == "repeat":
            lines[i:i] = lines[i:j] * draw(st.integers(1, 3))
        elif op == "swap" and j < len(lines):
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "noise":
            lines.insert(i, draw(NOISE) + "\n")
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif op == "digits":
            lines[i] = "".join(draw(st.sampled_from("0123456789-/.")) if c.isdigit() else c for c in lines[i])
        elif op == "join":
            lines[i:j] = ["".join(lines[i:j]).replace("\n", " ")]
    return "".join(lines)


def test_the_unmutated_text_parses() -> None:
    assert isinstance(parse_policy_text(TEXT, POLICY_TEXT.name), PolicyDocument)


@settings(max_examples=80)
@given(mutated())
def test_mutated_documents_parse_or_raise_a_policy_document_error(text: str) -> None:
    try:
        doc = parse_policy_text(text, "mutated.txt")
    except PolicyDocumentError as exc:
        assert str(exc)
        return
    assert isinstance(doc, PolicyDocument)


@settings(max_examples=40)
@given(st.binary(max_size=2000), st.sampled_from([".txt", ".pdf", ""]))
def test_arbitrary_bytes_from_a_file(tmp_path_factory, data: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("doc")) / f"doc{suffix}"
    path.write_bytes(data)
    try:
        doc = load_policy(path)
    except PolicyDocumentError:
        return
    assert isinstance(doc, PolicyDocument)


@settings(max_examples=40)
@given(st.binary(min_size=1, max_size=400))
def test_garbage_after_a_pdf_header(tmp_path_factory, tail: bytes) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("pdf")) / "doc.pdf"
    path.write_bytes(b"%PDF-1.7\n" + tail)
    try:
        doc = load_policy(path)
    except PolicyDocumentError:
        return
    assert isinstance(doc, PolicyDocument)
