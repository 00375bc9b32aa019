"""pytest entry point: the pages, the snippet programs and the specifications in tests/.

Kept light on purpose: the command-line options, and the plugin that makes pages
and snippet programs tests, ``tests/pytest_guide.py``, loaded in ``pytest_configure``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_harness.py runs the plugin in pytest runs of its own


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
        "--lighthouse",
        action="store_true",
        help="enables the checks in tests/lighthouse/: Lighthouse's scores for pages of the site "
        "given with --site (nox -s lighthouse runs them)",
    )
    parser.addoption(
        "--page",
        action="append",
        metavar="PAGE",
        help="with --lighthouse: a page to audit instead of the sample, as a path under the site "
        "(en/core/engine.html); repeatable",
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
    if collection_path.name == "lighthouse" and collection_path.parent.name == "tests":
        return not config.getoption("--lighthouse")  # those need Chromium and Lighthouse
    return None


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("guide"):
        config.pluginmanager.register(importlib.import_module("tests.pytest_guide"), "guide")
