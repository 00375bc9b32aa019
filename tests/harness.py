"""The machinery that executes the guide: page examples and snippet programs.

``conftest.py`` wires these pieces into pytest; ``tests/test_harness.py`` holds
the specifications they must meet (every prompt collected, no silent skips,
ellipsis only for noise, failures that name page and line).
"""

from __future__ import annotations

import doctest
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sybil import Document, Example, Region, Sybil
from sybil.parsers.rest import DocTestParser
from sybil.parsers.rest.lexers import DirectiveLexer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"

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
    """Evaluator for an example that belongs to another release line."""

    def __init__(self, line: str) -> None:
        self.line = line

    def __call__(self, example: Example) -> None:
        page = Path(example.path)
        shown = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
        # reported at the page and line of the example, not at the line that raises
        raise pytest.skip.Exception(
            f"{shown}, line {example.line}: the page marks this example as "
            f"SQLAlchemy {self.line} only; this run uses {sqlalchemy.__version__}",
            _use_item_location=True,
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


def page_setup(namespace: dict) -> None:
    """Each page starts in a fresh namespace, inside its own temporary directory."""
    namespace["__harness_environ__"] = dict(os.environ)
    namespace["__harness_cwd__"] = os.getcwd()
    workdir = tempfile.mkdtemp(prefix="guide-page-")
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


def docs_sybil() -> Sybil:
    return Sybil(
        parsers=[GuideDocTestParser()],
        path=str(DOCS),
        patterns=["*.rst"],
        excludes=["_build/*"],
        setup=page_setup,
        teardown=page_teardown,
        name="pages",
    )


# --- snippet programs ------------------------------------------------------


def expected_output_path(program: Path) -> Path:
    return program.with_suffix(".out")


def run_snippet(program: Path, timeout: float = 60) -> str:
    """Run one snippet program in a scratch directory; return its stdout."""
    with tempfile.TemporaryDirectory(prefix="guide-snippet-") as workdir:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        completed = subprocess.run(
            [sys.executable, "-W", "error", str(program)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if completed.returncode != 0:
        raise AssertionError(
            f"{program.name} exited with {completed.returncode}:\n{completed.stderr}"
        )
    if completed.stderr:
        raise AssertionError(f"{program.name} wrote to stderr:\n{completed.stderr}")
    return completed.stdout


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


# --- facts about the pages, used by the specifications ---------------------

PROMPT = re.compile(r"^[ \t]*>>>(?: (?P<source>.*))?$", re.MULTILINE)


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)


def prompt_lines(text: str) -> list[int]:
    """Line numbers (1-based) of ``>>>`` lines that carry code."""
    return [
        text.count("\n", 0, m.start()) + 1
        for m in PROMPT.finditer(text)
        if (m.group("source") or "").strip() and not m.group("source").lstrip().startswith("#")
    ]


def parsed_examples(path: Path) -> list[Example]:
    """The examples the harness collects from one page, in page order."""
    return list(Document.parse(str(path), GuideDocTestParser()))


# --- tools from Debian packages ---------------------------------------------


def debian_tool(path: str | None, what: str, package: str) -> str:
    """A tool that pip cannot install: required in CI, a visible skip elsewhere.

    ``path`` is where the tool was found (None when it was not).
    """
    if path is None:
        message = f"{what} is not installed (apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run this check: {message}")
        pytest.skip(message)
    return path
