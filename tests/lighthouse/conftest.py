"""Lighthouse on a built site (report.py says how it runs and how the site is served).

``nox -s lighthouse`` runs these checks with ``--lighthouse --site _build/site`` (build the site
first with ``nox -s docs``); the root conftest.py leaves this folder out otherwise. The checks
audit the sample of report.py in both languages, or the pages named with ``--page``; each page
is audited when its first check needs it, and the run ends with a table of the scores.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lighthouse.report import (
    LANGUAGES,
    SAMPLE,
    LighthouseError,
    PublishedHandler,
    Report,
    audit,
    missing_tools,
    table,
)
from tests.serving import serving, site_option

REPORTS = pytest.StashKey[dict[str, Report]]()


def audited_pages(config: pytest.Config) -> list[str]:
    """The pages named with ``--page``, or the sample in every language."""
    sample = [f"{language}/{page}" for language in LANGUAGES for page in SAMPLE]
    pages = config.getoption("--page") or sample
    site = site_option(config, "tests/lighthouse")
    unknown = [page for page in pages if not (site / page).is_file()]
    if unknown:
        raise pytest.UsageError(f"no such pages in {site}: {unknown}")
    return pages


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``page``: each audited page, as a path under the site root (``en/glossary.html``)."""
    if "page" in metafunc.fixturenames:
        pages = audited_pages(metafunc.config)
        metafunc.parametrize("page", pages, ids=pages, scope="module")


@pytest.fixture(scope="session")
def site(request: pytest.FixtureRequest) -> Path:
    return site_option(request.config, "tests/lighthouse")


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    with serving(site, PublishedHandler) as url:
        yield url


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest, server: str, page: str) -> Report:
    """Lighthouse's report on the page (report.audit: one run, or the median of three)."""
    reports = request.config.stash.setdefault(REPORTS, {})
    if page not in reports:
        if missing := missing_tools():
            pytest.fail("; ".join(missing))
        try:
            reports[page] = audit(f"{server}/{page}", page)
        except LighthouseError as error:
            pytest.fail(f"Lighthouse could not audit {page}: {error}")
    return reports[page]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reports = config.stash.get(REPORTS, {})
    if reports:
        terminalreporter.section("Lighthouse: mobile, slow 4G simulated")
        for line in table(list(reports.values())):
            terminalreporter.write_line(line)
