"""Snippet programs: the standalone programs in ``snippets/`` that pages show.

Each one runs as a real program (``python -W error``) in a scratch directory;
its standard output must equal its ``.out`` file and its standard error must be
empty. This module imports nothing heavy (pytest is loaded already), so that a
pytest run can start the programs before it imports SQLAlchemy for the pages
(see ``conftest.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"


#: The programs a pytest run has started, by path (see ``conftest.py``).
STARTED = pytest.StashKey[dict[Path, "RunningSnippet"]]()


def programs() -> list[Path]:
    return sorted(SNIPPETS.glob("*.py"))


def named_by(program: Path, args: list[str], cwd: Path) -> bool:
    """True when a pytest argument is the program or a folder that holds it."""
    for arg in args:
        path = (cwd / arg.split("::")[0]).resolve()
        if path == program or path in program.parents:
            return True
    return False


def expected_output_path(program: Path) -> Path:
    return program.with_suffix(".out")


def _lower_priority() -> None:
    os.nice(10)


class RunningSnippet:
    """One snippet program running in a scratch directory, started now, checked later.

    A pytest run starts the selected programs as early as it can, so that they
    run while pytest starts up and the pages run; :meth:`output` waits for one.
    """

    def __init__(self, program: Path, timeout: float = 60) -> None:
        self.program = program
        self.timeout = timeout
        self._workdir = tempfile.TemporaryDirectory(prefix="guide-snippet-")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        self._process = subprocess.Popen(
            [sys.executable, "-W", "error", str(program)],
            cwd=self._workdir.name,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Lower priority: the programs fill the CPU time that pytest and the page workers
            # leave free (pytest's start-up uses one core) instead of slowing them down.
            preexec_fn=_lower_priority if hasattr(os, "nice") else None,
        )

    def output(self) -> str:
        """The program's standard output; it must exit with 0 and write nothing to stderr."""
        try:
            stdout, stderr = self._process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{self.program.name} ran longer than {self.timeout} s") from None
        finally:
            self._workdir.cleanup()
        name = self.program.name
        if self._process.returncode != 0:
            raise AssertionError(f"{name} exited with {self._process.returncode}:\n{stderr}")
        if stderr:
            raise AssertionError(f"{name} wrote to stderr:\n{stderr}")
        return stdout

    def stop(self) -> None:
        """End the program if it still runs (its test was deselected or the run stopped)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()
        self._workdir.cleanup()


def run_snippet(program: Path, timeout: float = 60) -> str:
    """Run one snippet program in a scratch directory; return its stdout."""
    return RunningSnippet(program, timeout).output()


def first_difference(expected: str, actual: str) -> str:
    """Describe the first differing line as 'line N: expected ... got ...'."""
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    for number, (exp, act) in enumerate(zip(exp_lines, act_lines, strict=False), start=1):
        if exp != act:
            return f"line {number}: expected {exp!r}, got {act!r}"
    number = min(len(exp_lines), len(act_lines)) + 1
    if len(exp_lines) > len(act_lines):
        return f"line {number}: expected {exp_lines[number - 1]!r}, got end of output"
    return f"line {number}: expected end of output, got {act_lines[number - 1]!r}"
