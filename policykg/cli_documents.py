"""Commands for policy documents: `ingest`, `diff` and `trace` (a thin layer over ingest.py, diff.py, trace.py).

Errors follow cli.py's contract: a document that cannot be read or is not a policy of the family is a
DataError (exit 3) with the parser's one-line message; bad arguments are UsageErrors (exit 2).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click

from .errors import DataError, UsageError

_store_option = click.option(
    "--store", type=click.Path(path_type=Path, file_okay=False), envvar="POLICYKG_STORE", default=None,
    help="Store directory (default: the user's data directory; env POLICYKG_STORE).")


@contextlib.contextmanager
def _document_errors() -> Iterator[None]:
    """A PolicyDocumentError (unreadable, empty, not of the family, undated) as a one-line DataError."""
    from .loaders.policy_errors import PolicyDocumentError

    try:
        yield
    except PolicyDocumentError as exc:
        raise DataError(str(exc)) from None


def _emit(text: str | bytes, output: Path | None = None) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise DataError(f"cannot write {output}: {exc.strerror}") from None
        return
    sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
    sys.stdout.flush()


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--dry-run", is_flag=True, help="Show what would be added (counts, findings); write nothing.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
@_store_option
def ingest(file: Path, dry_run: bool, fmt: str, store: Path | None) -> None:
    """Add a policy document (PDF or plain text) to the store as a version of its policy, with provenance."""
    from .ingest import ingest as run_ingest
    from .ingest import render
    from .store import default_store_dir

    with _document_errors():
        report = run_ingest(file, store or default_store_dir(), dry_run=dry_run)
    _emit(render(report, fmt))


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
@_store_option
def diff(old: str, new: str, fmt: str, store: Path | None) -> None:
    """What changed between two policy versions: OLD and NEW are version IRIs (in the store) or document files."""
    from .diff import diff as run_diff
    from .diff import render

    with _document_errors():
        result = run_diff(old, new, store)
    _emit(render(result, fmt))


@click.command()
@click.option("--cpt", default=None, help="Trace a check: CPT or HCPCS procedure code (with --icd and an age).")
@click.option("--icd", multiple=True, help="Trace a check: ICD-10-CM code; repeat or separate with commas.")
@click.option("--age", default=None, help="Trace a check: age with unit d, w, m or y.")
@click.option("--birth-date", default=None, help="Trace a check: birth date YYYY-MM-DD (with --service-date).")
@click.option("--service-date", default=None, help="Date of service YYYY-MM-DD: picks the policy version in effect.")
@click.option("--setting", default=None, help="Trace a check: setting, e.g. intraoperative.")
@click.option("--statement", default=None, help="Trace one statement, by its IRI.")
@click.option("--code", default=None, help="Trace a code (ICD-10-CM such as Q05.4, or CPT/HCPCS) in the policies in "
                                           "effect on --service-date (default today).")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "markdown", "dot", "svg"]),
              default="table", help="svg draws the chain with Graphviz (needs its dot program); dot is the source.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
@_store_option
def trace(cpt: str | None, icd: tuple[str, ...], age: str | None, birth_date: str | None, service_date: str | None,
          setting: str | None, statement: str | None, code: str | None, fmt: str, output: Path | None,
          store: Path | None) -> None:
    """Why: determination -> statement -> quoted source passage -> cited works with stance and the policy's sentence."""
    from .store import PolicyStore
    from .trace import render, trace_check, trace_code, trace_statement

    asked = [name for name, value in (("--cpt/--icd", cpt or icd), ("--statement", statement), ("--code", code))
             if value]
    if len(asked) != 1:
        raise UsageError("give exactly one of: --cpt with --icd and an age (a check), --statement IRI, --code CODE"
                         + (f" (got {', '.join(asked)})" if asked else ""))
    if statement is not None:
        from .queries import ParameterError, bind, get

        try:
            bind(get("trace-statement"), {"statement": statement})
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
        result = trace_statement(PolicyStore.open(store), statement)
    elif code is not None:
        from .request import parse_date

        day = parse_date(service_date, "service date") if service_date else date.today()
        result = trace_code(PolicyStore.open(store), code, day)
    else:
        from .codes import split_codes
        from .request import make_request

        if not cpt:
            raise UsageError("a traced check needs --cpt as well as --icd")
        req = make_request(cpt, split_codes(list(icd)), age=age, birth_date=birth_date, service_date=service_date,
                           setting=setting)
        result = trace_check(PolicyStore.open(store), req)
    _emit(render(result, fmt), output)


def register(app: click.Group) -> None:
    """Add the document commands to the `policykg` group (called by cli.py)."""
    for command in (ingest, diff, trace):
        app.add_command(command)
