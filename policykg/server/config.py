"""The endpoint's settings: where the store is and the limits every query runs under."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class ServerConfig:
    """Limits are per query: `timeout` kills the worker process running it, `max_rows` turns a larger result
    into an error (never a truncated 200), `queue_wait` bounds how long a query waits for a free worker."""

    db_path: Path  # an Oxigraph database directory, opened read-only
    workers: int = max(2, os.cpu_count() or 2)
    timeout: float = DEFAULT_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS
    queue_wait: float = DEFAULT_TIMEOUT_S
    union_default_graph: bool = True
    label: str = "policykg"
