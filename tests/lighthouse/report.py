"""Lighthouse on the built site: which pages, how they are served, one run, and its report.

Lighthouse comes from npm (pinned in tests/browser/package-lock.json, next to axe-core) and
drives Debian's ``/usr/bin/chromium`` with its default settings: a mid-range phone on a slow 4G
network, simulated (``--throttling-method=simulate``). The scores are Lighthouse's own.

The site is served on 127.0.0.1 the way GitHub Pages publishes it: text files gzip-compressed,
connections kept open (HTTP/1.1). Python's plain file server sends every file uncompressed over
a new connection; on it, the scores measure that server rather than the site.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LIGHTHOUSE = ROOT / "tests" / "browser" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LANGUAGES = ("en", "ru")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")

#: The pages audited in each language unless ``--page`` names others: all of them would take a
#: quarter of an hour. The longest page, the glossary, the search page and pages with diagrams
#: are among them (test_scores.py checks that the longest page still is).
SAMPLE = (
    "index.html",
    "overview.html",  # a diagram
    "session/basics.html",  # diagrams, release-line boxes, many examples
    "states/transitions.html",  # the longest Russian page, diagrams
    "asyncio/session.html",  # the longest English page, not-in-browser boxes
    "glossary.html",
    "genindex.html",
    "search.html",
)

#: The lowest performance score a page may have (test_scores.py checks it).
PERFORMANCE_FLOOR = 98
#: The performance score varies from run to run with the load that other processes put on the
#: machine's CPU, which Lighthouse's simulation scales up (a slow phone). As Lighthouse advises
#: for such variance, a page below the floor is judged by the median of several runs.
RUNS_BELOW_THE_FLOOR = 3

#: Compressed as GitHub Pages compresses them (tests/site/page_weight.py weighs them so too).
TEXT_SUFFIXES = {".html", ".css", ".js", ".svg", ".json", ".xml", ".txt"}


class PublishedHandler(SimpleHTTPRequestHandler):
    """The site's files as GitHub Pages serves them: gzip-compressed text, kept-alive
    connections."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if path.suffix in TEXT_SUFFIXES and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        pass  # keep the test output clean


class LighthouseError(Exception):
    pass


def missing_tools() -> list[str]:
    checks = [
        (shutil.which("node"), "no node: `apt-get install nodejs` (Debian)"),
        (LIGHTHOUSE.is_file(), "no Lighthouse: run `npm ci --prefix tests/browser`"),
        (CHROMIUM.is_file(), "no Chromium: `apt-get install chromium` (Debian)"),
    ]
    return [message for found, message in checks if not found]


def run(url: str) -> dict:
    """Lighthouse's report (its JSON result) on one URL."""
    command = [
        shutil.which("node"), str(LIGHTHOUSE), url,
        "--output=json", "--output-path=stdout", "--quiet", "--no-enable-error-reporting",
        "--throttling-method=simulate",  # the default, stated: what the issue measured
        f"--chrome-flags={' '.join(CHROMIUM_FLAGS)}",
        # neither is part of any score, and both take time
        "--skip-audits=bf-cache", "--disable-full-page-screenshot",
    ]  # fmt: skip
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}  # where Lighthouse finds the browser
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise LighthouseError(f"exit status {done.returncode}: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    if error := report.get("runtimeError"):
        raise LighthouseError(f"{error['code']}: {error['message']}")
    return report


@dataclass(repr=False)
class Report:
    """Lighthouse's report on one page of the site."""

    page: str  # under the site root: en/session/basics.html
    result: dict
    #: the performance scores of every run, when the page was audited more than once
    performance_runs: list[int] = field(default_factory=list)

    def __repr__(self) -> str:  # short: pytest shows it when a check fails
        return f"Report({self.page})"

    def score(self, category: str) -> int:
        """The score as Lighthouse shows it: 0 to 100, rounded half up."""
        return math.floor(self.result["categories"][category]["score"] * 100 + 0.5)

    def shown(self, audit: str) -> str:
        return self.result["audits"][audit].get("displayValue", "")

    def passes(self, audit: str) -> bool:
        return self.result["audits"][audit]["score"] == 1

    def failing(self, category: str, limit: int = 10) -> list[str]:
        """The category's audits that lose points or fail, heaviest first."""
        found = []
        refs = self.result["categories"][category]["auditRefs"]
        for ref in sorted(refs, key=lambda ref: -ref["weight"]):
            audit = self.result["audits"][ref["id"]]
            if audit["score"] is None or audit["score"] >= 1:
                continue  # passed, or not scored (informative, not applicable, manual)
            shown = f", {audit['displayValue']}" if audit.get("displayValue") else ""
            found.append(f"{ref['id']} (score {audit['score']:.2f}{shown}): {audit['title']}")
        return found[:limit]

    def verdict(self, category: str, floor: int) -> str:
        """What a failing check says: the page, the category, the score and what costs it."""
        runs = ""
        if category == "performance" and self.performance_runs:
            runs = f" (the median of {len(self.performance_runs)} runs: {self.performance_runs})"
        lines = [
            f"{self.page}: {category} {self.score(category)}{runs}, below {floor} "
            f"(FCP {self.shown('first-contentful-paint')}, "
            f"LCP {self.shown('largest-contentful-paint')}); failing audits:",
            *(f"  {line}" for line in self.failing(category)),
        ]
        return "\n".join(lines)


def audit(url: str, page: str) -> Report:
    """Lighthouse's report on a page: one run, or, when its performance score is below the
    floor, the run with the median score of RUNS_BELOW_THE_FLOOR runs."""
    first = Report(page, run(url))
    if first.score("performance") >= PERFORMANCE_FLOOR:
        return first
    runs = [first, *(Report(page, run(url)) for _ in range(RUNS_BELOW_THE_FLOOR - 1))]
    median = sorted(runs, key=lambda report: report.score("performance"))[len(runs) // 2]
    median.performance_runs = [report.score("performance") for report in runs]
    return median


def table(reports: list[Report]) -> list[str]:
    """One line per page: the four scores, FCP and LCP."""
    header = ("page", "performance", "accessibility", "best practices", "SEO", "FCP", "LCP")
    rows = [header]
    for report in reports:
        scores = [str(report.score(category)) for category in CATEGORIES]
        if report.performance_runs:
            scores[0] += f" (median of {', '.join(map(str, report.performance_runs))})"
        if not report.passes("is-crawlable"):
            scores[-1] += " (noindex)"
        fcp, lcp = report.shown("first-contentful-paint"), report.shown("largest-contentful-paint")
        rows.append((report.page, *scores, fcp, lcp))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    rows.insert(1, tuple("-" * width for width in widths))
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
