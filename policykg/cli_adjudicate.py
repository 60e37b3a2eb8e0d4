"""`policykg adjudicate`: one result per claim line, on the decision table by default (registered by cli.py).

Thin: arguments in, policykg.adjudicate.adjudicate_file called, a summary on stderr. A progress bar is
shown only when stderr is a terminal (rich is imported only then). Rejected lines are listed on stderr (the
first 20), get determination "error" in the results, and make the command exit 3 once the results are
written.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import click

ENGINE_NAMES = ("table", "sparql", "reasoner")


def register(app: Any) -> None:
    """Add `adjudicate` to the click group."""
    from .cli import _open, store_option

    @app.command()
    @click.argument("claims", type=click.Path(path_type=Path, dir_okay=False))
    @click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
                  help="Result file (.csv, .jsonl, .ndjson); default: standard output in the input's format.")
    @click.option("--engine", type=click.Choice(ENGINE_NAMES), default="table", show_default=True,
                  help="table: decision table compiled from the graph (same answers as sparql); sparql: the "
                       "named queries for every distinct request; reasoner: OWL classification.")
    @click.option("--reasoner", type=click.Choice(["auto", "hermit", "rl"]), default="auto", show_default=True,
                  help="With --engine reasoner: hermit (OWL 2 DL), rl (OWL 2 RL engine), or auto (as `classify`).")
    @click.option("--today", default=None, help="Date YYYY-MM-DD used for lines without a service date "
                                                "(default: today).")
    @click.option("--jobs", type=click.IntRange(1, 64), default=None,
                  help="Processes the table engine may use when writing to a file (default: the CPUs available).")
    @store_option
    def adjudicate(claims: Path, output: Path | None, engine: str, reasoner: str, today: str | None,
                   jobs: int | None, store: Path | None) -> None:
        """Adjudicate a claim file (CSV or JSON Lines: claim_id, cpt, icd, age, birth_date, service_date,
        setting): claim_id, determination, statement, reason and warnings for every line."""
        from .adjudicate import adjudicate_file, raise_on_rejected
        from .adjudicate_engines import make_engine
        from .errors import UsageError
        from .request import parse_date
        from .requests_io import file_format, output_format

        day = parse_date(today, "--today") if today else None
        if not claims.is_file():
            raise UsageError(f"claim file {claims} does not exist or is not a file")
        file_format(claims)
        output_format(claims, output)
        eng = make_engine(engine, _open(store), **({"reasoner": reasoner} if engine == "reasoner" else {}))
        # everything loaded so far (the decision table: ~10^6 containers) lives as long as the process: leave it
        # out of cyclic garbage collections (measured: the collection after a million-line run took ~0.5 s)
        gc.freeze()

        with _progress(claims) as progress:
            summary = adjudicate_file(eng, claims, output, today=day, on_rejected=progress.say,
                                      on_progress=progress.update, jobs=jobs)
        print(summary.line(), file=sys.stderr)
        from .cli import quick_exit

        quick_exit()  # the result file is closed and in place: nothing left to free but memory
        raise_on_rejected(summary)


class _progress:
    """A rich progress bar on stderr over the file's lines when stderr is a terminal; otherwise nothing.

    Messages about rejected lines go through it (`say`), so that they print above the bar, not across it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _progress:
        if not sys.stderr.isatty():
            return self
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        total = _count_lines(self.path)
        self.bar = Progress(TextColumn("adjudicating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("lines", total=total)
        return self

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def say(self, message: str) -> None:
        if self.bar is not None:
            self.bar.console.print(f"policykg: {message}", markup=False, highlight=False, soft_wrap=True)
        else:
            print(f"policykg: {message}", file=sys.stderr)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _count_lines(path: Path) -> int | None:
    """Lines in the file (less a CSV header), counted in binary blocks: ~50 ms for a million lines."""
    try:
        with open(path, "rb") as fh:
            n = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None
    return max(0, n - 1) if path.suffix.lower() == ".csv" else n
