"""``nox -s bench``: how fast the contributor loop is, as ratios to floors measured in the same run.

Every figure is the median wall time of several rounds on this machine; a round
takes each measure once, floors included, so that a ratio compares figures
taken under the same load, whatever the machine's speed:

- doctest suite (page examples + snippet programs, ``python -m tests.run docs snippets`` as
  ``nox -s doctest -- docs snippets`` runs it) ÷ the floor
  ``python -c "import pytest, sqlalchemy.orm"`` in the same virtualenv, per SQLAlchemy line;
- clean HTML build of both languages (as ``nox -s docs`` builds it) ÷ two clean builds of an
  empty furo project;
- rebuild after touching one page ÷ one clean build of the empty project.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"doctest": 2.5, "clean build": 2.0, "incremental rebuild": 1.3}
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def seconds(command: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(
            f"benchmark command failed: {' '.join(command)}\n{result.stdout}{result.stderr}"
        )
    return elapsed


def medians(runs: int, *measures) -> list[float]:
    """The median of each measure over ``runs`` rounds; each round takes every measure once,
    in turn, so that a ratio compares figures taken under the same load."""
    samples: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for sample, measure in zip(samples, measures, strict=True):
            sample.append(measure())
    return [statistics.median(sample) for sample in samples]


def empty_furo_project(folder: Path) -> Path:
    source = folder / "empty"
    source.mkdir()
    (source / "conf.py").write_text('project = "empty"\nhtml_theme = "furo"\n', encoding="utf-8")
    (source / "index.rst").write_text("Empty\n=====\n", encoding="utf-8")
    return source


def sphinx_html(source: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(out), *extra]


def build_figures(runs: int, scratch: Path) -> dict[str, tuple[float, float]]:
    empty = empty_furo_project(scratch)

    def clean_empty() -> float:
        shutil.rmtree(scratch / "empty-out", ignore_errors=True)
        return seconds(sphinx_html(empty, scratch / "empty-out"))

    def clean_site() -> float:
        shutil.rmtree(scratch / "site", ignore_errors=True)
        shutil.rmtree(scratch / "doctrees", ignore_errors=True)
        return seconds([sys.executable, "-m", "tests.sitebuild", str(scratch / "site"), "en", "ru",
                        "--doctrees", str(scratch / "doctrees")])  # fmt: skip

    page = ROOT / "docs" / "core" / "engine.rst"

    def touched_rebuild() -> float:
        os.utime(page)  # the page is newer than its doctree: Sphinx must read and write it again
        return seconds([sys.executable, "-m", "tests.sitebuild", str(scratch / "site"), "en",
                        "--doctrees", str(scratch / "doctrees")])  # fmt: skip

    clean_site()  # not measured: the rebuild needs a site, and the first build compiles catalogs
    empty_time, site_time, incremental = medians(runs, clean_empty, clean_site, touched_rebuild)
    return {
        "clean build": (site_time, 2 * empty_time),
        "incremental rebuild": (incremental, empty_time),
    }


def doctest_figures(runs: int, pythons: dict[str, str]) -> dict[str, tuple[float, float]]:
    figures = {}
    for line, python in pythons.items():
        # as nox -s doctest runs it (tests/run.py: pytest, SQLAlchemy's import started first)
        suite_command = [python, "-m", "tests.run", "-q", "docs", "snippets"]
        seconds(suite_command)  # not measured: as in the contributor loop, the pages ran before
        floor, suite = medians(
            runs,
            lambda p=python: seconds([p, "-c", "import pytest, sqlalchemy.orm"]),
            lambda c=suite_command: seconds(c),
        )
        figures[f"doctest (SQLAlchemy {line})"] = (suite, floor)
    return figures


def report(figures: dict[str, tuple[float, float]]) -> bool:
    print(f"{'measure':<28} {'time':>8} {'floor':>8} {'ratio':>7} {'target':>7}")
    within = True
    for name, (value, floor) in figures.items():
        target = next(t for key, t in TARGETS.items() if name.startswith(key))
        ratio = value / floor
        ok = ratio <= target
        within &= ok
        print(f"{name:<28} {value:>7.2f}s {floor:>7.2f}s {ratio:>6.2f}x {target:>6.1f}x"
              f"  {'within' if ok else 'OVER'}")  # fmt: skip
    return within


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9, help="runs per figure (the median is kept)")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="LINE=PATH",
        help="a virtualenv Python with that SQLAlchemy, e.g. 2.0=venv/bin/python",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over target")
    parser.add_argument(
        "--only", choices=["doctest", "build"], help="measure only the doctest suite or the builds"
    )
    args = parser.parse_args(argv)
    pythons = dict(item.split("=", 1) for item in args.python)
    with tempfile.TemporaryDirectory(prefix="guide-bench-") as scratch:
        figures = {}
        if args.only != "build":
            figures.update(doctest_figures(args.runs, pythons))
        if args.only != "doctest":
            figures.update(build_figures(args.runs, Path(scratch)))
    within = report(figures)
    return 0 if within or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
