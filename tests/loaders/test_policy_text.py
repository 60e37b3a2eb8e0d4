"""Reading and normalising policy text: errors, PDF pages, furniture, split words, offset mapping."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from policykg.loaders.policy_errors import (
    DocumentNotFound,
    EmptyDocument,
    NotAFile,
    PolicyDocumentError,
    UndecodableText,
    UnreadablePdf,
    UnsupportedSource,
)
from policykg.loaders.policy_mapped import MappedText, Vocabulary, join_lines
from policykg.loaders.policy_pages import PageLayout, PageStatus
from policykg.loaders.policy_text import SourceText, normalise, read_document

HEAD = "Knee Imaging (CPG 100)\nPage 1 of 3\n\n"


def clean(text: str) -> str:
    return normalise(SourceText.from_text(text)).text.text


def assert_mapping(text: str) -> None:
    """Each copied character of the clean text is the original character at its offset (modulo the
    documented replacements), and offsets never go backwards."""
    normalized = normalise(SourceText.from_text(text))
    mapped = normalized.text
    replaced = {"'": "\u2019\u2018'", '"': '\u201c\u201d"', " ": " \u00a0\t", "\n": "\n\r"}
    for ch, offset in zip(mapped.text, mapped.offsets, strict=True):
        assert ch == text[offset] or text[offset] in replaced.get(ch, "") or ch in " \n"
    assert list(mapped.offsets) == sorted(mapped.offsets)


# --- read_document -------------------------------------------------------------------------------------


def test_reads_utf8_text_with_digest(tmp_path: Path) -> None:
    data = "\ufeffKnee Imaging (CPG 100)\nbody text\n".encode()
    path = tmp_path / "knee.txt"
    path.write_bytes(data)
    source = read_document(path)
    assert source.text.startswith("Knee Imaging") and source.media_type == "text/plain"
    assert source.sha256 == hashlib.sha256(data).hexdigest() and source.name == "knee.txt"
    assert source.pages == ()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: "https://example.org/policy.pdf", UnsupportedSource, "URLs are not fetched"),
        (lambda p: p / "missing.txt", DocumentNotFound, "no such file"),
        (lambda p: p, NotAFile, "not a regular file"),
    ],
)
def test_refuses_urls_missing_paths_and_directories(tmp_path: Path, make, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        read_document(make(tmp_path))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyDocument),
        (b" \n\n\t", EmptyDocument),
        (b"Knee \xff\xfe imaging", UndecodableText),
        (b"%PDF-1.4\n garbage", UnreadablePdf),
    ],
)
def test_refuses_bad_bytes(tmp_path: Path, data: bytes, error: type[PolicyDocumentError]) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(error) as info:
        read_document(path)
    assert isinstance(info.value, PolicyDocumentError) and isinstance(info.value, ValueError)
    assert "bad.txt" in str(info.value)


def test_pdf_pages_become_page_spans(tmp_path: Path) -> None:
    import fpdf  # a test dependency (pyproject [test])
    pdf = fpdf.FPDF()
    pdf.set_font("Helvetica", size=10)
    for number in (1, 2, 3):
        pdf.add_page()
        pdf.cell(0, 5, f"text of page {number}", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "three.pdf"
    path.write_bytes(bytes(pdf.output()))
    source = read_document(path)
    assert source.media_type == "application/pdf" and [p.number for p in source.pages] == [1, 2, 3]
    assert [source.text[p.start : p.end].strip() for p in source.pages] == [f"text of page {n}" for n in (1, 2, 3)]
    normalized = normalise(source)
    offset = source.text.index("page 2")
    location = normalized.pages.locate(offset)
    assert (location.page, location.status, normalized.pages.layout) == (2, PageStatus.EXACT, PageLayout.PDF)


# --- character and whitespace normalisation -------------------------------------------------------------


def test_odd_characters_and_spaces_are_normalised() -> None:
    text = HEAD + "A\u00a0customer\u2019s  plan\r\nis medi\u00adcally\tnecessary \u201cnow\u201d\u200b.\r\n"
    assert clean(text) == 'A customer\'s plan\nis medically necessary "now".'
    assert_mapping(text)


def test_blank_line_runs_collapse_to_one() -> None:
    assert clean(HEAD + "one.\n \n\n\n  two.\n") == "one.\n\ntwo."


# --- page furniture --------------------------------------------------------------------------------------


def test_page_header_mid_sentence_is_removed_and_sentence_rejoined() -> None:
    text = (
        HEAD + "It is considered medically necessary for\n \nPage 2 of 3\nKnee Imaging (CPG 100)\n\nuse in surgery.\n"
    )
    normalized = normalise(SourceText.from_text(text))
    assert normalized.text.text == "It is considered medically necessary for\nuse in surgery."
    assert [(m.number, m.total) for m in normalized.markers] == [(1, 3), (2, 3)]
    assert (normalized.title, normalized.policy_number) == ("Knee Imaging", "CPG 100")
    start, end = normalized.text.original_span()
    assert "Page 2 of 3" in text[start:end]
    assert_mapping(text)


def test_page_header_between_paragraphs_keeps_a_paragraph_break() -> None:
    text = HEAD + "First paragraph ends here.\nPage 2 of 3\nKnee Imaging (CPG 100)\nSecond paragraph.\n"
    assert clean(text) == "First paragraph ends here.\n\nSecond paragraph."


def test_inline_page_marker_is_cut_out() -> None:
    text = HEAD + "considered medically Page 2 of 3 Knee Imaging (CPG 100) necessary for surgery.\n"
    normalized = normalise(SourceText.from_text(text))
    assert normalized.text.text == "considered medically necessary for surgery."
    assert [m.number for m in normalized.markers] == [1, 2]


def test_pages_are_exact_between_consecutive_markers_and_lower_bounds_after_a_gap() -> None:
    text = HEAD + "alpha text.\nPage 2 of 3\nbeta text.\n"  # page 3's header is missing
    normalized = normalise(SourceText.from_text(text))
    alpha = normalized.pages.locate(text.index("alpha"))
    beta = normalized.pages.locate(text.index("beta"))
    assert (alpha.page, alpha.status) == (1, PageStatus.EXACT)
    assert (beta.page, beta.min_page, beta.status) == (None, 2, PageStatus.AT_LEAST)
    assert not normalized.pages.complete


def test_footer_layout_assigns_text_before_the_marker_to_its_page() -> None:
    text = "Knee Imaging (CPG 100)\nfirst page text.\nPage 1 of 2\nsecond page text.\n"
    normalized = normalise(SourceText.from_text(text))
    assert normalized.pages.layout is PageLayout.FOOTER
    assert normalized.pages.locate(text.index("first")).page == 1
    assert normalized.pages.locate(text.index("second")).page == 2
    assert normalized.pages.complete


def test_no_markers_means_unknown_pages() -> None:
    normalized = normalise(SourceText.from_text("Knee Imaging (CPG 100)\nbody.\n"))
    location = normalized.pages.locate(25)
    assert (location.page, location.min_page, location.status) == (None, None, PageStatus.UNKNOWN)


# --- split words -----------------------------------------------------------------------------------------


def test_split_word_joined_when_the_document_uses_the_whole_word() -> None:
    text = HEAD + "An evalu ation of the knee.\nA second evaluation. Another evalu ation.\n"
    normalized = normalise(SourceText.from_text(text))
    assert normalized.text.text == "An evaluation of the knee.\nA second evaluation. Another evaluation."
    assert [(r.left, r.right) for r in normalized.repairs] == [("evalu", "ation"), ("evalu", "ation")]
    first = normalized.repairs[0]
    assert text[first.start : first.end] == "evalu ation"


@pytest.mark.parametrize(
    "body",
    [
        "An evalu ation of the knee.",  # "evaluation" appears nowhere else
        "Go in to the room; into is a word.",  # both fragments are words
        "It happens some times; sometimes, some of the times.",  # both fragments stand alone elsewhere
    ],
)
def test_split_word_not_joined_without_evidence(body: str) -> None:
    assert clean(HEAD + body) == body


def test_line_break_hyphen_kept_for_compounds_and_dropped_for_broken_words() -> None:
    original = "a peer-\nreviewed evalu-\nation"
    vocabulary = Vocabulary("peer-reviewed evaluation")
    joined = join_lines(MappedText.identity(original).lines(), vocabulary)
    assert joined.text == "a peer-reviewed evaluation"
    start, end = joined.original_span(len("a peer-reviewed "), len(joined.text))
    assert original[start:end] == "evalu-\nation"


def test_mapped_text_spans() -> None:
    mapped = MappedText.identity("  hello world  ").strip()
    assert mapped.text == "hello world" and mapped.original_span() == (2, 13)
    assert mapped.cut(6).original_span() == (8, 13) and mapped.original_span(3, 3) == (5, 5)


def test_title_and_page_marker_on_one_line() -> None:
    text = "Knee Imaging (CPG 100) Page 1 of 2\nbody text that\nPage 2 of 2 Knee Imaging (CPG 100)\ncontinues.\n"
    normalized = normalise(SourceText.from_text(text))
    assert (normalized.title, normalized.policy_number) == ("Knee Imaging", "CPG 100")
    assert normalized.text.text == "body text that\ncontinues."
    assert normalized.pages.locate(text.index("continues")).page == 2
