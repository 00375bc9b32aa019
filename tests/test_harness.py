"""What the executed-examples harness must guarantee."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sybil import Document

from tests import harness, pagefiles, pageworkers, programs

PAGES = pagefiles.pages()
PAGES_WITH_PROMPTS = [p for p in PAGES if pagefiles.prompt_lines(p.read_text(encoding="utf-8"))]


def page_id(path: Path) -> str:
    return str(path.relative_to(pagefiles.DOCS))


def test_the_guide_executes_at_least_300_prompt_lines_on_at_least_9_pages():
    counts = {page_id(p): len(pagefiles.prompt_lines(p.read_text(encoding="utf-8"))) for p in PAGES}
    assert sum(counts.values()) >= 300, counts
    assert sum(1 for n in counts.values() if n) >= 9, counts


def test_the_pytest_configuration_collects_every_page_with_prompts():
    missed = [page_id(p) for p in PAGES_WITH_PROMPTS if not pagefiles.is_page(p)]
    assert not missed, f"pages with >>> prompts that pytest would not collect: {missed}"


@pytest.mark.parametrize("page", PAGES_WITH_PROMPTS, ids=page_id)
def test_every_prompt_line_of_a_page_is_one_collected_example(page: Path):
    text = page.read_text(encoding="utf-8")
    collected = [example.line for example in harness.parsed_examples(page)]
    assert collected == pagefiles.prompt_lines(text)


@pytest.mark.parametrize("page", PAGES_WITH_PROMPTS, ids=page_id)
def test_no_example_is_skipped_except_in_a_visible_release_line_block(page: Path):
    text = page.read_text(encoding="utf-8")
    assert ".. skip:" not in text, (
        f"{page_id(page)} uses a Sybil skip comment, invisible on the page"
    )
    for example in harness.parsed_examples(page):
        flags = example.parsed.options
        assert not flags.get(harness.doctest.SKIP), (
            f"{page_id(page)}, line {example.line}: +SKIP hides an example from the test run"
        )


@pytest.mark.parametrize("page", PAGES_WITH_PROMPTS, ids=page_id)
def test_release_line_blocks_come_in_pairs_and_hold_examples(page: Path):
    document = Document(page.read_text(encoding="utf-8"), str(page))
    blocks = harness.GuideDocTestParser().line_blocks(document)
    lines = {line for _, _, line in blocks}
    assert not lines or lines == {"2.0", "2.1"}, (
        f"{page_id(page)} shows output for {sorted(lines)} only; show both release lines"
    )
    starts = [example.region.start for example in harness.parsed_examples(page)]
    for start, end, line in blocks:
        assert any(start <= s < end for s in starts), (
            f"{page_id(page)}: a sqlalchemy-line {line} block contains no example"
        )


@pytest.mark.parametrize("page", PAGES_WITH_PROMPTS, ids=page_id)
def test_ellipsis_in_expected_output_stands_only_for_noise(page: Path):
    for example in harness.parsed_examples(page):
        want = example.parsed.want
        lines = want.splitlines()
        is_traceback = bool(lines) and lines[0].startswith("Traceback (most recent call last)")
        for offset, line in enumerate(lines):
            if "..." not in line:
                continue
            if is_traceback and line.strip() == "..." and offset == 1:
                continue  # the traceback body doctest always ignores
            assert not harness.unexplained_ellipsis(line), (
                f"{page_id(page)}, example at line {example.line}: '...' in {line!r} "
                f"hides output that is not noise (allowed: {', '.join(harness.NOISE)})"
            )


WRONG_PAGE = """\
Wrong
=====

