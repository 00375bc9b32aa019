"""The pytest plugin that makes pages and snippet programs tests (``conftest.py`` loads it).

The machinery lives in ``tests/harness.py`` (running a page),
``tests/pageworkers.py`` (running pages side by side) and ``tests/programs.py``
(running snippet programs); this module connects it to pytest. It imports
neither SQLAlchemy nor the harness: with page workers, their preparing
process does, beside pytest's own start-up. Each page is one
item; each of its examples is reported on its own (a dot, an F or an s; a
failure names the page and the line), so the summary counts examples, not pages.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from _pytest.warnings import catch_warnings_for_item

from tests import pagefiles, pageworkers, programs

WORKERS = pytest.StashKey[pageworkers.PageWorkers]()
#: The programs a run has started in fresh interpreters, by path (without page workers).
STARTED = pytest.StashKey[dict[Path, programs.RunningSnippet]]()
PAGE_ITEM = ("guide", "page examples")  # a user property that marks a page item's own reports


class PageError(Exception):
    """The page could not run at all (unparsable, or its worker died)."""


class ExampleReport(pytest.TestReport):
    """The verdict on one example, reported under its page's item."""


class PageFile(pytest.File):
    def collect(self):
        if examples := len(pagefiles.prompt_lines(self.path.read_text(encoding="utf-8"))):
            yield PageExamples.from_parent(self, name="examples", examples=examples)


