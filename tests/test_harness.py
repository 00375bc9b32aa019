"""What the executed-examples harness must guarantee."""

from __future__ import annotations

import importlib
import os
import re
import textwrap
from pathlib import Path

import pytest
from sybil import Document

from tests import harness, programs, pytest_guide

PAGES = harness.pages()
PAGES_WITH_PROMPTS = [p for p in PAGES if harness.prompt_lines(p.read_text(encoding="utf-8"))]


def page_id(path: Path) -> str:
    return str(path.relative_to(harness.DOCS))


def test_the_guide_executes_at_least_300_prompt_lines_on_at_least_9_pages():
    counts = {page_id(p): len(harness.prompt_lines(p.read_text(encoding="utf-8"))) for p in PAGES}
    assert sum(counts.values()) >= 300, counts
    assert sum(1 for n in counts.values() if n) >= 9, counts


def test_the_pytest_configuration_collects_every_page_with_prompts():
    missed = [page_id(p) for p in PAGES_WITH_PROMPTS if not harness.is_page(p)]
    assert not missed, f"pages with >>> prompts that pytest would not collect: {missed}"


@pytest.mark.parametrize("page", PAGES_WITH_PROMPTS, ids=page_id)
def test_every_prompt_line_of_a_page_is_one_collected_example(page: Path):
    text = page.read_text(encoding="utf-8")
    collected = [example.line for example in harness.parsed_examples(page)]
    assert collected == harness.prompt_lines(text)


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


