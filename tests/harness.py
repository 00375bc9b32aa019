"""The machinery that executes the guide's pages: every ``>>>`` example, page by page.

``tests/pytest_guide.py`` wires these pieces into pytest; ``tests/test_harness.py`` holds
the specifications they must meet (every prompt collected, no silent skips,
ellipsis only for noise, failures that name page and line).
"""

from __future__ import annotations

import doctest
import logging
import os
import re
import shutil
import tempfile
import textwrap
import time
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy
from sybil import Document, Example, Region
from sybil.evaluators.doctest import OutputChecker
from sybil.parsers.rest import DocTestParser
from sybil.parsers.rest.lexers import DirectiveLexer

from tests.pagefiles import SCRATCH, Outcome, PageResult, shown_path

#: ELLIPSIS stands only for run-to-run noise (see ``NOISE`` below); whitespace
#: is normalized because SQLAlchemy's echoed DDL carries tabs and blank lines.
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: What ``...`` may stand for in expected output. Each pattern matches the
#: ellipsis with its context; whatever ``...`` remains on a line once these are
#: taken out hides real output, and the specifications reject it.
NOISE = {
    "statement timing": re.compile(
        r"\[(?:generated in|cached since|no key) [\d.]*\.\.\.s(?: ago)?"
    ),
    "memory address": re.compile(r"0x\.\.\."),
    "release part of an error link": re.compile(r"https://sqlalche\.me/e/\.\.\./"),
}


def unexplained_ellipsis(line: str) -> bool:
    """True when ``line`` still holds ``...`` after the noise patterns are removed."""
    for pattern in NOISE.values():
        line = pattern.sub("", line)
    return "..." in line


#: The SQLAlchemy release line this run checks against, e.g. "2.1".
RELEASE_LINE = ".".join(sqlalchemy.__version__.split(".")[:2])

#: ``.. sqlalchemy-line:: 2.0`` marks examples whose output belongs to one
#: release line; the page shows the mark, and pytest reports the examples as
#: skipped (with this reason) when another line is installed.
LINE_DIRECTIVE = "sqlalchemy-line"
_line_lexer = DirectiveLexer(directive=re.escape(LINE_DIRECTIVE))


def _strip_release(version: str) -> str:
    return ".".join(version.strip().split(".")[:2])


class ReleaseLineSkip:
    """Marks an example that belongs to another release line: it is reported as skipped."""

    def __init__(self, line: str) -> None:
        self.line = line

    def reason(self) -> str:
        return (
            f"the page marks this example as SQLAlchemy {self.line} only; "
            f"this run uses {sqlalchemy.__version__}"
        )


class GuideDocTestParser:
    """Every ``>>>`` example of a page, release-line blocks included.

    Examples inside a ``sqlalchemy-line`` block run when that line is
    installed and are reported as skipped, with the reason, otherwise.
    """

    def __init__(self) -> None:
        self.doctests = DocTestParser(optionflags=OPTIONFLAGS)

    def line_blocks(self, document: Document) -> list[tuple[int, int, str]]:
        return [
            (lexed.start, lexed.end, _strip_release(lexed.lexemes["arguments"] or ""))
            for lexed in _line_lexer(document)
        ]

    def __call__(self, document: Document) -> Iterator[Region]:
        blocks = self.line_blocks(document)
        for region in self.doctests(document):
            line = next((b[2] for b in blocks if b[0] <= region.start < b[1]), None)
            if line is not None and line != RELEASE_LINE:
                region.evaluator = ReleaseLineSkip(line)
            yield region


def page_setup(namespace: dict, scratch: str | None = None) -> None:
    """Each page starts in a fresh namespace, inside its own temporary directory
    (in ``scratch``, else in :data:`~tests.pagefiles.SCRATCH`)."""
    namespace["__harness_environ__"] = dict(os.environ)
    namespace["__harness_cwd__"] = os.getcwd()
    workdir = tempfile.mkdtemp(prefix="guide-page-", dir=scratch or SCRATCH)
    namespace["__harness_tmp__"] = workdir
    os.chdir(workdir)