class PageExamples(pytest.Item):
    """Every ``>>>`` example of one page, run in order; each one gets its own verdict."""

    def __init__(self, *, examples: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user_properties.append(PAGE_ITEM)
        self.examples = examples  # counted at collection: progress and the header use it

    def runtest(self) -> None:
        workers = self.config.stash.get(WORKERS, None)
        if workers:
            result = workers.result(self.path)
        else:
            from tests.harness import run_page  # SQLAlchemy is imported here, when first needed

            result = run_page(self.path)
        if result.error:
            raise PageError(result.error)
        capture = self.config.pluginmanager.getplugin("capturemanager")
        page = pagefiles.shown_path(self.path)
        keywords = dict.fromkeys(self.keywords, 1)  # the same for every example of the page
        with capture.global_and_fixture_disabled():
            for outcome in result.outcomes:
                report = self.example_report(outcome, page, keywords)
                self.ihook.pytest_runtest_logreport(report=report)

    def example_report(
        self, outcome: pagefiles.Outcome, page: str, keywords: dict[str, int]
    ) -> ExampleReport:
        longrepr: str | tuple[str, int, str] | None = None
        if outcome.status == "failed":
            longrepr = outcome.detail
        elif outcome.status == "skipped":
            longrepr = (page, outcome.line, outcome.detail)
        return ExampleReport(
            nodeid=f"{self.nodeid}::line {outcome.line}",
            location=(page, outcome.line - 1, f"{page}, line {outcome.line}"),
            keywords=keywords,
            outcome=outcome.status,
            longrepr=longrepr,
            when="call",
        )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PageError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"examples of {pagefiles.shown_path(self.path)}"


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
        workers = self.config.stash.get(WORKERS, None)
        if workers:
            run = workers.program_run(program)
        else:
            running = self.config.stash.get(STARTED, {}).pop(program, None)
            run = (running or programs.RunningSnippet(program)).finish()
        actual = run.output()
        if actual != expected:
            raise AssertionError(
                f"{program.name}: output differs from {expected_file.name}, "
                + programs.first_difference(expected, actual)
            )

    def reportinfo(self):
        return self.path, 0, f"snippet {self.path.name}"


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".py" and file_path.parent == programs.SNIPPETS:
        return SnippetFile.from_parent(parent, path=file_path)
    if pagefiles.is_page(file_path) or named_page(file_path, parent.config):
        return PageFile.from_parent(parent, path=file_path)
    return None


def named_paths(config: pytest.Config) -> list[Path]:
    """The files and folders the command line names (a node id's file part), resolved."""
    return [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]


def named_page(file_path: Path, config: pytest.Config) -> bool:
    """An ``.rst`` file named on the command line is run as a page wherever it is."""
    return file_path.suffix == ".rst" and file_path in named_paths(config)


def worker_count(config: pytest.Config) -> int:
    """How many worker processes run the pages: 0 runs them in the pytest process."""
    wanted = config.getoption("--page-workers")
    if wanted == "auto":
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        # Two per CPU: some pages mostly wait (pool timeouts, recycling, aiosqlite's thread),
        # and a CPU whose worker waits can run another page meanwhile.
        wanted = 2 * cpus
    if wanted < 1 or not pageworkers.available():
        return 0
    if config.option.usepdb or config.option.trace:
        return 0  # a debugger needs the page in this process
    return wanted


def reaches_pages(named: list[Path]) -> bool:
    """True when a named path is, holds or lies in ``docs/``, or names a page."""
    docs = pagefiles.DOCS
    return any(
        path.suffix == ".rst" or path == docs or path in docs.parents or docs in path.parents
        for path in named
    )


def named_snippets(named: list[Path]) -> list[Path]:
    """The snippet programs a named path is or holds."""
    return [
        program
        for program in programs.programs()
        if any(path == program or path in program.parents for path in named)
    ]


def pytest_configure(config: pytest.Config) -> None:
    """Start the snippet programs the run names, and the page workers' preparing process.

    Both start before collection, so that they work while pytest collects.
    """
    early = pageworkers.take_early()  # started by tests/run.py before pytest was imported
    if config.option.collectonly:
        snippets, count = [], 0
    else:
        named = named_paths(config)
        snippets = named_snippets(named)
        count = worker_count(config) if snippets or reaches_pages(named) else 0
    if not count:
        if early:
            early.close()
        config.stash[STARTED] = {program: programs.RunningSnippet(program) for program in snippets}
        return
    workers = early or pageworkers.PageWorkers()
    if not early:
        workers.start()
    config.add_cleanup(workers.close)
    workers.configure(count, snippets, warning_filters(config))
    config.stash[WORKERS] = workers


def warning_filters(config: pytest.Config) -> list[tuple]:
    """The warning filters a test starts with (pyproject.toml: warnings are errors), for the
    page workers, which run outside pytest's own handling of warnings."""
    with catch_warnings_for_item(config, config.hook, "runtest", None, record=False):
        return list(warnings.filters)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    config = session.config
    if config.option.collectonly:
        return (yield)
    pages = [item.path for item in session.items if isinstance(item, PageExamples)]
    snippets = [item.path for item in session.items if isinstance(item, SnippetRun)]
    workers = config.stash.get(WORKERS, None)
    started = config.stash.setdefault(STARTED, {})
    if workers:
        workers.run(pages, snippets)  # in the order of the items: see modifyitems below
    else:
        for program in set(started) - set(snippets):  # deselected after all (-k, -m)
            started.pop(program).stop()
        for program in set(snippets) - set(started):
            started[program] = programs.RunningSnippet(program)
    try:
        return (yield)
    finally:
        if workers:
            workers.close()
            pageworkers.remember_timings(list(workers.results.values()))
        for running in started.values():  # still there when the run stopped early
            running.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With page workers, pages run and are reported in the order the workers take them:
    the longest first, so that no long page starts last, and pytest reports each page as
    its result arrives instead of waiting behind one still running."""
    if not config.stash.get(WORKERS, None) or config.getoption("--reverse-pages"):
        return  # in one process the order does not matter; reversed, the order is the point
    slots = [i for i, item in enumerate(items) if isinstance(item, PageExamples)]
    by_path = {items[i].path: items[i] for i in slots}
    for i, path in zip(slots, pageworkers.longest_first(list(by_path)), strict=True):
        items[i] = by_path[path]


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session):
    result = yield
    # Progress and "N passed" count examples: each one is reported as a test of its own.
    session.testscollected = sum(getattr(item, "examples", 1) for item in session.items)
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if report.when == "call" and report.passed and PAGE_ITEM in report.user_properties:
        return "", "", ""  # the page's examples were counted one by one
    return None


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> str | None:
    pages = [item for item in items if isinstance(item, PageExamples)]
    if not pages:
        return None
    examples = sum(item.examples for item in pages)
    workers = min(worker_count(config), len(pages)) if config.stash.get(WORKERS, None) else 0
    where = {0: "this process", 1: "a worker process"}.get(workers, f"{workers} worker processes")
    on = f"{len(pages)} pages" if len(pages) > 1 else "1 page"
    return f"{examples} examples on {on}, run in {where}"
