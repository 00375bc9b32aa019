"""``nox -s bench``: how long people wait, as ratios to floors measured in the same run.

Every figure is the median wall time of several rounds on this machine; a round takes each
measure once, floors included, so that a ratio compares figures taken under the same load,
whatever the machine's speed. Targets:

- (a) the pages and snippets (``pytest docs snippets``) ÷ ``python -c "import pytest,
  sqlalchemy.orm"`` in the same virtualenv, per SQLAlchemy release line: ≤ 5×;
- (b) the whole default ``nox -s doctest`` (nox, its ``uv sync`` and pytest) ÷ the same floor:
  ≤ 15×;
- (c) one page (``pytest docs/session/basics.rst``) ÷ the same floor: ≤ 2×;
- (d) the clean build of both languages (``tests/build.py``, as ``nox -s docs`` builds them)
  ÷ two clean builds of an empty furo project: ≤ 6×;
- (e) the rebuild of both languages after one page is touched ÷ one clean build of the empty
  project: ≤ 2×;
- (f) "Run in your browser", cold: from the click on the start button to the first example's
  result, in headless Chromium ÷ the bare runtime's start (``loadPyodide()`` and ``import
  sqlalchemy``) in the same browser: ≤ 1.5×;
- (g) the same with the runtime cached, on a later page that starts it by itself (from its load
  event) ÷ the bare start from the HTTP cache: ≤ 1.0×; where the time goes is printed;
- the runtime's transfer (its files gzip-compressed, as a static server sends them): ≤ 15 MB.

(f), (g) and the transfer read the built site (``nox -s docs``); they are taken in
tests/bench_browser.py, three rounds by default, and skipped, with the reason, when the site or
Chromium is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests import bench_browser

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
ONE_PAGE = "docs/session/basics.rst"
TOUCHED_PAGE = ROOT / "docs" / "core" / "engine.rst"


def seconds(command: list[str], env: dict[str, str] = ENV) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stdout}{result.stderr}")
    return elapsed


def medians(runs: int, measures: dict[str, Callable[[], float]]) -> dict[str, float]:
    """The median of each measure over ``runs`` rounds, each round taking every measure once."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            samples[name].append(measure())
    return {name: statistics.median(sample) for name, sample in samples.items()}


def nox_doctest(nox_python: str) -> Callable[[], float]:
    """``nox -s doctest`` as a contributor runs it, outside the bench's own virtualenv."""
    env = {k: v for k, v in ENV.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent
    )

    return lambda: seconds([nox_python, "-m", "nox", "-s", "doctest"], env)


def doctest_measures(line: str, python: str) -> dict[str, Callable[[], float]]:
    def pytest(*args: str) -> Callable[[], float]:
        return lambda: seconds([python, "-m", "pytest", "-q", *args])

    measures = {
        f"floor {line}": lambda: seconds([python, "-c", "import pytest, sqlalchemy.orm"]),
        f"(a) pages and snippets, SQLAlchemy {line}": pytest("docs", "snippets"),
    }
    if line == "2.1":
        measures["(c) one page"] = pytest(ONE_PAGE)
    return measures


def build_measures(scratch: Path) -> dict[str, Callable[[], float]]:
    empty = scratch / "empty"
    empty.mkdir()
    (empty / "conf.py").write_text('project = "empty"\nhtml_theme = "furo"\n', encoding="utf-8")
    (empty / "index.rst").write_text("Empty\n=====\n", encoding="utf-8")
    site, doctrees = scratch / "site", scratch / "doctrees"
    build = [sys.executable, "-m", "tests.build", str(site), "en", "ru", "--doctrees",
             str(doctrees)]  # fmt: skip

    def clean_empty() -> float:
        shutil.rmtree(scratch / "empty-out", ignore_errors=True)
        return seconds(
            [sys.executable, "-m", "sphinx", "-q", str(empty), str(scratch / "empty-out")]
        )

    def clean_site() -> float:
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(doctrees, ignore_errors=True)
        return seconds(build)

    def touched_rebuild() -> float:
        os.utime(TOUCHED_PAGE)  # newer than its doctree: Sphinx reads and writes it again
        return seconds(build)

    clean_site()  # not measured: the rebuild needs a site
    return {
        "floor: empty furo build": clean_empty,
        "(d) clean build, both languages": clean_site,
        "(e) rebuild after touching one page": touched_rebuild,
    }


#: measure -> (floor, how many floors, target ratio)
RATIOS = {
    "(a) pages and snippets, SQLAlchemy 2.1": ("floor 2.1", 1, 5.0),
    "(a) pages and snippets, SQLAlchemy 2.0": ("floor 2.0", 1, 5.0),
    "(b) whole default nox -s doctest": ("floor 2.1", 1, 15.0),
    "(c) one page": ("floor 2.1", 1, 2.0),
    "(d) clean build, both languages": ("floor: empty furo build", 2, 6.0),
    "(e) rebuild after touching one page": ("floor: empty furo build", 1, 2.0),
}


def report(times: dict[str, float]) -> bool:
    print(f"{'measure':<40} {'time':>7} {'floor':>7} {'ratio':>6} {'target':>6}")
    within = True
    for name, (floor_name, floors, target) in RATIOS.items():
        if name not in times:
            continue
        floor = floors * times[floor_name]
        ratio = times[name] / floor
        within &= ratio <= target
        verdict = "within" if ratio <= target else "OVER"
        print(f"{name:<40} {times[name]:>6.2f}s {floor:>6.2f}s {ratio:>5.2f}x {target:>5.1f}x  "
              f"{verdict}")  # fmt: skip
    return within


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds per figure (median kept)")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="LINE=PATH",
        help="a virtualenv's Python with that SQLAlchemy line, e.g. 2.0=venv/bin/python",
    )
    parser.add_argument("--nox", metavar="PATH", help="the Python that runs nox, for (b)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over target")
    parser.add_argument("--browser-runs", type=int, default=3, help="rounds for (f) and (g)")
    parser.add_argument("--only", choices=["browser"], help="take only (f), (g) and the transfer")
    args = parser.parse_args(argv)
    within = True
    if args.only != "browser":
        with tempfile.TemporaryDirectory(prefix="guide-bench-") as scratch:
            measures = build_measures(Path(scratch))
            for line, python in (item.split("=", 1) for item in args.python):
                measures.update(doctest_measures(line, python))
            if args.nox:
                measures["(b) whole default nox -s doctest"] = nox_doctest(args.nox)
            times = medians(args.runs, measures)
        within = report(times)
    within &= bench_browser.run(bench_browser.SITE, args.browser_runs)
    return 0 if within or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
