"""The pytest plugin that makes pages and snippet programs tests (``conftest.py`` loads it).

- A page (``docs/**/*.rst``, or any ``.rst`` file named on the command line) is collected by
  Sybil (``tests/harness.py``): each ``>>>`` example is one item, ``PAGE::line:N,column:M``.
- A snippet program (``snippets/*.py``) is one item that runs it (``tests/programs.py``) and
  compares what it prints with its ``.out`` file. The programs of a run start as soon as
  collection ends, each in its own interpreter, and run while the pages do.
- The catalog specs' two external commands (Sphinx's message extraction and hunspell) start
  then too, in background threads, when the run selects those specs (:func:`background`).
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import harness, programs

collect_page = harness.PAGES.pytest()
STARTED = pytest.StashKey[dict[Path, programs.Running]]()
BACKGROUND = pytest.StashKey[dict[str, Future]]()


def background_jobs(items: list[pytest.Item], scratch: Path) -> dict[str, Callable[[], object]]:
    """What the selected specs will need from slow external commands."""
    if not any(item.path.name == "test_catalogs.py" for item in items):
        return {}
    from tests import catalogs

    return {
        "extracted messages": lambda: catalogs.extract_messages(scratch / "gettext"),
        "misspelled words": lambda: catalogs.misspelled_words("ru"),
    }


def background(config: pytest.Config, name: str):
    """The result of a background job (its exception, if it failed)."""
    return config.stash[BACKGROUND][name].result()


class SnippetFile(pytest.File):
    def collect(self):
        yield SnippetRun.from_parent(self, name="output")


class SnippetRun(pytest.Item):
    """A snippet program must print exactly what its ``.out`` file says."""

    def runtest(self) -> None:
        program = Path(self.path)
        expected_file = programs.expected_output_path(program)
        if not expected_file.exists():
            raise AssertionError(f"{program.name} has no expected output file {expected_file.name}")
        expected = expected_file.read_text(encoding="utf-8")
        running = self.config.stash[STARTED].pop(program, None) or programs.Running(program)
        try:
            actual = running.finish().output()
        finally:
            running.stop()  # when finish() was interrupted (Ctrl-C); else it does nothing
        if actual != expected:
            raise AssertionError(
                f"{program.name}: output differs from {expected_file.name}, "
                + programs.first_difference(expected, actual)
            )

    def reportinfo(self):
        return self.path, 0, f"snippet {self.path.name}"


def named_on_command_line(file_path: Path, config: pytest.Config) -> bool:
    named = [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]
    return file_path in named


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".py" and file_path.parent == programs.SNIPPETS:
        return SnippetFile.from_parent(parent, path=file_path)
    if harness.is_page(file_path) or (
        file_path.suffix == ".rst" and named_on_command_line(file_path, parent.config)
    ):
        return collect_page(file_path, parent)
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Mark the examples of another release line; start the selected snippet programs and
    the background jobs the selected specs need."""
    config = session.config
    for item in session.items:
        # a skip mark, so that the report names the page (Sybil's skip would name unittest)
        path, line, _ = item.reportinfo()
        skip = harness.OTHER_LINE.get((str(path), line))
        if skip is not None:
            item.add_marker(pytest.mark.skip(reason=skip.reason()))
    if config.getoption("collectonly"):
        return
    # Everything imported and collected so far lives as long as the run: kept out of the
    # garbage collector's sight, so that each page's gc.collect() (tests/harness.py) scans
    # only what pages create, in milliseconds instead of a twentieth of a second.
    gc.freeze()
    config.stash[STARTED] = {
        item.path: programs.Running(item.path)
        for item in session.items
        if isinstance(item, SnippetRun)
    }
    scratch = Path(tempfile.mkdtemp(prefix="guide-background-"))
    config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
    jobs = background_jobs(session.items, scratch)
    if jobs:
        pool = ThreadPoolExecutor(max_workers=len(jobs))
        config.add_cleanup(pool.shutdown)  # runs before the scratch folder goes
        config.stash[BACKGROUND] = {name: pool.submit(job) for name, job in jobs.items()}


def pytest_sessionfinish(session: pytest.Session) -> None:
    for running in session.config.stash.get(STARTED, {}).values():  # the run stopped early
        running.stop()
