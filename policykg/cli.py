"""The `policykg` command: a thin layer over plain functions that tests can call directly.

Every error a user can cause ends as one line on stderr and a documented exit status (policykg.errors),
never a traceback. Heavy imports (rdflib, pyoxigraph, owlready2, the HTTP stack) happen inside the
commands that need them, so `policykg --help` and the read-only commands start fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from .errors import DataError, PolicyKGError, UsageError


@click.group(name="policykg", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="policykg")
def app() -> None:
    """A knowledge graph of medical coverage policies: coverage checks, evidence and SPARQL."""


store_option = click.option(
    "--store", type=click.Path(path_type=Path, file_okay=False), envvar="POLICYKG_STORE", default=None,
    help="Store directory (default: the user's data directory; env POLICYKG_STORE).")
TABULAR = click.Choice(["table", "json", "csv", "tsv"])


def _open(store: Path | None) -> Any:
    from .store import PolicyStore

    return PolicyStore.open(store)


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
@store_option
@click.option("--force", is_flag=True, help="Rebuild even if up to date.")
def build(store: Path | None, force: bool) -> None:
    """Build the graph store from its sources (done automatically by the first command that needs it)."""
    from .store import build_store, default_store_dir

    info = build_store(store or default_store_dir(), force=force)
    m = info.manifest
    _emit(f"store {info.build} ({m.get('triples')} quads, built {m.get('built')} in {m.get('seconds')} s)")
    for finding in m.get("findings", []):
        _emit(f"finding: {finding}")


@app.command()
@store_option
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table")
def info(store: Path | None, fmt: str) -> None:
    """Show the store: where it is, its graphs with their sizes, the ICD-10-CM release and build findings."""
    s = _open(store)
    m = s.manifest
    if fmt == "json":
        _emit(json.dumps({"store": str(s.info.build), **m}, indent=2))
        return
    _emit(f"store: {s.info.build}\nbuilt: {m.get('built')}\nICD-10-CM: {m.get('icd_release')}")
    for g, n in m.get("graphs", {}).items():
        _emit(f"graph {g}: {n} triples")
    for finding in m.get("findings", []):
        _emit(f"finding: {finding}")


@app.command()
@click.option("--cpt", required=True, help="CPT or HCPCS procedure code, e.g. 76800.")
@click.option("--icd", multiple=True, required=True, help="ICD-10-CM code; repeat or separate with commas.")
@click.option("--age", default=None, help="Age: integer with unit d, w, m or y (10d, 6w, 3m, 2y).")
@click.option("--birth-date", default=None, help="Birth date YYYY-MM-DD (with --service-date).")
@click.option("--service-date", default=None, help="Date of service YYYY-MM-DD: picks the policy version in effect.")
@click.option("--setting", default=None, help="Setting, e.g. intraoperative.")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--engine", type=click.Choice(["sparql", "reasoner"]), default="sparql",
              help="Answer with SPARQL (default) or by OWL reasoner classification.")
@store_option
def check(cpt: str, icd: tuple[str, ...], age: str | None, birth_date: str | None, service_date: str | None,
          setting: str | None, fmt: str, engine: str, store: Path | None) -> None:
    """Is this procedure, with these diagnoses, for this patient, medically necessary under the policy, and why?"""
    from .codes import split_codes
    from .request import make_request

    req = make_request(cpt, split_codes(list(icd)), age=age, birth_date=birth_date, service_date=service_date,
                       setting=setting)
    s = _open(store)
    if engine == "reasoner":
        from .reasoner.engine import check_with_reasoner  # issue: reasoner classification

        result = check_with_reasoner(s, req)
    else:
        from .check import check as run_check

        result = run_check(s, req)
    from .formatting import render_check

    _emit(render_check(result, fmt))


@app.command()
@click.argument("name", required=False)
@click.option("--param", "-p", "param", multiple=True, help="Parameter key=value (repeatable).")
@click.option("--list", "list_", is_flag=True, help="List the named queries.")
@click.option("--format", "-f", "fmt", type=TABULAR, default="table")
@click.option("--endpoint", default=None, help="Run on a remote SPARQL endpoint instead of the embedded store.")
@click.option("--timeout", type=click.FloatRange(0.1, 3600), default=30.0, help="Remote client timeout (s).")
@store_option
def query(name: str | None, param: tuple[str, ...], list_: bool, fmt: str, endpoint: str | None, timeout: float,
          store: Path | None) -> None:
    """Run a named query from the library, with its parameters bound as typed RDF terms."""
    from .formatting import render_rows
    from .queries import ParameterError, bind, bound_text, get, registry

    if list_:
        if fmt == "json":
            _emit(json.dumps([q.to_json() for q in registry().values()], indent=2))
            return
        for q in registry().values():
            params = " ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in q.params)
            _emit(f"{q.name:40} {q.summary}" + (f"\n{'':40}   params: {params}" if params else ""))
        return
    if not name:
        raise UsageError("give a query name, or --list to see them")
    values: dict[str, str] = {}
    for item in param or []:
        if "=" not in item:
            raise UsageError(f"parameter {item[:40]!r} is not key=value")
        k, v = item.split("=", 1)
        if k in values:
            raise UsageError(f"parameter {k!r} given twice")
        values[k] = v
    try:
        nq = get(name)
        bindings = bind(nq, values)
    except ParameterError as exc:
        raise UsageError(str(exc)) from None
    if endpoint:
        from .remote import run_remote_select  # issue: remote stores

        columns, rows = run_remote_select(endpoint, bound_text(nq, bindings), timeout=timeout)
    else:
        from .sparql import result_rows

        result = _open(store).query(bound_text(nq, bindings))
        columns = [str(v) for v in result.vars]
        rows = result_rows(result)
    _emit(render_rows(rows, columns, fmt, title=nq.summary if fmt == "table" else None))


@app.command()
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Read the query from a file.")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "turtle", "nt", "jsonld",
                                                          "xml"]), default="table",
              help="table, json, csv, tsv (SELECT/ASK); turtle, nt, jsonld, xml (CONSTRUCT/DESCRIBE).")
@click.option("--endpoint", default=None, help="Run on a remote SPARQL endpoint instead of the embedded store.")
@click.option("--timeout", type=click.FloatRange(0.1, 3600), default=30.0, help="Time limit (s).")
@click.option("--max-rows", type=click.IntRange(1, 100_000_000), default=100_000, show_default=True,
              help="Row (or triple) limit: a larger result is an error, never truncated.")
@click.option("--memory", "memory_mb", type=click.IntRange(256, 1024 * 1024), default=2048, show_default=True,
              help="Memory limit of the query worker (MiB).")
@store_option
def sparql(text: str | None, file: Path | None, fmt: str, endpoint: str | None, timeout: float, max_rows: int,
           memory_mb: int, store: Path | None) -> None:
    """Run any read-only SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) with time, memory and row limits."""
    from .adhoc import run_adhoc

    if (text is None) == (file is None):
        raise UsageError("give the query text or --file, not both and not neither")
    if file is not None:
        if not file.is_file():
            raise DataError(f"query file {file.name} does not exist or is not a file")
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"query file {file} is not UTF-8") from None
    assert text is not None
    _emit(run_adhoc(text, fmt, store_dir=store, endpoint=endpoint, timeout=timeout, max_rows=max_rows,
                    memory_mb=memory_mb))


@app.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["turtle", "jsonld", "xml", "nt", "trig", "nq"]),
              required=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True, help="File to write.")
@click.option("--graph", multiple=True, help="Only this named graph (repeatable).")
@store_option
def export(fmt: str, output: Path, graph: tuple[str, ...], store: Path | None) -> None:
    """Export the graph (TriG and N-Quads keep the named graphs)."""
    from .export import export_graph

    n = export_graph(_open(store), fmt, output, list(graph))
    _emit(f"wrote {n} {'quads' if fmt in ('trig', 'nq') else 'triples'} to {output}")


def _register_optional_commands() -> None:
    """Commands that live in their own modules (one job each)."""
    import importlib

    for module in ("policykg.cli_documents", "policykg.cli_reasoner", "policykg.cli_server",
                   "policykg.cli_adjudicate", "policykg.cli_load"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app)  # each module adds its click commands to the group


_register_optional_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn every expected failure into one line and an exit status."""
    from .queries import ParameterError, QueryDefinitionError

    try:
        rv = app.main(args=argv, prog_name="policykg", standalone_mode=False)
        if isinstance(rv, int):
            return rv
    except PolicyKGError as exc:
        print(f"policykg: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (ParameterError, QueryDefinitionError) as exc:
        print(f"policykg: error: {exc}", file=sys.stderr)
        return 2
    except click.exceptions.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help() if exc.ctx else "", file=sys.stdout)
        return 0
    except click.UsageError as exc:
        print(f"policykg: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except click.exceptions.Abort:
        print("policykg: interrupted", file=sys.stderr)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("policykg: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"policykg: error: {exc.strerror or exc}", file=sys.stderr)
        return 3
    return 0



_QUICK_EXIT = False


def quick_exit() -> None:
    """Ask console_main to end the process without freeing its objects one by one.

    Why: a command that built millions of small objects (adjudicate's memos) would spend ~0.3-0.5 s on
    freeing them at interpreter shutdown, after its work is done and its files are closed. Only the
    console entry point honours this (never `main()`, which tests and embedding code call in process);
    exit handlers still run and the standard streams are flushed.
    """
    global _QUICK_EXIT
    _QUICK_EXIT = True


def console_main() -> None:
    code = main()
    if _QUICK_EXIT:
        import atexit
        import os

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":
    raise SystemExit(main())
