"""How the guide's pages are executed: Sybil parses each page, and every ``>>>`` example is a
pytest item of its own, run in page order in one namespace per page.

- Each page starts in a fresh namespace, in its own temporary directory, and leaves nothing
  behind: its logging handlers, environment variables, working directory and files go.
- ``...`` in expected output stands only for run-to-run noise (:data:`NOISE`); the
  specifications in ``tests/test_harness.py`` reject any other use.
- Examples inside ``.. sqlalchemy-line:: 2.0`` run only on that SQLAlchemy release line and
  are reported as skipped, with the reason, on the other. Nothing else is ever skipped.
- Warnings are errors (``filterwarnings`` in pyproject.toml): an example that warns fails.
"""

from __future__ import annotations

import doctest
import gc
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import SkipTest

import sqlalchemy
from sybil import Document, Example, Region, Sybil
from sybil.parsers.rest import DocTestParser
from sybil.parsers.rest.lexers import DirectiveLexer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Where pages get their temporary directories: memory (tmpfs) when the system has it,
#: because SQLite syncs every commit to disk and the pages commit often.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

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

LINE_DIRECTIVE = DirectiveLexer(directive=re.escape("sqlalchemy-line"))


class ReleaseLineSkip:
    """The evaluator of an example that belongs to another release line: a visible skip."""

    def __init__(self, line: str) -> None:
        self.line = line

    def reason(self) -> str:
        return (
            f"the page marks this example as SQLAlchemy {self.line} only; "
            f"this run uses {sqlalchemy.__version__}"
        )

    def __call__(self, example: Example) -> None:
        raise SkipTest(self.reason())


class GuideDocTestParser:
    """Every ``>>>`` example of a page; those in another line's ``sqlalchemy-line`` block
    get :class:`ReleaseLineSkip` as their evaluator."""

    def __init__(self) -> None:
        self.doctests = DocTestParser(optionflags=OPTIONFLAGS)

    def line_blocks(self, document: Document) -> list[tuple[int, int, str]]:
        """(start, end, release line) of every ``sqlalchemy-line`` block of the page."""
        return [
            (lexed.start, lexed.end, ".".join(lexed.lexemes["arguments"].split(".")[:2]))
            for lexed in LINE_DIRECTIVE(document)
        ]

    def __call__(self, document: Document) -> Iterator[Region]:
        blocks = self.line_blocks(document)
        for region in self.doctests(document):
            line = next((b[2] for b in blocks if b[0] <= region.start < b[1]), RELEASE_LINE)
            if line != RELEASE_LINE:
                skip = ReleaseLineSkip(line)
                region = Region(region.start, region.end, region.parsed, skip)
                OTHER_LINE[document.path, document.text.count("\n", 0, region.start) + 1] = skip
            yield region


#: (page, line) -> the skip of each example that belongs to another release line; the pytest
#: plugin gives those items a skip mark, so that reports name the page.
OTHER_LINE: dict[tuple[str, int], ReleaseLineSkip] = {}


def page_setup(namespace: dict) -> None:
    """A page starts in a fresh namespace, inside its own temporary directory."""
    namespace["__name__"] = "__test__"
    namespace["__harness_root_handlers__"] = list(logging.root.handlers)  # pytest's own
    namespace["__harness_environ__"] = dict(os.environ)
    namespace["__harness_cwd__"] = os.getcwd()
    namespace["__harness_tmp__"] = tempfile.mkdtemp(prefix="guide-page-", dir=SCRATCH)
    os.chdir(namespace["__harness_tmp__"])


def page_teardown(namespace: dict) -> None:
    """Undo what a page may have changed in the process: logging, cwd, environment, files."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("sqlalchemy"):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
    for handler in list(logging.root.handlers):
        if handler not in namespace["__harness_root_handlers__"]:
            logging.root.removeHandler(handler)
    os.environ.clear()
    os.environ.update(namespace["__harness_environ__"])
    os.chdir(namespace["__harness_cwd__"])
    shutil.rmtree(namespace["__harness_tmp__"], ignore_errors=True)
    namespace.clear()
    # The page's classes and engines are freed here, not during a later page: SQLAlchemy 2.1
    # drops the linecache entries of its generated methods from weakref finalizers, and on
    # Python 3.11 a finalizer that runs while doctest calls linecache.checkcache() (before
    # every example) makes it fail with KeyError on the entry that vanished.
    gc.collect()


#: The pages: any ``.rst`` file (``tests/pytest_guide.py`` decides which ones are pages).
PAGES = Sybil(
    parsers=[GuideDocTestParser()],
    patterns=["*.rst"],
    path="/",
    setup=page_setup,
    teardown=page_teardown,
)


# --- facts about the pages, used by the specifications ---------------------

PROMPT = re.compile(r"^[ \t]*>>>(?: (?P<source>.*))?$", re.MULTILINE)


def is_page(path: Path) -> bool:
    """A page of the guide: a ``.rst`` file under ``docs/``, outside the build folder."""
    return path.suffix == ".rst" and path.is_relative_to(DOCS) and "_build" not in path.parts


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.rst") if is_page(p))


def prompt_lines(text: str) -> list[int]:
    """Line numbers (1-based) of ``>>>`` lines that carry code."""
    return [
        text.count("\n", 0, m.start()) + 1
        for m in PROMPT.finditer(text)
        if (m.group("source") or "").strip()
        and not (m.group("source") or "").lstrip().startswith("#")
    ]


def parsed_examples(path: Path) -> list[Example]:
    """The examples collected from one page, in page order."""
    return list(PAGES.parse(path))
