"""Runs a page's examples in the reader's browser (Pyodide) as tests/harness.py runs them.

One :class:`Page` per page: one namespace, one doctest runner and its captured output, the
harness's option flags. Blocks arrive in page order; a block is either the page's own text
(``>>>`` prompts and the tested output) or code the reader edited (no prompts).
"""

from __future__ import annotations

import ast
import difflib
import doctest
import os
import re
import tempfile
import warnings

#: As in tests/harness.py: ``...`` in tested output stands for timings and addresses;
#: whitespace is normalized because SQLAlchemy's echoed DDL carries tabs and blank lines.
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

FRAME = re.compile(r"^(Traceback \(most recent call last\):\n)(?:[ \t].*\n|\.\.\.\n)+", re.M)


def short(got: str) -> str:
    """A traceback as the page shows it: the header, ``...`` for the frames, the error."""
    return FRAME.sub(r"\1  ...\n", got)


class Recorder(doctest.DocTestRunner):
    """A doctest runner that keeps what each example printed instead of reporting it."""

    def __init__(self) -> None:
        super().__init__(optionflags=OPTIONFLAGS)
        self.results: list[dict] = []

    def _record(self, example: doctest.Example, got: str, ok: bool) -> None:
        self.results.append({"source": example.source, "want": example.want, "got": got, "ok": ok})

    def report_start(self, out, test, example):  # noqa: D102 - silence: the page shows it
        pass

    def report_success(self, out, test, example, got):
        self._record(example, got, True)

    def report_failure(self, out, test, example, got):
        self._record(example, got, False)

    def report_unexpected_exception(self, out, test, example, exc_info):
        got = self._fakeout.getvalue() + doctest._exception_traceback(exc_info)
        self._record(example, got, False)


def edited(block: dict) -> str | None:
    """The reader's code of a block, or None when it is the page's (JavaScript's null arrives
    as ``pyodide.ffi.jsnull``, not None)."""
    code = block.get("code")
    return code if isinstance(code, str) else None


def statements(code: str) -> list[doctest.Example]:
    """The top-level statements of edited code, each run like a ``>>>`` example (an
    expression's value is printed, as at the prompt)."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    examples = []
    for node in tree.body:
        start = node.lineno - 1
        if getattr(node, "decorator_list", None):
            start = node.decorator_list[0].lineno - 1
        source = "".join(lines[start : node.end_lineno])
        examples.append(doctest.Example(source, "", lineno=start))
    return examples


class Page:
    """The examples of one page, run in order in one namespace."""

    def __init__(self) -> None:
        self.parser = doctest.DocTestParser()
        self.restart()

    def restart(self) -> None:
        self.namespace: dict = {"__name__": "__test__"}
        self.runner = Recorder()
        self.done: list[str] = []  # the blocks run so far, as given
        os.chdir(tempfile.mkdtemp(prefix="guide-page-"))

    def run(self, blocks: list[dict]) -> list[dict]:
        """Run ``blocks`` (each ``{"text": page text, "code": edited code or None}``) in order,
        continuing from the blocks already run when they are the same; else from the start.
        Returns a verdict for each block that ran."""
        keys = [edited(b) or b["text"] for b in blocks]
        if keys[: len(self.done)] != self.done:
            self.restart()
        verdicts = []
        for index in range(len(self.done), len(blocks)):
            verdicts.append(self.block(index, blocks[index]))
            self.done.append(keys[index])
        return verdicts

    def block(self, index: int, block: dict) -> dict:
        tested = self.parser.get_examples(block["text"])
        code = edited(block)
        examples = tested if code is None else statements(code)
        test = doctest.DocTest(examples, {}, f"block {index + 1}", None, 0, None)
        test.globs = self.namespace  # the page's one namespace (DocTest copies what it gets)
        self.runner.results = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # as in the suite: an example that warns fails
            self.runner.run(test, clear_globs=False)
        results = self.runner.results
        want = "".join(e.want for e in tested)
        got = "".join(r["got"] for r in results)
        if code is None:
            same = all(r["ok"] for r in results)
        else:
            same = doctest.OutputChecker().check_output(want, got, OPTIONFLAGS)
        return {
            "index": index,
            "same": same,
            "got": short(got),
            "diff": [] if same else diff(want, short(got)),
            "examples": [{"ok": r["ok"], "want": r["want"], "got": r["got"]} for r in results],
        }


def diff(want: str, got: str) -> list[list[str]]:
    """The lines of the tested output and of this run, marked " " (both), "-" (tested only)
    and "+" (this run only)."""
    rows = []
    for line in difflib.ndiff(want.splitlines(), got.splitlines()):
        if line[:1] in " -+":
            rows.append([line[:1], line[2:]])
    return rows


def count(texts: list[str]) -> list[int]:
    """How many examples each block holds, counted as the suite counts them."""
    parser = doctest.DocTestParser()
    return [len(parser.get_examples(text)) for text in texts]
