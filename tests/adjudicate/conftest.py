"""Fixtures for the adjudication tests: the decision table of the session store, and a table checker over it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="session")
def table(store):  # type: ignore[no-untyped-def]
    from policykg.decision_table import load_table

    return load_table(store)


@pytest.fixture(scope="session")
def table_checker(table):  # type: ignore[no-untyped-def]
    from policykg.table_check import TableChecker

    return TableChecker(table)


@pytest.fixture(scope="session")
def claims_module():  # type: ignore[no-untyped-def]
    """bench/claims.py (the benchmark's claim file generator), imported from the checkout."""
    sys.path.insert(0, str(BENCH))
    try:
        import claims  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    return claims
