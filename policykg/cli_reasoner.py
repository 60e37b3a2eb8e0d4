"""The `classify` and `validate` commands (registered on the `policykg` group by cli.py).

Thin: arguments in, plain functions (policykg.reasoner.batch, policykg.validate) called, a summary out.
Heavy imports (owlready2, pySHACL, the reasoners) happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

ENGINES = ("auto", "hermit", "rl")


def register(app: Any) -> None:
    """Add `classify` and `validate` to the click group."""
    from .cli import _emit, _open, store_option

    @app.command()
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
    @click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
                  help="Result file (.csv, .jsonl, .ndjson); default: standard output in the input's format.")
    @click.option("--reasoner", type=click.Choice(ENGINES), default="auto", show_default=True,
                  help="hermit (OWL 2 DL), rl (OWL 2 RL engine), or auto: HermiT up to 500 distinct patterns.")
    @click.option("--timeout", type=click.FloatRange(0.1, 86400), default=120.0, show_default=True,
                  help="Time limit of each reasoner call (s); exceeded: exit 5.")
    @click.option("--batch", type=click.IntRange(1, 10_000_000), default=20_000, show_default=True,
                  help="Requests classified per reasoner call.")
    @store_option
    def classify(file: Path, output: Path | None, reasoner: str, timeout: float, batch: int,
                 store: Path | None) -> None:
        """Classify a file of service requests by OWL reasoning: determination, deciding class and statement,
        and the axioms behind each, one result per request."""
        from .reasoner.batch import classify_file, raise_on_errors
        from .reasoner.classify import Classifier

        classifier = Classifier(_open(store), engine=reasoner, timeout=timeout)
        summary = classify_file(classifier, file, output, batch=batch)
        print(summary.line(), file=sys.stderr)
        raise_on_errors(summary)

    @app.command()
    @click.option("--consistency", is_flag=True, help="Also check OWL consistency with HermiT (about 2 s).")
    @click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text")
    @store_option
    def validate(consistency: bool, fmt: str, store: Path | None) -> None:
        """Check the graph: SHACL shapes (ontology/shapes.ttl) and QC queries (queries/qc/*-violation.rq)."""
        from .validate import check, validate_store

        report = validate_store(_open(store), consistency=consistency)
        if fmt == "json":
            _emit(json.dumps({"conforms": report.conforms, "consistency": report.consistency,
                              "violations": [v.__dict__ for v in report.violations],
                              "shapes": report.shapes, "queries": report.queries}, indent=2))
        else:
            _emit(report.render())
        check(report)
