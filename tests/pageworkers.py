"""Run pages, and snippet programs, in forked processes while pytest reports their verdicts.

Pages are independent (each runs in a fresh namespace and directory, and CI
proves it by running them in reverse order), so they can run side by side.

The pytest process never imports SQLAlchemy itself. One *preparing process*
(:meth:`PageWorkers.start`) imports the harness and SQLAlchemy, warms SQLAlchemy
up, and starts the snippet programs the run names, each in a process forked from
it (:func:`tests.programs.run_forked`). ``python -m tests.run`` (``nox -s
doctest``) forks it before pytest is even imported (:func:`start_early`), plain
pytest as soon as it is configured; meanwhile pytest starts and collects, and
sends the run's settings (:meth:`PageWorkers.configure`). Then pytest sends
the pages, in the order to run them (:meth:`PageWorkers.run`), and the preparing
process forks the page workers: each takes the next page from a shared queue (a
pipe of page numbers), runs it with :func:`tests.harness.run_page` and sends
the pickled :class:`~tests.pagefiles.PageResult` back. The preparing process
passes every result to pytest on one channel, whole, and ends when everything
it started has ended. So SQLAlchemy is imported once, beside pytest's own
start-up instead of after it, and every worker and program inherits it ready.

A worker that dies leaves its pages without a result; they are reported as
errors with the worker's exit status and the end of what it printed, instead
of hanging the run. A preparing process that fails is reported the same way.

The queue holds the longest pages first (a few pages wait on purpose, for pool
timeouts and the like), so that no long page starts last. How long a page
takes is remembered from the previous run in the user's cache folder, never in
the checkout; a page not seen before is estimated from its size.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import re
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from tests import programs
from tests.pagefiles import SCRATCH, PageResult, shown_path

_TASK = 4  # bytes per page number in the queue
_SIZE = 8  # bytes of the length prefix of a message


#: Seconds each page took in the last run, by page: only used to order the queue.
TIMINGS = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "sqlalchemy-guide"
    / "page-seconds.json"
)


def _remembered(timings: Path) -> dict[str, float]:
    try:
        return json.loads(timings.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or unreadable: it is only a hint
        return {}


def longest_first(pages: list[Path], timings: Path = TIMINGS) -> list[Path]:
    """The pages in the order workers should take them: the longest first."""
    known = _remembered(timings)

    def expected_seconds(page: Path) -> float:
        return known.get(shown_path(page), page.stat().st_size / 100_000)

    return sorted(pages, key=expected_seconds, reverse=True)


def remember_timings(results: list[PageResult], timings: Path = TIMINGS) -> None:
    """Keep how long each page took for the next run's order (best effort: a hint only)."""
    known = _remembered(timings)
    known.update(
        {
            result.page: round(result.seconds, 3)
            for result in results
            if result.seconds and not Path(result.page).is_absolute()  # pages of the guide only
        }
    )
    try:
        timings.parent.mkdir(parents=True, exist_ok=True)
        scratch = timings.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(known, indent=0, sort_keys=True), encoding="utf-8")
        scratch.replace(timings)
    except OSError:
        pass


def available() -> bool:
    """Workers need ``os.fork`` (Linux, macOS); elsewhere pages run in the pytest process."""
    return hasattr(os, "fork")


#: A preparing process started before pytest was imported (``tests/run.py``), until a run
#: takes it (:func:`take_early`).
_EARLY: list[PageWorkers] = []


def start_early() -> None:
    """Fork the preparing process now, before pytest is imported, so that SQLAlchemy's import
    runs beside pytest's own; the run takes it over once it is configured."""
    early = PageWorkers()
    early.start()
    _EARLY.append(early)


def take_early() -> PageWorkers | None:
    """The preparing process :func:`start_early` started, if any (only once)."""
    return _EARLY.pop() if _EARLY else None


def _prepare() -> None:
    """What the preparing process does before it forks anything: import and warm up."""
    from tests import harness

    harness.warm_up()


def _message(kind: str, value: object) -> bytes:
    payload = pickle.dumps((kind, value))
    return len(payload).to_bytes(_SIZE, "big") + payload