>>> 1 + 1
2
>>> 1 + 1
3
>>> 1 / 0
>>> print("the page goes on")
the page goes on
"""


def verdicts(result: pagefiles.PageResult) -> list[tuple[int, str]]:
    return [(outcome.line, outcome.status) for outcome in result.outcomes]


def test_a_wrong_example_fails_and_names_its_page_and_line(tmp_path: Path):
    page = tmp_path / "wrong.rst"
    page.write_text(WRONG_PAGE)
    result = harness.run_page(page)
    assert verdicts(result) == [(4, "passed"), (6, "failed"), (8, "failed"), (9, "passed")]
    wrong_output, exception = result.outcomes[1].detail, result.outcomes[2].detail
    assert wrong_output.startswith(f"{page}, line 6: the output differs\n")
    assert "Expected:\n    3\nGot:\n    2" in wrong_output
    assert exception.startswith(f"{page}, line 8: ZeroDivisionError was raised\n")
    assert "doctest.py" not in exception  # the traceback starts in the example


#: The two ways to run the suite: pytest itself, and tests/run.py (nox -s doctest), which
#: starts the page workers' preparing process before it imports pytest.
ENTRY_POINTS = pytest.mark.parametrize("entry", ["pytest", "tests.run"])


def run_pytest(entry: str, page: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", entry, "-c", "pyproject.toml", "-p", "conftest", "-rf", str(page)],
        cwd=pagefiles.ROOT,
        env={**os.environ, "COLUMNS": "300"},  # summary lines are not cut short
        capture_output=True,
        text=True,
        check=False,
    )


@ENTRY_POINTS
def test_a_wrong_example_fails_the_pytest_run_with_page_and_line_in_the_summary(
    entry: str, tmp_path: Path
):
    page = tmp_path / "wrong.rst"
    page.write_text(WRONG_PAGE)
    run = run_pytest(entry, page)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 failed, 2 passed" in run.stdout
    assert f"::examples::line 6 - {page}, line 6: the output differs" in run.stdout
    assert f"{page}, line 8: ZeroDivisionError was raised" in run.stdout


@ENTRY_POINTS
def test_a_warning_fails_its_example_in_the_page_workers_as_in_a_test(entry: str, tmp_path: Path):
    page = tmp_path / "warns.rst"
    page.write_text(
        "Warns\n=====\n\n>>> import warnings\n"
        ">>> warnings.warn('old API', DeprecationWarning)\n>>> 2 * 21\n42\n"
    )
    run = run_pytest(entry, page)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 2 passed" in run.stdout
    assert f"{page}, line 5: DeprecationWarning was raised" in run.stdout
    assert "run in a worker process" in run.stdout


def test_release_line_blocks_run_on_their_line_and_skip_visibly_on_the_other(tmp_path: Path):
    other = "2.0" if harness.RELEASE_LINE == "2.1" else "2.1"
    page = tmp_path / "lines.rst"
    page.write_text(
        textwrap.dedent(f"""\
        Lines
        =====

        .. sqlalchemy-line:: {harness.RELEASE_LINE}

           >>> 1 + 1
           2

        .. sqlalchemy-line:: {other}

           >>> 1 + 1
           3
        """)
    )
    this_line, other_line = harness.run_page(page).outcomes
    assert (this_line.line, this_line.status) == (6, "passed")
    assert (other_line.line, other_line.status) == (11, "skipped")
    assert f"SQLAlchemy {other} only" in other_line.detail


def started_workers(workers: int, snippets: list[Path] = (), **options) -> pageworkers.PageWorkers:
    """Page workers as a run starts them: the preparing process forked, then configured."""
    running = pageworkers.PageWorkers(**options)
    running.start()
    running.configure(workers, snippets)
    return running


def worker_results(pages: list[Path], workers: int, **options) -> list[pagefiles.PageResult]:
    running = started_workers(workers, **options)
    try:
        running.run(pages)
        return [running.result(page) for page in pages]
    finally:
        running.close()


def test_pages_run_by_workers_get_the_same_verdicts_as_in_the_test_process(tmp_path: Path):
    pages = []
    for number in range(4):
        page = tmp_path / f"page{number}.rst"
        page.write_text(WRONG_PAGE if number % 2 else "Right\n=====\n\n>>> 2 * 21\n42\n")
        pages.append(page)
    by_workers = worker_results(pages, workers=2)
    in_process = [harness.run_page(page) for page in pages]
    assert [r.outcomes for r in by_workers] == [r.outcomes for r in in_process]
    assert not any(r.error for r in by_workers)


def test_a_page_whose_worker_dies_is_an_error_that_names_the_page(tmp_path: Path):
    page = tmp_path / "dies.rst"
    page.write_text("Dies\n====\n\n>>> import os\n>>> _ = os.write(2, b'bye\\n'); os._exit(3)\n")
    [result] = worker_results([page], workers=1)
    assert result.error.startswith(f"{page} got no result from the page workers")
    assert "exit status 3" in result.error
    assert "bye" in result.error  # what the worker printed


def cannot_prepare() -> None:
    raise ImportError("no module named 'sqlalchemy'")


def test_pages_are_errors_naming_the_cause_when_the_workers_cannot_be_prepared(tmp_path: Path):
    page = tmp_path / "page.rst"
    page.write_text("Page\n====\n\n>>> 1\n1\n")
    [result] = worker_results([page], workers=1, prepare=cannot_prepare)
    assert result.error.startswith(f"{page} got no result from the page workers")
    assert "the preparing process failed" in result.error
    assert "ImportError: no module named 'sqlalchemy'" in result.error


def test_closing_the_page_workers_ends_every_process_and_removes_every_scratch_file(
    tmp_path: Path,
):
    pids = tmp_path / "pids"
    pids.mkdir()
    record = f"import os, time\nopen(os.path.join({str(pids)!r}, str(os.getpid())), 'w').close()\n"
    page = tmp_path / "waits.rst"
    page.write_text("Waits\n=====\n\n" + "".join(f">>> {line}\n" for line in record.splitlines()))
    page.write_text(page.read_text() + ">>> time.sleep(30)\n")
    program = tmp_path / "waits.py"
    program.write_text(record + "time.sleep(30)\n")
    running = started_workers(1, [program])
    running.run([page])
    scratch = Path(running.scratch)
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # until the page and the program both run
    assert len(list(pids.iterdir())) == 2
    assert len(list(scratch.iterdir())) == 2  # the page's and the program's directories
    running.close()  # as after -x or Ctrl-C
    for pid in pids.iterdir():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid.name), 0)  # ended, and waited for: not even a zombie
    assert not scratch.exists()


def test_the_pytest_process_leaves_sqlalchemy_to_the_page_workers(tmp_path: Path):
    page = tmp_path / "page.rst"
    page.write_text("Page\n====\n\n>>> import sqlalchemy\n>>> 2 * 21\n42\n")
    script = (
        "import sys, pytest\n"
        f"code = pytest.main(['-q', '-c', 'pyproject.toml', '-p', 'conftest', {str(page)!r}])\n"
        "print('sqlalchemy in the pytest process:', 'sqlalchemy' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=pagefiles.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert "sqlalchemy in the pytest process: False" in run.stdout


def test_workers_take_the_longest_pages_first_by_the_last_runs_timings(tmp_path: Path):
    by_size = sorted(PAGES, key=lambda page: page.stat().st_size)
    small, waits, big = by_size[0], by_size[1], by_size[-1]
    timings = tmp_path / "cache" / "page-seconds.json"
    # never run: estimated from their size
    assert pageworkers.longest_first([small, waits, big], timings) == [big, waits, small]
    elsewhere = tmp_path / "elsewhere.rst"  # a page outside the guide, as the specs make
    pageworkers.remember_timings(
        [
            pagefiles.PageResult(pagefiles.shown_path(waits), seconds=0.6),
            pagefiles.PageResult(pagefiles.shown_path(big), seconds=0.05),
            pagefiles.PageResult(pagefiles.shown_path(elsewhere), seconds=9.0),
        ],
        timings,
    )
    assert pageworkers.longest_first([small, waits, big], timings) == [waits, big, small]
    assert str(elsewhere) not in timings.read_text()  # only the guide's pages are remembered
    assert not pageworkers.TIMINGS.is_relative_to(pagefiles.ROOT)  # nothing written in the checkout


def test_a_page_leaves_no_handler_variable_directory_or_file_behind(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "leaky.rst"
    page.write_text(
        textwrap.dedent("""\
        Leaky
        =====

        >>> import logging, os, sys
        >>> handler = logging.StreamHandler(sys.stdout)
        >>> logging.getLogger("sqlalchemy.engine.Engine").addHandler(handler)
        >>> open("left-behind.db", "w").close()
        >>> os.environ["GUIDE_LEFT_BEHIND"] = "1"
        >>> workdir = os.getcwd()
        >>> with open(os.path.join(os.environ["GUIDE_SPY"], "workdir"), "w") as spy:
        ...     _ = spy.write(workdir)
        >>> os.path.exists("left-behind.db")
        True
        """)
    )
    monkeypatch.setenv("GUIDE_SPY", str(tmp_path))
    result = harness.run_page(page)
    assert {outcome.status for outcome in result.outcomes} == {"passed"}, result.outcomes
    workdir = Path((tmp_path / "workdir").read_text())
    assert workdir != tmp_path
    assert not workdir.exists()
    assert not harness.logging.getLogger("sqlalchemy.engine.Engine").handlers
    assert "GUIDE_LEFT_BEHIND" not in harness.os.environ
    assert Path.cwd() == tmp_path
    assert not (tmp_path / "left-behind.db").exists()


def test_every_snippet_program_has_its_expected_output_and_vice_versa():
    names = {p.stem for p in programs.SNIPPETS.glob("*.py")}
    outputs = {p.stem for p in programs.SNIPPETS.glob("*.out")}
    assert names, "snippets/ holds no program"
    assert names == outputs


def test_a_snippet_with_wrong_output_is_reported_at_the_first_differing_line():
    expected = "one\ntwo\nthree\n"
    assert programs.first_difference(expected, "one\n2\nthree\n") == (
        "line 2: expected 'two', got '2'"
    )
    assert programs.first_difference(expected, "one\ntwo\n") == (
        "line 3: expected 'three', got end of output"
    )


def fresh_run(program: Path, timeout: float) -> programs.ProgramRun:
    return programs.RunningSnippet(program, timeout).finish()


def forked_run(program: Path, timeout: float) -> programs.ProgramRun:
    running = started_workers(1, [program], program_timeout=timeout)
    try:
        running.run([])
        return running.program_run(program)
    finally:
        running.close()


BOTH_WAYS = pytest.mark.parametrize(
    "run", [fresh_run, forked_run], ids=["fresh interpreter", "forked by the page workers"]
)


@BOTH_WAYS
def test_a_snippet_that_fails_warns_or_writes_to_stderr_fails_with_its_name(run, tmp_path: Path):
    program = tmp_path / "noisy.py"
    cases = {
        "import sys\nprint('x', file=sys.stderr)\n": "noisy.py wrote to stderr",
        # warnings are errors in snippets as on pages
        "import warnings\nwarnings.warn('old', DeprecationWarning)\n": "DeprecationWarning: old",
        "raise SystemExit(3)\n": "noisy.py exited with 3",
        "import sys\nsys.exit('bad input')\n": "noisy.py exited with 1:\nbad input",
        "1 / 0\n": "ZeroDivisionError: division by zero",
        # at the end, as at an interpreter's exit: threads joined, exit handlers run
        "import atexit, threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('joined'))).start()\n"
        "atexit.register(lambda: print('exit handler', flush=True) or 1 / 0)\n": "exit handler",
        "import time\ntime.sleep(5)\n": "noisy.py ran longer than 0.5 s",
    }
    for source, failure in cases.items():
        program.write_text(source)
        with pytest.raises(AssertionError, match=re.escape(failure)):
            run(program, timeout=0.5).output()


@BOTH_WAYS
def test_a_snippet_runs_as_main_in_its_own_scratch_directory(run, tmp_path: Path):
    program = tmp_path / "probe.py"
    program.write_text(
        textwrap.dedent("""\
        import os, sys, warnings
        print(__name__, sys.argv == [__file__], sys.path[0] == os.path.dirname(__file__))
        print(os.listdir("."), sys.stdin.read() == "", warnings.filters[0][0])
        open("made-here.txt", "w").close()
        """)
    )
    assert run(program, timeout=30).output() == "__main__ True True\n[] True error\n"
    assert not list(tmp_path.glob("made-here.txt"))


ENDINGS = {
    "an exception": "1 / 0\n",
    "an exit message": "import sys\nsys.exit('bad input')\n",
    "a warning": "import warnings\nwarnings.warn('old API', DeprecationWarning)\n",
    "a failing thread": "import threading\nthreading.Thread(target=lambda: 1 / 0).start()\n",
    "a failing exit handler": "import atexit\natexit.register(lambda: print('bye') or 1 / 0)\n",
    "a file left open": "log = open(__file__)\nprint('left open')\n",
    "a connection left open": "import sqlite3\ndb = sqlite3.connect(':memory:')\n",
}


def ending(run: programs.ProgramRun) -> tuple[int, str, list[str]]:
    """Exit status, output and the error lines of stderr (not the traceback lines)."""
    errors = [line for line in run.stderr.splitlines() if not line.startswith((" ", "Traceback"))]
    return run.returncode, run.stdout, [re.sub(r"0x[0-9a-f]+", "0x?", line) for line in errors]


@pytest.mark.parametrize("source", ENDINGS.values(), ids=ENDINGS.keys())
def test_a_forked_snippet_ends_as_it_would_in_a_fresh_interpreter(source: str, tmp_path: Path):
    program = tmp_path / "ending.py"
    program.write_text(source)
    assert ending(forked_run(program, timeout=30)) == ending(fresh_run(program, timeout=30))


@pytest.mark.parametrize("program", programs.programs(), ids=lambda p: p.name)
def test_every_snippet_program_prints_its_expected_output_in_a_fresh_interpreter(program: Path):
    expected = programs.expected_output_path(program).read_text(encoding="utf-8")
    assert programs.run_snippet(program) == expected


ANATOMY = ["Minimal example", "In detail", "Pitfalls", "See also"]
NOT_CHAPTERS = {"index.rst", "glossary.rst", "404.rst"}  # 404: the site's "page not found"


@pytest.mark.parametrize("page", [p for p in PAGES if p.name not in NOT_CHAPTERS], ids=page_id)
def test_every_chapter_page_has_the_same_anatomy(page: Path):
    text = page.read_text(encoding="utf-8")
    sections = re.findall(r"^(\S[^\n]*)\n-{3,}$", text, flags=re.MULTILINE)
    assert [s for s in sections if s in ANATOMY] == ANATOMY, (
        f"{page_id(page)}: sections {sections}, expected {ANATOMY} in this order"
    )
    assert ":term:`" in text, f"{page_id(page)} links no glossary term"
    assert ":doc:`" in text, f"{page_id(page)} links no related page"


def inventory_entries() -> list[tuple[int, str, str]]:
    path = pagefiles.DOCS / "_inventories" / "sqlalchemy.txt"
    return [
        (number, *line.split()[:2])
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip() and not line.startswith("#")
    ]


def resolves(dotted: str) -> bool:
    """True when ``dotted`` names a module, class, function or member in the installed release."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            annotations = getattr(obj, "__annotations__", {}) if isinstance(obj, type) else {}
            if hasattr(obj, name):
                obj = getattr(obj, name)
            elif any(
                name in getattr(c, "__annotations__", {}) for c in getattr(obj, "__mro__", ())
            ):
                obj = None  # an attribute declared by annotation only
            elif name in annotations:
                obj = None
            else:
                return False
        return True
    return False


def test_every_linked_sqlalchemy_name_exists_in_the_release_the_links_point_to():
    if harness.RELEASE_LINE != "2.1":
        pytest.skip("the inventory links to the SQLAlchemy 2.1 documentation; checked on 2.1")
    missing = [f"line {n}: {name}" for n, name, _role in inventory_entries() if not resolves(name)]
    assert not missing, (
        "docs/_inventories/sqlalchemy.txt names objects SQLAlchemy lacks:\n" + "\n".join(missing)
    )


def test_the_inventory_check_rejects_a_name_sqlalchemy_does_not_have():
    assert resolves("sqlalchemy.orm.Session.flush")
    assert resolves("sqlalchemy.orm.InstanceState.key")
    assert not resolves("sqlalchemy.orm.Session.flush_all")
    assert not resolves("sqlalchemy.pool.Pool.statuses")
