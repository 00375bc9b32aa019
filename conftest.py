"""pytest entry point: every page example and every snippet program is a test.

The machinery lives in ``tests/harness.py``; this file only connects it to pytest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import (
    SNIPPETS,
    docs_sybil,
    expected_output_path,
    first_difference,
    run_snippet,
)

# One test item per ``>>>`` example, one namespace per page (docs/**/*.rst).
_collect_page = docs_sybil().pytest()


class SnippetFile(pytest.File):
    def collect(self):
        yield SnippetRun.from_parent(self, name="output")


class SnippetRun(pytest.Item):
    """A snippet program must print exactly what its ``.out`` file says."""

    def runtest(self) -> None:
        program = Path(self.path)
        expected_file = expected_output_path(program)
        if not expected_file.exists():
            raise AssertionError(f"{program.name} has no expected output file {expected_file.name}")
        expected = expected_file.read_text(encoding="utf-8")
        actual = run_snippet(program)
        if actual != expected:
            raise AssertionError(
                f"{program.name}: output differs from {expected_file.name}, "
                + first_difference(expected, actual)
            )

    def reportinfo(self):
        return self.path, 0, f"snippet {self.path.name}"


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".py" and file_path.parent == SNIPPETS:
        return SnippetFile.from_parent(parent, path=file_path)
    return _collect_page(file_path, parent)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--site",
        metavar="DIR",
        help="a built site (nox -s docs builds _build/site); enables the checks in tests/site/",
    )
    parser.addoption(
        "--browser",
        action="store_true",
        help="enables the checks in tests/browser/: the site given with --site in headless "
        "Chromium (nox -s browser runs them)",
    )
    parser.addoption(
        "--reverse-pages",
        action="store_true",
        help="run the pages in reverse order (examples keep their order within a page); "
        "CI uses it to prove that no page depends on another",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--reverse-pages"):
        return
    pages: dict[str, list[pytest.Item]] = {}
    for item in items:
        pages.setdefault(str(item.path), []).append(item)
    items[:] = [item for page in reversed(pages) for item in pages[page]]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name == "site" and collection_path.parent.name == "tests":
        return not config.getoption("--site")  # those checks read a built site
    if collection_path.name == "browser" and collection_path.parent.name == "tests":
        return not config.getoption("--browser")  # those need Chromium and Playwright
    return None