def _split(buffer: bytes) -> tuple[list[bytes], bytes]:
    """The whole messages at the start of ``buffer`` (length prefix included), and the rest."""
    whole = []
    while len(buffer) >= _SIZE:
        end = _SIZE + int.from_bytes(buffer[:_SIZE], "big")
        if len(buffer) < end:
            break
        whole.append(buffer[:end])
        buffer = buffer[end:]
    return whole, buffer


def _read_log(log_fd: int) -> str:
    os.lseek(log_fd, 0, os.SEEK_SET)
    return os.read(log_fd, 1 << 20).decode("utf-8", "replace")[-4000:]


def _how(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


class PageWorkers:
    """The pytest side: one preparing process, which forks the page workers and programs."""

    def __init__(self, prepare: Callable[[], None] = _prepare, program_timeout: float = 60) -> None:
        # the run's settings, given by configure()
        self.workers = 1
        self.snippets: list[Path] = []  # started as soon as the preparing process is ready
        # ``warnings.filters`` as each page must start with (pytest's, for a test); None: as
        # the preparing process has them
        self.warning_filters: list[tuple] | None = None
        self.prepare = prepare
        self.program_timeout = program_timeout
        self.results: dict[str, PageResult] = {}
        self.program_runs: dict[str, programs.ProgramRun] = {}
        self._problems: list[str] = []  # dead workers, a failed preparing process
        self._pid = 0
        self._control = self._channel = -1
        self._buffer = b""
        self.scratch = ""  # every page's and program's temporary directory is made in it

    # -- pytest side -----------------------------------------------------------

    def start(self) -> None:
        """Fork the preparing process; it imports and warms up, then waits for orders."""
        self.scratch = tempfile.mkdtemp(prefix="guide-run-", dir=SCRATCH)
        control_read, self._control = os.pipe()
        self._channel, channel_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the preparing process: never returns
            os.close(self._control)
            os.close(self._channel)
            self._serve(control_read, channel_write)
        with contextlib.suppress(OSError):  # it may have set it already, or ended already
            os.setpgid(pid, pid)  # its own process group: close() ends it with all it started
        self._pid = pid
        os.close(control_read)
        os.close(channel_write)

    def configure(
        self,
        workers: int,
        snippets: Iterable[Path] = (),
        warning_filters: list[tuple] | None = None,
    ) -> None:
        """The run's settings, once started: how many workers, which programs (they start
        now) and the warning filters of the pages."""
        self.workers = max(1, workers)
        self.snippets = list(snippets)
        self.warning_filters = warning_filters
        if self.snippets:
            self._order("programs", [str(program) for program in self.snippets])

    def run(self, pages: list[Path], snippets: Iterable[Path] | None = None) -> None:
        """Run ``pages`` in this order; ``snippets``: the programs still wanted (default: all)."""
        wanted = self.snippets if snippets is None else list(snippets)
        order = ([str(page) for page in pages], [str(p) for p in wanted], self.workers)
        self._order("pages", (*order, self.warning_filters))
        os.close(self._control)
        self._control = -1

    def _order(self, kind: str, value: object) -> None:
        try:
            _write_all(self._control, _message(kind, value))
        except BrokenPipeError:  # the preparing process is gone: result() says why
            pass

    def result(self, page: Path) -> PageResult:
        """The page's result, waiting for it if needed."""
        key = shown_path(page)
        while key not in self.results and self._receive():
            pass
        if key not in self.results:
            why = self._why()
            return PageResult(key, error=f"{key} got no result from the page workers: {why}")
        return self.results[key]

    def program_run(self, program: Path) -> programs.ProgramRun:
        """How a snippet program ran, waiting for it if needed."""
        key = str(program)
        while key not in self.program_runs and self._receive():
            pass
        if key not in self.program_runs:
            return programs.ProgramRun(key, error=f"{program.name} did not run: {self._why()}")
        return self.program_runs[key]

    def close(self) -> None:
        """End whatever still runs (after ``-x``, an interrupt, or a run with no pages),
        and remove what it left in the scratch directory."""
        if self._control >= 0:
            os.close(self._control)
            self._control = -1
        if self._pid:
            self._end_preparing_process()
        if self._channel >= 0:
            os.close(self._channel)
            self._channel = -1
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = ""

    def _end_preparing_process(self) -> None:
        # Asked first, it ends its workers and programs and waits for them; killed with all
        # of its process group if it does not end within two seconds.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGTERM)
        deadline = time.monotonic() + 2
        while not os.waitpid(self._pid, os.WNOHANG)[0]:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                break
            time.sleep(0.01)
        self._pid = 0

    def _why(self) -> str:
        return "; ".join(self._problems) or "no worker ran it"

    def _receive(self) -> bool:
        """Read what the preparing process sent; False once it has ended."""
        if self._channel < 0:
            return False
        chunk = os.read(self._channel, 1 << 16)
        if not chunk:
            os.close(self._channel)
            self._channel = -1
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            if os.waitstatus_to_exitcode(status) and not self._problems:
                self._problems.append(f"the preparing process ended with {_how(status)}")
            return False
        messages, self._buffer = _split(self._buffer + chunk)
        for message in messages:
            kind, value = pickle.loads(message[_SIZE:])
            if kind == "page":
                self.results[value.page] = value
            elif kind == "program":
                self.program_runs[value.program] = value
            else:  # "problem": a worker died, or the preparing process failed
                self._problems.append(value)
        return True

    # -- the preparing process ---------------------------------------------------

    def _serve(self, control_fd: int, channel_fd: int) -> None:
        code = 1
        log = tempfile.TemporaryFile()  # noqa: SIM115  (what escapes goes here, not to pytest)
        try:
            os.setpgid(0, 0)
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            sys.stdout = sys.stderr = open(log.fileno(), "w", buffering=1, closefd=False)  # noqa: SIM115
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _Preparing(self, control_fd, channel_fd).serve()
            code = 0
        except BaseException:
            sys.stderr.flush()
            problem = f"the preparing process failed:\n{traceback.format_exc()}"
            try:
                _write_all(channel_fd, _message("problem", problem))
            except OSError:
                pass
        finally:
            try:
                sys.stdout.flush()
            finally:
                os._exit(code)


class _Preparing:
    """The preparing process's loop: fork, forward results, notice what ended."""

    def __init__(self, owner: PageWorkers, control_fd: int, channel_fd: int) -> None:
        self.owner = owner
        self.control_fd = control_fd
        self.channel_fd = channel_fd
        self.orders = b""
        self.workers: dict[int, tuple[int, object]] = {}  # result fd -> (pid, log file)
        self.buffers: dict[int, bytes] = {}
        self.running: dict[int, programs.StartedProgram] = {}  # snippet programs, by done fd
        self.started: set[str] = set()  # every program started, running or not
        self.worker_count = 1
        self.warning_filters: list[tuple] | None = None

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, self.end)
        self.owner.prepare()
        gc.freeze()  # what exists now is never garbage: children's gc.collect() skips it
        while self.control_fd >= 0 or self.workers or self.running:
            watched = [*self.workers, *self.running]
            if self.control_fd >= 0:
                watched.append(self.control_fd)
            deadlines = [started.deadline for started in self.running.values()]
            wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready, _, _ = select.select(watched, [], [], wait)
            for fd in ready:
                if fd == self.control_fd:
                    self.read_orders()
                elif fd in self.workers:
                    self.forward(fd)
                else:
                    self.program_ended(fd)
            for fd, started in list(self.running.items()):
                if started.deadline <= time.monotonic():
                    self.program_ended(fd, timed_out=True)

    def end(self, signum: int, frame: object) -> None:
        """On SIGTERM from pytest: end every worker and program, wait for them, exit."""
        pids = [pid for pid, _ in self.workers.values()]
        pids += [started.pid for started in self.running.values()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # waited for already
                pass
        os._exit(1)

    def send(self, data: bytes) -> None:
        _write_all(self.channel_fd, data)

    def read_orders(self) -> None:
        chunk = os.read(self.control_fd, 1 << 16)
        if not chunk:  # pytest has said all it will: nothing more to start
            os.close(self.control_fd)
            self.control_fd = -1
            return
        messages, self.orders = _split(self.orders + chunk)
        for message in messages:
            kind, value = pickle.loads(message[_SIZE:])
            if kind == "programs":
                self.start_programs(value)
            else:  # "pages"
                pages, wanted, self.worker_count, self.warning_filters = value
                for fd, started in list(self.running.items()):
                    if str(started.program) not in wanted:  # deselected after all (-k, -m)
                        started.stop()
                        del self.running[fd]
                self.start_programs(wanted)
                self.start_workers([Path(page) for page in pages])

    def start_programs(self, wanted: list[str]) -> None:
        for program in wanted:
            if program not in self.started:
                self.started.add(program)
                self.start_program(Path(program))

    def start_program(self, program: Path) -> None:
        started = programs.StartedProgram(
            program, self.owner.program_timeout, self.in_child, self.owner.scratch
        )
        self.running[started.done_fd] = started

    def start_workers(self, pages: list[Path]) -> None:
        if not pages:
            return
        task_read, task_write = os.pipe()
        os.write(task_write, b"".join(i.to_bytes(_TASK, "big") for i in range(len(pages))))
        os.close(task_write)  # all of it fits in the pipe (a few bytes per page)
        for _ in range(min(self.worker_count, len(pages))):
            result_read, result_write = os.pipe()
            log = tempfile.TemporaryFile()  # noqa: SIM115
            pid = os.fork()
            if pid == 0:  # a worker: never returns
                self.in_child()
                os.close(result_read)
                _work(pages, self.warning_filters, self.owner.scratch, task_read, result_write, log)
            os.close(result_write)
            self.workers[result_read] = (pid, log)
            self.buffers[result_read] = b""
        os.close(task_read)

    def in_child(self) -> None:
        """In a child: the default SIGTERM, and none of the preparing process's own pipes."""
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in [self.channel_fd, self.control_fd, *self.workers, *self.running]:
            if fd >= 0:
                os.close(fd)

    def forward(self, fd: int) -> None:
        chunk = os.read(fd, 1 << 16)
        if chunk:
            whole, self.buffers[fd] = _split(self.buffers[fd] + chunk)
            self.send(b"".join(whole))
            return
        pid, log = self.workers.pop(fd)  # end of file: the worker has exited
        del self.buffers[fd]
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status):
            printed = _read_log(log.fileno())
            problem = f"worker {pid} ended with {_how(status)}; it printed:\n{printed}"
            self.send(_message("problem", problem))
        log.close()

    def program_ended(self, fd: int, timed_out: bool = False) -> None:
        started = self.running.pop(fd)
        self.send(_message("program", started.finish(timed_out)))


