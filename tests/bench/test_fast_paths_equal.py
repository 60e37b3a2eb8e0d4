"""The build's speed-ups change nothing: same ICD-10-CM tree, same N-Quads, same store."""

from __future__ import annotations

from pathlib import Path

import pytest
from policykg.loaders.icd10cm import Icd10cmLoader, read_release, read_release_via_package

from policykg.build import BuildReport, _to_nquads, generate_nquads, iter_nquads


@pytest.fixture(scope="module")
def release():  # type: ignore[no-untyped-def]
    return read_release()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # simple_icd_10_cm's own use of importlib.resources
def test_direct_reader_equals_the_package_tree(release) -> None:  # type: ignore[no-untyped-def]
    reference = read_release_via_package()  # imports simple_icd_10_cm: 2 s
    assert len(release.nodes) == len(reference.nodes) > 95_000
    assert release.nodes == reference.nodes
    assert (release.version, release.release_date, release.source_file, release.package_version) == (
        reference.version, reference.release_date, reference.source_file, reference.package_version)


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_icd_quads_equal_the_generic_conversion(release, parts: int) -> None:  # type: ignore[no-untyped-def]
    loader = Icd10cmLoader(release)
    loaded = loader.load()
    expected = _to_nquads(loaded.ntriples, str(loaded.graph)).encode("utf-8")
    pieces = list(loader.nquads(parts))
    assert len(pieces) == parts
    assert b"".join(pieces) == expected


def test_pieces_join_into_the_document(tmp_path: Path) -> None:
    extra = tmp_path / "ingested"
    extra.mkdir()
    (extra / "x.nq").write_bytes(b'<urn:a> <urn:b> "c" <urn:g> .')  # no final newline: one is added
    report = BuildReport()
    pieces = list(iter_nquads(extra, report, icd_parts=2))
    data, whole = generate_nquads(extra)
    icd = [p for p in pieces if b"/graph/icd10cm/" in p[:2000]]
    assert len(icd) == 2
    assert data.endswith(b'<urn:a> <urn:b> "c" <urn:g> .\n')
    assert sum(p.count(b"\n") for p in pieces) == data.count(b"\n")
    assert report.graphs == whole.graphs and report.icd_release == whole.icd_release
    # the ICD-10-CM part, the bulk of the document, is byte for byte the same and in the same place
    assert b"".join(icd) in data


def test_parallel_load_holds_every_quad(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from policykg.store import _bulk_load

    data, _ = generate_nquads()
    lines = data.splitlines(keepends=True)[::4]  # a quarter of the graph is enough to load on three threads
    third = len(lines) // 3
    pieces = [b"".join(lines[:third]), b"".join(lines[third:2 * third]), b"".join(lines[2 * third:])]
    assert _bulk_load(tmp_path / "db", iter(pieces)) == len(lines)
    store = ox.Store.read_only(str(tmp_path / "db"))
    assert len(store) == len(set(lines))
