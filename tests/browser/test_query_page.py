"""The analysts' page end to end in headless Chromium: run a named query, see rows, sort, download, edit."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from policykg.queries import bind, bound_text, get

pytestmark = pytest.mark.browser


def open_page(browser, base: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    host = urlparse(base).netloc

    def watch(request) -> None:  # type: ignore[no-untyped-def]
        if urlparse(request.url).scheme in ("http", "https") and urlparse(request.url).netloc != host:
            outside.append(request.url)

    page.on("request", watch)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    return context, page, outside, errors


def test_run_a_named_query_and_see_rows(browser, page_endpoint: str, store) -> None:  # type: ignore[no-untyped-def]
    context, page, outside, errors = open_page(browser, page_endpoint)
    try:
        options = page.locator("#nq-select option").all_inner_texts()
        assert len(options) >= 20 and any(o.startswith("covered-diagnoses") for o in options)
        page.select_option("#nq-select", "covered-diagnoses")
        assert page.input_value("#param-policy").startswith("https://w3id.org/policykg/id/cigna/cpg038/")
        page.click("#nq-run")
        page.wait_for_selector("#nq-results tbody tr", timeout=15_000)
        rows = page.locator("#nq-results tbody tr")
        expected = store.query(bound_text(get("covered-diagnoses"), bind(get("covered-diagnoses"), {
            "policy": page.input_value("#param-policy")})))
        assert rows.count() == len(list(expected))
        status = page.inner_text("#nq-status")
        assert status.startswith(f"{rows.count()} row(s)") and rows.count() > 20
        headers = page.locator("#nq-results thead th").all_inner_texts()
        assert "code" in [h.strip() for h in headers]
        # sort by code, descending: the first row becomes the largest code
        code_header = page.locator("#nq-results thead th", has_text="code").first
        column = [h.strip() for h in headers].index("code")
        code_header.click()
        code_header.click()
        codes = page.locator(f"#nq-results tbody tr td:nth-child({column + 1})").all_inner_texts()
        assert codes == sorted(codes, reverse=True) and codes[0] != codes[-1]
        assert code_header.get_attribute("aria-sort") == "descending"
        # downloads: CSV and JSON of the same rows
        with page.expect_download() as csv_download:
            page.click("#nq-csv")
        csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8")
        assert csv_download.value.suggested_filename == "covered-diagnoses.csv"
        assert len(csv_text.strip().splitlines()) == rows.count() + 1
        with page.expect_download() as json_download:
            page.click("#nq-json")
        data = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
        assert len(data["results"]["bindings"]) == rows.count()
        assert outside == [], f"the page requested other hosts: {outside}"
        assert errors == [], errors
    finally:
        context.close()


def test_bad_parameter_shows_the_error(browser, page_endpoint: str) -> None:  # type: ignore[no-untyped-def]
    context, page, _, _ = open_page(browser, page_endpoint)
    try:
        page.select_option("#nq-select", "coverage-evaluate")
        page.fill("#param-age_months", "three")
        page.click("#nq-run")
        page.wait_for_selector("#nq-status.error", timeout=10_000)
        assert "age_months" in page.inner_text("#nq-status")
        assert page.locator("#nq-results tbody tr").count() == 0
    finally:
        context.close()


def test_editor_runs_the_bound_query(browser, page_endpoint: str) -> None:  # type: ignore[no-untyped-def]
    context, page, outside, _ = open_page(browser, page_endpoint)
    try:
        page.select_option("#nq-select", "code-info")
        page.click("#nq-edit")
        page.wait_for_function("() => document.querySelector('.CodeMirror').CodeMirror.getValue().includes('Q05.4')",
                               timeout=10_000)
        page.click(".yasqe_queryButton")
        page.wait_for_selector(".yasr .dataTable tbody tr", timeout=15_000)
        assert "Q05.4" in page.inner_text(".yasr .dataTable tbody")
        assert outside == []
    finally:
        context.close()
