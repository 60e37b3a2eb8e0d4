"""Real triple stores on 127.0.0.1, started and loaded by the tests: the Oxigraph server and Virtuoso.

Missing servers are failures, not skips: .ci/install-services.sh installs them. Each store gets our graphs
with `policykg push`, the command users run, so the push path is exercised end to end.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from remote_fixtures import (
    START_TIMEOUT_S,
    VIRTUOSO_INI,
    VIRTUOSO_MAX_ROWS,
    RemoteStore,
    ask_ok,
    binary,
    push,
)
from serving import free_port, stop, wait_until


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory, store) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The Oxigraph server on a database bulk-loaded offline (`oxigraph load`), as docs/triple-stores.md advises:
    its transactional PUT takes about a minute for the ICD-10-CM graph. `push` then replaces the policy graphs."""
    import pyoxigraph as ox

    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-server")
    dump = location.parent / "policykg.nq"
    store.ox.dump(str(dump), format=ox.RdfFormat.N_QUADS)
    load = subprocess.run([binary("oxigraph"), "load", "--location", str(location), "--file", str(dump)],
                          capture_output=True, text=True, timeout=300)
    assert load.returncode == 0, load.stderr
    proc = subprocess.Popen([binary("oxigraph"), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph", "--timeout-s", "60"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: ask_ok(base + "/query"), START_TIMEOUT_S, "oxigraph serve", proc)
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Virtuoso Open Source with its own database and ini in a temp dir, on free ports (dba/dba, local only)."""
    directory = tmp_path_factory.mktemp("virtuoso")
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=directory, sql_port=sql_port, http_port=http_port,
                                       max_rows=VIRTUOSO_MAX_ROWS), encoding="utf-8")
    proc = subprocess.Popen([binary("virtuoso-t"), "+foreground", "+configfile", str(ini)], cwd=directory,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_until(lambda: ask_ok(base + "/sparql"), START_TIMEOUT_S, "virtuoso-t", proc)
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def remote_stores(store_dir: Path, store, oxigraph_server: str,  # type: ignore[no-untyped-def]
                  virtuoso_server: str) -> dict[str, RemoteStore]:
    """Both stores, loaded with our graphs by `policykg push` (the way each store needs it).

    Virtuoso gets every graph (chunks + MOVE); Oxigraph, bulk-loaded already, gets the policy graphs again by
    PUT, replacing them: the answers below come from what push wrote."""
    policy_graphs = [g.value for g in store.ox.named_graphs() if "icd10cm" not in g.value]
    stores = {
        "oxigraph": RemoteStore("oxigraph", oxigraph_server + "/query",
                                ("--endpoint", oxigraph_server + "/store",
                                 *[arg for g in policy_graphs for arg in ("--graph", g)])),
        "virtuoso": RemoteStore("virtuoso", virtuoso_server + "/sparql",
                                ("--endpoint", virtuoso_server + "/sparql-graph-crud-auth",
                                 "--update-endpoint", virtuoso_server + "/sparql-auth",
                                 "--user", "dba", "--password", "dba")),
    }
    for s in stores.values():  # one after the other: on two cores, loading both at once is slower
        push(store_dir, *s.push_args)
    return stores
