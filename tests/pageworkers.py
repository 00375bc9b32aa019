"""Run pages in forked worker processes while pytest reports their verdicts.

Pages are independent (each runs in a fresh namespace and directory, and CI
proves it by running them in reverse order), so they can run side by side. The
workers are forked from the pytest process once collection is over: they
inherit the imported modules and the configuration, and start in milliseconds.
Each worker takes the next page from a shared queue (a pipe holding page
numbers), runs it with :func:`tests.harness.run_page` and sends the pickled
:class:`~tests.harness.PageResult` back on its own pipe. The pytest process
reports a page's verdicts when its item comes up, waiting for them if needed.

A worker that dies leaves its pages without a result; they are reported as
errors with the worker's exit status and the end of what it printed, instead
of hanging the run.

The queue holds the longest pages first (a few pages wait on purpose, for pool
timeouts and the like), so that no long page starts last. How long a page
takes is remembered from the previous run in the user's cache folder, never in
the checkout; a page not seen before is estimated from its size.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import select
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from tests.harness import PageResult, run_page, shown_path

_TASK = 4  # bytes per page number in the queue
_SIZE = 8  # bytes of the length prefix of a result


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
    known.update({result.page: round(result.seconds, 3) for result in results if result.seconds})
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


class PageWorkers:
    """A pool of forked processes that run the given pages, each exactly once."""

    def __init__(
        self,
        pages: list[Path],
        workers: int,
        context: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self.pages = list(pages)
        self.workers = max(1, min(workers, len(self.pages)))
        self.context = context  # entered in each worker around its pages (warning filters)
        self.results: dict[str, PageResult] = {}
        self._running: dict[int, tuple[int, int]] = {}  # result fd -> (pid, log fd)
        self._buffers: dict[int, bytes] = {}
        self._exits: list[str] = []

    # -- parent side ---------------------------------------------------------

    def start(self) -> None:
        task_read, task_write = os.pipe()
        queue = b"".join(i.to_bytes(_TASK, "big") for i in range(len(self.pages)))
        os.write(task_write, queue)  # all of it fits in the pipe (a few bytes per page)
        os.close(task_write)
        # Objects that exist now are never garbage: moving them out of the collector's reach
        # keeps a page's gc.collect() fast and stops it from copying the parent's memory.
        gc.freeze()
        for _ in range(self.workers):
            result_read, result_write = os.pipe()
            log_fd, _ = tempfile.mkstemp(prefix="guide-worker-", suffix=".log")
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(result_read)
                self._work(task_read, result_write, log_fd)
            os.close(result_write)
            self._running[result_read] = (pid, log_fd)
            self._buffers[result_read] = b""
        os.close(task_read)
        gc.unfreeze()

    def result(self, page: Path) -> PageResult:
        """The page's result, waiting for the workers until it arrives."""
        key = shown_path(page)
        while key not in self.results and self._running:
            ready, _, _ = select.select(list(self._running), [], [])
            for fd in ready:
                self._receive(fd)
        if key not in self.results:
            died = "; ".join(self._exits) or "no worker ran it"
            return PageResult(key, error=f"{key} got no result from the page workers: {died}")
        return self.results[key]

    def close(self) -> None:
        """Stop the workers that are still running (after ``-x`` or an interrupt)."""
        for fd, (pid, log_fd) in list(self._running.items()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            self._forget(fd, log_fd)

    def _receive(self, fd: int) -> None:
        chunk = os.read(fd, 1 << 16)
        if chunk:
            buffer = self._buffers[fd] + chunk
            while len(buffer) >= _SIZE:
                size = int.from_bytes(buffer[:_SIZE], "big")
                if len(buffer) < _SIZE + size:
                    break
                result: PageResult = pickle.loads(buffer[_SIZE : _SIZE + size])
                self.results[result.page] = result
                buffer = buffer[_SIZE + size :]
            self._buffers[fd] = buffer
            return
        pid, log_fd = self._running[fd]  # end of file: the worker has exited
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code:
            how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
            os.lseek(log_fd, 0, os.SEEK_SET)
            printed = os.read(log_fd, 1 << 20).decode("utf-8", "replace")[-4000:]
            self._exits.append(f"worker {pid} ended with {how}; it printed:\n{printed}")
        self._forget(fd, log_fd)

    def _forget(self, fd: int, log_fd: int) -> None:
        del self._running[fd]
        os.close(fd)
        os.close(log_fd)

    # -- worker side ---------------------------------------------------------

    def _work(self, task_fd: int, result_fd: int, log_fd: int) -> None:
        code = 1
        try:
            # Whatever escapes the examples goes to the worker's log, not to pytest's capture.
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            sys.stdout = sys.stderr = open(log_fd, "w", buffering=1, closefd=False)  # noqa: SIM115
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            with self.context():
                while task := os.read(task_fd, _TASK):
                    page = self.pages[int.from_bytes(task, "big")]
                    try:
                        result = run_page(page)
                    except Exception:  # a fault of the harness, not of an example
                        result = PageResult(shown_path(page), error=traceback.format_exc())
                    payload = pickle.dumps(result)
                    _write_all(result_fd, len(payload).to_bytes(_SIZE, "big") + payload)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
            finally:
                os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