def test_the_installed_sqlalchemy_is_a_release_line_the_pages_know():
    # else every sqlalchemy-line block would be skipped, and a run on a new line would pass
    source = (harness.DOCS / "_ext" / "release_lines.py").read_text(encoding="utf-8")
    known = re.findall(r'"([\d.]+)"', re.search(r"^LINES = \((.*)\)$", source, re.M).group(1))
    assert harness.RELEASE_LINE in known, (
        f"SQLAlchemy {harness.RELEASE_LINE} is installed; the pages know {known} "
        "(docs/_ext/release_lines.py): add the line and its blocks to the pages"
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


DIFFERENCES = harness.DOCS / "differences.rst"
REFERENCE = re.compile(r":ref:`(?:[^`<]*<)?(?P<label>[\w-]+)>?`")
LABEL = re.compile(r"^\.\. _(?P<label>[\w-]+):$", re.MULTILINE)


@pytest.mark.parametrize("page", PAGES_WITH_PROMPTS, ids=page_id)
def test_each_release_line_pair_shows_2_1_first_and_the_differences_page_links_it(page: Path):
    text = page.read_text(encoding="utf-8")
    blocks = harness.GuideDocTestParser().line_blocks(Document(text, str(page)))
    lines = [line for _, _, line in blocks]
    assert lines == ["2.1", "2.0"] * (len(lines) // 2), (
        f"{page_id(page)}: release-line blocks in the order {lines}; each pair shows 2.1 first"
    )
    linked = {m["label"] for m in REFERENCE.finditer(DIFFERENCES.read_text(encoding="utf-8"))}
    for start, _, _ in blocks[::2]:
        where = f"{page_id(page)}, line {text.count(chr(10), 0, start) + 1}"
        labels = [m["label"] for m in LABEL.finditer(text, 0, start)]
        assert labels, f"{where}: no label before this release-line pair"
        assert labels[-1] in linked, (
            f"{where}: differences.rst links no label placed before this pair "
            f"(nearest: {labels[-1]})"
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


def run_pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """The pages and snippets plugin in a pytest run of its own, warnings as errors, as
    ``nox -s doctest`` runs it; test ids are relative to the pages' folder."""
    options = ["-p", "no:doctest", "-p", "no:cacheprovider", "-W", "error"]  # as pyproject.toml
    return pytester.runpytest_inprocess(*options, *args, plugins=[pytest_guide])


def test_a_wrong_example_fails_and_names_its_page_and_line(pytester: pytest.Pytester):
    page = pytester.path / "wrong.rst"
    page.write_text(WRONG_PAGE)
    run = run_pytest(pytester, "-v", "-rf", str(page))
    run.assert_outcomes(passed=2, failed=2)
    out = run.stdout.str()
    verdicts = re.findall(r"wrong\.rst::line:(\d+),column:\d+ (PASSED|FAILED)", out)
    assert verdicts == [("4", "PASSED"), ("6", "FAILED"), ("8", "FAILED"), ("9", "PASSED")]
    assert f"Example at {page}, line 6, column 1 did not evaluate as expected" in out
    assert "Expected:\n    3\nGot:\n    2" in out
    assert f"Example at {page}, line 8, column 1 did not evaluate as expected" in out
    assert "ZeroDivisionError: division by zero" in out
    assert "FAILED wrong.rst::line:6,column:1" in out  # the summary names page and line


def test_a_warning_fails_its_example(pytester: pytest.Pytester):
    page = pytester.path / "warns.rst"
    page.write_text(
        "Warns\n=====\n\n>>> import warnings\n"
        ">>> warnings.warn('old API', DeprecationWarning)\n>>> 2 * 21\n42\n"
    )
    run = run_pytest(pytester, "-rf", str(page))
    run.assert_outcomes(passed=2, failed=1)
    out = run.stdout.str()
    assert f"Example at {page}, line 5, column 1 did not evaluate as expected" in out
    assert "DeprecationWarning: old API" in out


def test_release_line_blocks_run_on_their_line_and_skip_visibly_on_the_other(
    pytester: pytest.Pytester,
):
    other = "2.0" if harness.RELEASE_LINE == "2.1" else "2.1"
    page = pytester.path / "lines.rst"
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
    run = run_pytest(pytester, "-v", "-rs", str(page))
    run.assert_outcomes(passed=1, skipped=1)
    out = run.stdout.str()
    assert "lines.rst::line:6,column:1 PASSED" in out
    assert "lines.rst::line:11,column:1 SKIPPED" in out
    assert f"SKIPPED [1] lines.rst: the page marks this example as SQLAlchemy {other} only" in out


def run_page(folder: Path, examples: str) -> list[str]:
    """Run ``examples`` as a page of their own, in order, as the harness does; the failures,
    or []. The page finds ``folder`` in the environment variable GUIDE_SPY."""
    page = folder / "page.rst"
    page.write_text("Page\n====\n\n" + textwrap.dedent(examples), encoding="utf-8")
    os.environ["GUIDE_SPY"] = str(folder)
    document = harness.PAGES.parse(page)
    harness.page_setup(document.namespace)
    failures = []
    try:
        for example in document:
            try:
                example.evaluate()
            except Exception as failure:
                failures.append(f"line {example.line}: {failure}")
    finally:
        harness.page_teardown(document.namespace)
        del os.environ["GUIDE_SPY"]
    return failures


def test_a_page_leaves_no_handler_variable_directory_or_file_behind(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    failures = run_page(
        tmp_path,
        """\
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
        """,
    )
    assert failures == []
    workdir = Path((tmp_path / "workdir").read_text())
    assert workdir != tmp_path
    assert not workdir.exists()
    assert not harness.logging.getLogger("sqlalchemy.engine.Engine").handlers
    assert "GUIDE_LEFT_BEHIND" not in os.environ
    assert Path.cwd() == tmp_path
    assert not (tmp_path / "left-behind.db").exists()


def test_a_page_s_objects_are_freed_when_the_page_ends(tmp_path: Path):
    failures = run_page(
        tmp_path,
        """\
        >>> import os, pathlib, weakref
        >>> class Node:
        ...     pass
        >>> node = Node()
        >>> node.me = node  # a cycle: only the cyclic garbage collector frees it
        >>> freed = pathlib.Path(os.environ["GUIDE_SPY"], "freed")
        >>> _ = weakref.finalize(node, freed.touch)
        """,
    )
    assert failures == []
    assert (tmp_path / "freed").exists()


def test_every_page_starts_in_a_fresh_namespace(pytester: pytest.Pytester):
    first, second = pytester.path / "first.rst", pytester.path / "second.rst"
    first.write_text("First\n=====\n\n>>> left_over = 1\n")
    second.write_text("Second\n======\n\n>>> 'left_over' in dir()\nFalse\n")
    run_pytest(pytester, str(first), str(second)).assert_outcomes(passed=2)


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


FAILING_PROGRAMS = {
    "import sys\nprint('x', file=sys.stderr)\n": "noisy.py wrote to stderr",
    # warnings are errors in snippets as on pages
    "import warnings\nwarnings.warn('old', DeprecationWarning)\n": "DeprecationWarning: old",
    "raise SystemExit(3)\n": "noisy.py exited with 3",
    "import sys\nsys.exit('bad input')\n": "noisy.py exited with 1:\nbad input",
    "1 / 0\n": "ZeroDivisionError: division by zero",
    "import time\ntime.sleep(5)\n": "noisy.py ran longer than 0.2 s",
}


@pytest.mark.parametrize("source", FAILING_PROGRAMS, ids=list(FAILING_PROGRAMS.values()))
def test_a_snippet_that_fails_warns_or_writes_to_stderr_fails_with_its_name(
    source: str, tmp_path: Path
):
    program = tmp_path / "noisy.py"
    program.write_text(source)
    with pytest.raises(AssertionError, match=re.escape(FAILING_PROGRAMS[source])):
        programs.run(program, timeout=0.2 if "sleep" in source else 30).output()


def test_a_snippet_runs_as_main_in_its_own_scratch_directory(tmp_path: Path):
    program = tmp_path / "probe.py"
    program.write_text(
        textwrap.dedent("""\
        import os, sys, warnings
        print(__name__, sys.argv == [__file__], sys.path[0] == os.path.dirname(__file__))
        print(os.listdir("."), sys.stdin.read() == "", warnings.filters[0][0])
        open("made-here.txt", "w").close()
        """)
    )
    assert programs.run(program).output() == "__main__ True True\n[] True error\n"
    assert not list(tmp_path.glob("made-here.txt"))


ANATOMY = ["Minimal example", "In detail", "Pitfalls", "See also"]
#: Reference pages, not chapters: 404 is the site's "page not found", differences lists
#: what the chapters show of 2.0 and 2.1 and links there.
NOT_CHAPTERS = {"index.rst", "glossary.rst", "404.rst", "differences.rst"}


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
    path = harness.DOCS / "_inventories" / "sqlalchemy.txt"
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
