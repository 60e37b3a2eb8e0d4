"""Headless Chromium (Debian's package) driven by Playwright for Python; never a downloaded browser."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from serving import policykg_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def page_endpoint(store_dir: Path) -> Iterator[str]:
    with policykg_server("--store", str(store_dir), "--workers", "2") as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator:  # type: ignore[type-arg]
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run .ci/install-services.sh (apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
