"""Snippet programs: the standalone programs in ``snippets/`` that pages show.

A program passes when it exits with 0, its standard output equals its ``.out``
file and its standard error is empty, with warnings turned into errors as by
``python -W error``. It runs in one of two ways:

- in a fresh interpreter (:class:`RunningSnippet`): ``python -W error
  program.py`` in a scratch directory. The specifications in ``tests/`` run every
  program so, and pytest does when pages run in its own process;
- forked from a process that has imported SQLAlchemy already
  (:class:`StartedProgram`, :func:`run_forked`): the program runs as
  ``__main__`` with its own arguments, path, warning filters, standard streams,
  exit handlers and scratch directory, and the process ends as an interpreter
  would (non-daemon threads joined, exit handlers run, garbage collected). The
  page workers' preparing process (``tests/pageworkers.py``) starts programs so,
  which spares each one SQLAlchemy's import time. What it cannot prove — that the
  program imports all it needs on its own, under any hash seed — the fresh
  interpreter proves.

This module imports neither pytest nor SQLAlchemy: the preparing process of
``tests/pageworkers.py`` may start before pytest is imported (``tests/run.py``).
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

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
    error: str = ""  # why it did not run at all

    def output(self) -> str:
        """Standard output of a run that passed: exit status 0 and nothing on stderr."""
        name = Path(self.program).name
        if self.error:
            raise AssertionError(self.error)
        if self.timed_out:
            raise AssertionError(f"{name} ran longer than {self.timed_out:g} s")
        if self.returncode != 0:
            raise AssertionError(f"{name} exited with {self.returncode}:\n{self.stderr}")
        if self.stderr:
            raise AssertionError(f"{name} wrote to stderr:\n{self.stderr}")
        return self.stdout


def _lower_priority() -> None:
    os.nice(10)


class RunningSnippet:
    """One snippet program in a fresh interpreter in a scratch directory, started now.

    A pytest run starts the selected programs as early as it can, so that they
    run while pytest starts up and the pages run; :meth:`finish` waits for one.
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
            # Lower priority: the programs fill the CPU time that pytest and the pages
            # leave free (pytest's start-up uses one core) instead of slowing them down.
            preexec_fn=_lower_priority if hasattr(os, "nice") else None,
        )

    def finish(self) -> ProgramRun:
        """Wait for the program (killing it after the time limit) and say how it ended."""
        try:
            stdout, stderr = self._process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return ProgramRun(str(self.program), timed_out=self.timeout)
        finally:
            self._workdir.cleanup()
        return ProgramRun(str(self.program), self._process.returncode, stdout, stderr)

    def stop(self) -> None:
        """End the program if it still runs (its test was deselected or the run stopped)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()
        self._workdir.cleanup()


def run_snippet(program: Path, timeout: float = 60) -> str:
    """Run one snippet program in a fresh interpreter; its stdout, if the run passed."""
    return RunningSnippet(program, timeout).finish().output()


class StartedProgram:
    """One snippet program in a process forked from this one (see :func:`run_forked`).

    ``done_fd`` reaches end of file when the program's process has ended;
    ``in_child`` runs first in the forked process (to close what it must not hold);
    the program's scratch directory is made in ``scratch`` when given.
    """

    def __init__(
        self,
        program: Path,
        timeout: float = 60,
        in_child: Callable[[], None] = lambda: None,
        scratch: str | None = None,
    ) -> None:
        self.program = program
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self._workdir = tempfile.mkdtemp(prefix="guide-snippet-", dir=scratch)
        self._stdout = tempfile.TemporaryFile()  # noqa: SIM115
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        done_read, done_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the program's process: never returns
            in_child()
            os.close(done_read)
            run_forked(program, self._workdir, self._stdout.fileno(), self._stderr.fileno())
        os.close(done_write)
        self.pid = pid
        self.done_fd = done_read

    def finish(self, timed_out: bool = False) -> ProgramRun:
        """How the program ended (call when ``done_fd`` is at its end, or to kill it)."""
        if timed_out:
            self._kill()
        _, status = os.waitpid(self.pid, 0)
        streams = []
        for stream in (self._stdout, self._stderr):
            stream.seek(0)
            streams.append(stream.read().decode("utf-8", "backslashreplace"))
        self._clean_up()
        if timed_out:
            return ProgramRun(str(self.program), timed_out=self.timeout)
        return ProgramRun(str(self.program), os.waitstatus_to_exitcode(status), *streams)

    def stop(self) -> None:
        """End the program if it still runs (its test was deselected)."""
        self._kill()
        os.waitpid(self.pid, 0)
        self._clean_up()

    def _kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _clean_up(self) -> None:
        os.close(self.done_fd)
        self._stdout.close()
        self._stderr.close()
        shutil.rmtree(self._workdir, ignore_errors=True)


def run_forked(program: Path, workdir: str, stdout_fd: int, stderr_fd: int) -> NoReturn:
    """In a process forked for ``program``: run it as ``python -W error program`` would.

    Standard input is empty, standard output and error go to the given files,
    the working directory is ``workdir``; the process exits with the program's
    exit status, as an interpreter would end.
    """
    code = 1
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(  # noqa: SIM115
            2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False
        )
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = _run_as_main(program, workdir)
    except BaseException:
        sys.excepthook(*sys.exc_info())
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run_as_main(program: Path, workdir: str) -> int:
    os.chdir(workdir)
    # What `python -W error program` starts with: the program's folder first on the path,
    # warnings as errors, the interpreter's own hooks for errors (pytest installs others),
    # and no exit handlers or logging handlers of this process's own.
    sys.argv[:] = [str(program)]
    environment_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    installed = [p for p in sys.path if p.startswith((sys.prefix, sys.base_prefix))]
    sys.path[:] = [str(program.parent), *environment_path, *installed]
    sys.warnoptions[:] = ["error"]
    warnings.resetwarnings()
    warnings.simplefilter("error")
    sys.excepthook = sys.__excepthook__
    sys.unraisablehook = sys.__unraisablehook__
    threading.excepthook = threading.__excepthook__
    atexit._clear()
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    logging.root.setLevel(logging.WARNING)
    code = 0
    try:
        runpy.run_path(str(program), run_name="__main__")
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            code = exit.code or 0
        else:
            print(exit.code, file=sys.stderr)
            code = 1
    except BaseException as error:
        trace = error.__traceback__  # shown from the program's own frame, as an interpreter does
        while trace and trace.tb_frame.f_code.co_filename != str(program):
            trace = trace.tb_next
        error = error.with_traceback(trace or error.__traceback__)
        sys.excepthook(type(error), error, error.__traceback__)
        code = 1
    # How an interpreter ends: wait for non-daemon threads, run exit handlers, and let go
    # of every object (unclosed resources warn then, and warnings are errors).
    threading._shutdown()
    atexit._run_exitfuncs()
    gc.collect()
    return code


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
