"""Snippet programs: the standalone programs in ``snippets/`` that pages show.

A program passes when, run as ``python -W error program.py`` in a fresh interpreter in a
scratch directory, it exits with 0, prints exactly its ``.out`` file and writes nothing to
standard error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"


def programs() -> list[Path]:
    return sorted(SNIPPETS.glob("*.py"))


def expected_output_path(program: Path) -> Path:
    return program.with_suffix(".out")


@dataclass
class ProgramRun:
    """How one run of a program ended."""

    program: str
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    timed_out: float = 0.0  # the time limit, when the program ran past it and was killed

    def output(self) -> str:
        """Standard output of a run that passed: exit status 0 and nothing on stderr."""
        name = Path(self.program).name
        if self.timed_out:
            raise AssertionError(f"{name} ran longer than {self.timed_out:g} s")
        if self.returncode != 0:
            raise AssertionError(f"{name} exited with {self.returncode}:\n{self.stderr}")
        if self.stderr:
            raise AssertionError(f"{name} wrote to stderr:\n{self.stderr}")
        return self.stdout


class Running:
    """``program`` in a fresh interpreter, warnings as errors, in a scratch directory: started
    at once, so that it runs while other tests do; :meth:`finish` waits for it."""

    def __init__(self, program: Path, timeout: float = 60) -> None:
        self.program, self.timeout = program, timeout
        self.deadline = time.monotonic() + timeout  # counted from the program's start
        self.workdir = tempfile.TemporaryDirectory(prefix="guide-snippet-")
        self.process = subprocess.Popen(
            [sys.executable, "-W", "error", str(program)],
            cwd=self.workdir.name,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self) -> ProgramRun:
        try:
            left = max(0.0, self.deadline - time.monotonic())
            stdout, stderr = self.process.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            self.stop()
            return ProgramRun(str(self.program), timed_out=self.timeout)
        self.workdir.cleanup()
        return ProgramRun(str(self.program), self.process.returncode, stdout, stderr)

    def stop(self) -> None:
        """End the program if it still runs, and remove its scratch directory."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self.workdir.cleanup()


def run(program: Path, timeout: float = 60) -> ProgramRun:
    return Running(program, timeout).finish()


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
