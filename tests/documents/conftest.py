"""Fixtures for the document tests: synthetic family documents, an edited CPG 038 and one ingest store.

The ingest store is built once for the session into a temporary directory (a build and two ingests, each
ingest a rebuild: about 20 s) and shared read-only by the tests that query it; tests that write build
their own. The shared CPG 038 text is read through the `policy_text` fixture and written only to temp dirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from samples import CPG038_NAME, FAMILY, NOW, OTHER_LAYOUT, edited_cpg038


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> dict[str, Path]:
    """The test documents as files in a temp dir (the shared text keeps its name and bytes)."""
    folder = tmp_path_factory.mktemp("documents")
    files = {"cpg038": folder / CPG038_NAME, "cpg038-2025": folder / "cpg038-2025-01-15.txt",
             "family": folder / "knee-cpg777.txt", "other": folder / "clinical-policy-bulletin.txt",
             "empty": folder / "empty.txt"}
    files["cpg038"].write_bytes(policy_text.encode("utf-8"))
    files["cpg038-2025"].write_bytes(edited_cpg038(policy_text).encode("utf-8"))
    files["family"].write_text(FAMILY, encoding="utf-8")
    files["other"].write_text(OTHER_LAYOUT, encoding="utf-8")
    files["empty"].write_bytes(b"")
    return files


@pytest.fixture(scope="session")
def cpg038_mapped(documents: dict[str, Path]) -> Any:
    """The shared CPG 038 text mapped to RDF and expanded against the release (not ingested)."""
    from policykg.ingest import document_graph

    return document_graph(documents["cpg038"], now=NOW)


@dataclass
class IngestStore:
    root: Path
    next_report: Any  # the 2025 version, a new version
    same_report: Any  # the shared CPG 038 text: same version as the shipped graph


@pytest.fixture(scope="session")
def ingest_store(tmp_path_factory: pytest.TempPathFactory, documents: dict[str, Path]) -> IngestStore:
    from policykg.ingest import ingest
    from policykg.store import build_store

    root = tmp_path_factory.mktemp("ingest-store")
    build_store(root)
    next_report = ingest(documents["cpg038-2025"], root, now=NOW)
    same_report = ingest(documents["cpg038"], root, now=NOW)
    return IngestStore(root, next_report, same_report)


@pytest.fixture(scope="session")
def ingested(ingest_store: IngestStore) -> Any:
    from policykg.store import PolicyStore

    return PolicyStore.open(ingest_store.root)