def _work(
    pages: list[Path],
    warning_filters: list[tuple] | None,
    scratch: str,
    task_fd: int,
    result_fd: int,
    log,
) -> None:
    """A page worker: run pages from the queue until it is empty, then exit."""
    from tests.harness import run_page

    code = 1
    try:
        # Whatever escapes the examples goes to the worker's log, not to pytest's capture.
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = open(log.fileno(), "w", buffering=1, closefd=False)  # noqa: SIM115
        with warnings.catch_warnings():
            if warning_filters is not None:
                use_warning_filters(warning_filters)
            while task := os.read(task_fd, _TASK):
                page = pages[int.from_bytes(task, "big")]
                try:
                    result = run_page(page, scratch)
                except Exception:  # a fault of the harness, not of an example
                    result = PageResult(shown_path(page), error=traceback.format_exc())
                _write_all(result_fd, _message("page", result))
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
        finally:
            os._exit(code)


def use_warning_filters(filters: list[tuple]) -> None:
    """Make ``warnings.filters`` equal ``filters`` (a copy of another process's), through
    the public functions: each filter is added at the front, the last one first."""
    warnings.resetwarnings()
    for action, message, category, module, lineno in reversed(filters):
        warnings.filterwarnings(action, _regex(message), category, _regex(module), lineno)


def _regex(part: re.Pattern | str | None) -> str:
    """A filter's message or module as ``filterwarnings`` takes it: a compiled pattern's
    source; a string (Python's own default filters hold some) must be equal, not a prefix."""
    if part is None:
        return ""
    return part.pattern if isinstance(part, re.Pattern) else re.escape(part) + r"\Z"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