def page_teardown(namespace: dict) -> None:
    """Undo what a page may have changed in the process: logging, cwd, files."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("sqlalchemy"):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    os.environ.clear()
    os.environ.update(namespace["__harness_environ__"])
    os.chdir(namespace["__harness_cwd__"])
    shutil.rmtree(namespace["__harness_tmp__"], ignore_errors=True)
    namespace.clear()


class _PageRunner(doctest.DocTestRunner):
    """Runs a page as one doctest and keeps a verdict per example (doctest only counts)."""

    def __init__(self, page: str, lines: dict[int, int]) -> None:
        super().__init__(checker=OutputChecker(), optionflags=OPTIONFLAGS, verbose=False)
        self.page = page
        self.lines = lines  # id(doctest example) -> line of its ``>>>`` on the page
        self.outcomes: list[Outcome] = []

    def _verdict(self, example: doctest.Example, status: str, detail: str = "") -> None:
        self.outcomes.append(Outcome(self.lines[id(example)], status, detail))

    def _where(self, example: doctest.Example, what: str) -> str:
        line = self.lines[id(example)]
        source = textwrap.indent(example.source.rstrip("\n"), "    ")
        return f"{self.page}, line {line}: {what}\nFailed example:\n{source}\n"

    def report_start(self, out, test, example) -> None:
        pass

    def report_success(self, out, test, example, got) -> None:
        self._verdict(example, "passed")

    def report_failure(self, out, test, example, got) -> None:
        difference = self._checker.output_difference(example, got, self.optionflags)
        self._verdict(example, "failed", self._where(example, "the output differs") + difference)

    def report_unexpected_exception(self, out, test, example, exc_info) -> None:
        kind, error, trace_back = exc_info
        trace = "".join(
            traceback.format_exception(kind, error, trace_back.tb_next)
        )  # not doctest's frame
        kind = kind.__name__
        detail = self._where(example, f"{kind} was raised") + "Exception raised:\n"
        self._verdict(example, "failed", detail + textwrap.indent(trace, "    "))


def run_page(path: Path, scratch: str | None = None) -> PageResult:
    """Run every example of one page, in order, in a fresh namespace and directory.

    Examples of another release line are not run; they are reported as skipped
    with the reason. A failing example does not stop the page: each example
    gets its own verdict, as the reader would see it when pasting them in order.
    The page's temporary directory is made in ``scratch`` when given.
    """
    started = time.perf_counter()
    shown = shown_path(path)
    result = PageResult(shown)
    try:
        examples = list(Document.parse(str(path), GuideDocTestParser()))
    except Exception as error:  # broken markup: name the page and what went wrong
        result.error = f"{shown} cannot be parsed: {error}"
        return result
    skips = {
        example.line: example.region.evaluator.reason()
        for example in examples
        if isinstance(example.region.evaluator, ReleaseLineSkip)
    }
    runnable = [example for example in examples if example.line not in skips]
    runner = _PageRunner(shown, {id(example.parsed): example.line for example in runnable})
    namespace: dict = {"__name__": "__test__"}  # as Sybil names a page's module
    page_setup(namespace, scratch)
    try:
        test = doctest.DocTest(
            [example.parsed for example in runnable], namespace, shown, str(path), 0, None
        )
        test.globs = namespace  # doctest copies the namespace; the teardown needs this one
        runner.run(test, out=lambda text: None, clear_globs=False)
    finally:
        page_teardown(namespace)
    verdicts = {outcome.line: outcome for outcome in runner.outcomes}
    verdicts.update({line: Outcome(line, "skipped", reason) for line, reason in skips.items()})
    result.outcomes = [verdicts[example.line] for example in examples]
    result.seconds = time.perf_counter() - started
    return result


def warm_up() -> None:
    """One small Core and ORM round trip on in-memory SQLite, then nothing is left of it.

    SQLAlchemy imports and prepares much of itself on first use (the SQLite dialect,
    the ORM's loader strategies, the compilers' dispatch). Done once in the page
    workers' preparing process before it forks them (``tests/pageworkers.py``), that
    work is shared by every worker instead of repeated by each one's first page.
    """
    from sqlalchemy import Integer, String, create_engine, select
    from sqlalchemy.orm import DeclarativeBase, Session, mapped_column

    class Base(DeclarativeBase):
        pass

    class Note(Base):  # no annotations: this module's are strings (__future__)
        __tablename__ = "note"
        id = mapped_column(Integer, primary_key=True)
        text = mapped_column(String(30))

    engine = create_engine("sqlite://")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a warning here would belong to no page
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add(Note(text="warm"))
            session.commit()
            session.scalars(select(Note)).all()
    engine.dispose()
    Base.registry.dispose()


# --- facts about the pages, used by the specifications ---------------------


def parsed_examples(path: Path) -> list[Example]:
    """The examples the harness collects from one page, in page order."""
    return list(Document.parse(str(path), GuideDocTestParser()))
