"""Build the site in several languages at once: ``python -m tests.sitebuild OUT en ru``.

Each language is a separate ``sphinx-build -W -n`` process (so the machine's cores
are used); their output is printed per language when they finish, and the exit
status is non-zero when any build fails. ``nox -s docs`` and ``nox -s bench`` use it.

Most of Sphinx's start-up is importing: Sphinx with its built-in extensions, the theme,
the extensions ``docs/conf.py`` names. Every language's build imports the same modules,
so this process imports them once and forks the builds from it (``os.fork``): each
language still runs ``python -m sphinx``'s ``main`` with its own command line, in a
process of its own, with an application, configuration and environment of its own; only
the imported modules (and reStructuredText's compiled patterns) come ready. Where
``os.fork`` is missing, each language runs ``python -m sphinx`` in a subprocess, as before.

A build is a short-lived process that keeps most of what it makes (doctrees, the
environment) until it ends: the forked builds, and the imports before them, run without
Python's cyclic garbage collector, which would otherwise walk every live object again and
again (a tenth of the Russian build's CPU, half of it in the three full collections), for
some 40 MB more memory each. The preloaded objects are frozen before the fork, so a build
never writes to their pages.

The languages share one folder of highlighted code blocks, ``<doctrees>/_highlighted``
(``build_speed_highlighted``, see docs/_ext/build_speed.py): the examples are the same in
every language, so a block one language has highlighted is read by the other; and one folder
of compiled templates, ``<doctrees>/_compiled_templates`` (``build_speed_templates``).

While this process imports the builds' modules, the machine's other core would idle: a
process forked first highlights the pages' doctest blocks into that folder meanwhile
(:class:`HighlightingAhead`), and keeps going, on the idle scheduling class, until the builds
end. Most blocks are highlighted before the builds start, and the builds read them.

The Russian build also reads the translations, and ends last: each build is told, through a
pipe, when the others have ended (:func:`others_pipes`), and hands half of the pages it still
has to write to a forked process of its own then (``build_speed_others_fd``), so that the core
the English build leaves idle writes them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.util
import io
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HIGHLIGHTED = "_highlighted"  # under the doctree root: one folder for every language
TEMPLATES = "_compiled_templates"  # likewise


def sphinx_arguments(language: str, out: Path, doctrees: Path, extra: list[str]) -> list[str]:
    return [
        "-b", "html", "-W", "-n", "--keep-going", "-q",
        "-D", f"language={language}", "-d", str(doctrees / language),
        # code is the same in every language: highlighted once (docs/_ext/build_speed.py)
        "-D", f"build_speed_highlighted={doctrees / HIGHLIGHTED}",
        # and so are the compiled templates: translations are looked up as a page is rendered
        "-D", f"build_speed_templates={doctrees / TEMPLATES}",
        str(DOCS), str(out / language), *extra,
    ]  # fmt: skip


def sphinx_arguments_for(
    languages: list[str],
    out: Path,
    doctrees: Path,
    extra: list[str],
    others_fds: dict[str, int] | None = None,
):
    """Each language's arguments: every language but the first writes its pages last first,
    so that the builds highlight different code blocks (build_speed_write_last_first); and
    each is given the file descriptor that tells it when the others have ended, if any
    (build_speed_others_fd, see :func:`others_pipes`)."""
    others_fds = others_fds or {}
    return {
        language: [
            *(["-D", "build_speed_write_last_first=1"] if number else []),
            *(
                ["-D", f"build_speed_others_fd={others_fds[language]}"]
                if language in others_fds
                else []
            ),
            *sphinx_arguments(language, out, doctrees, extra),
        ]
        for number, language in enumerate(languages)
    }


def others_pipes(languages: list[str]) -> dict[str, tuple[int, int]]:
    """A pipe for each language, nothing ever written into it: that language's build keeps its
    read end, every other build keeps its write end, open until it ends. Once every other
    build (and every process it forked) has ended, the read end is at its end: the build
    still running knows that the machine's other cores are idle, and hands half of the pages
    it has left to a process of its own (docs/_ext/build_speed.py, ``write_pages``)."""
    return {language: os.pipe() for language in languages} if len(languages) > 1 else {}


def fds_to_close(language: str, pipes: dict[str, tuple[int, int]]) -> list[int]:
    """In ``language``'s build: its own pipe's write end and the others' read ends."""
    return [
        fd
        for other, (read, write) in pipes.items()
        for fd in ([write] if other == language else [read])
    ]


def command(arguments: list[str]) -> list[str]:
    return [sys.executable, "-m", "sphinx", *arguments]


QUIET = {"report_level": 5, "halt_level": 5, "warning_stream": False}


def preload() -> str:
    """Import what every language's build imports (nothing here runs an extension's setup);
    what the imports print, which each build would have printed."""
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(out):
        _import_for_builds()
    return out.getvalue()


#: Modules that the imports below would import and no build uses: each is imported when it is
#: first used instead. ``soupsieve`` (CSS selectors for BeautifulSoup, which furo imports) is
#: a tenth of a second of regular expressions compiled at import, on the critical path.
IMPORTED_ON_FIRST_USE = ("soupsieve",)


def import_on_first_use(name: str) -> None:
    """Put a stand-in for module ``name`` in ``sys.modules``: ``import name`` gets it, and the
    first attribute asked of it imports the module (importlib's LazyLoader cannot: Python 3.11
    asks every imported module for its ``__spec__``, which loads it)."""
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return
    stand_in = types.ModuleType(name, f"{name}, imported on first use (tests/sitebuild.py)")

    def __getattr__(attribute: str):
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = stand_in


def _import_for_builds() -> None:
    for name in IMPORTED_ON_FIRST_USE:
        import_on_first_use(name)
    import sphinx.application
    import sphinx.cmd.build  # noqa: F401

    modules = [
        *sphinx.application.builtin_extensions,
        *getattr(sphinx.application, "_first_party_extensions", ()),
        *getattr(sphinx.application, "_first_party_themes", ()),
    ]
    try:  # conf.py puts docs/_ext on sys.path, as it does for Sphinx
        conf = runpy.run_path(str(DOCS / "conf.py"))
    except Exception:  # each build reports it, in its own words
        conf = {}
    modules += [*conf.get("extensions", ()), conf.get("html_theme", "")]
    for module in filter(None, modules):
        try:
            importlib.import_module(module)
        except Exception:
            pass  # the build that imports it reports it, as it would have
    # Compile the regular expressions every build compiles on first use: reStructuredText's
    # state transitions and inline markup patterns. (Not the Pygments lexers' token tables:
    # a build that finds all its code blocks highlighted already never needs them.)
    from docutils.core import publish_doctree

    publish_doctree("A\n=\n\n*b* ``c`` `d`_\n\n- e\n\n.. _d: f\n", settings_overrides=QUIET)


def fork_build(arguments: list[str], log, close: list[int] = ()) -> int:
    """Run ``python -m sphinx ARGUMENTS`` in a forked child writing to ``log``, with the file
    descriptors in ``close`` closed; its pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:  # the child: never returns into the caller
        gc.disable()  # see the module's docstring; the child ends with os._exit
        for fd in close:
            os.close(fd)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        import sphinx.cmd.build

        status = sphinx.cmd.build.main(arguments)
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


class HighlightingAhead:
    """A process that highlights the pages' doctest blocks for the builds while this process
    imports their modules, on the core that would otherwise be idle (docs/_ext/
    highlighted_blocks.py, ``highlight_ahead``). Forked first, so that it holds none of the
    builds' pipes; moved to the idle scheduling class when the builds start, so that it takes
    only a core that nothing else wants; stopped when they have ended."""

    def __init__(self, doctrees: Path) -> None:
        self.stop_read, self.stop_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # never returns into the caller
            try:
                os.close(self.stop_write)
                quiet = os.open(os.devnull, os.O_WRONLY)  # a block that logs is the builds' to
                os.dup2(quiet, 1)  # report (highlighted_blocks.HighlightedCode never keeps it)
                os.dup2(quiet, 2)
                self.highlight(doctrees / HIGHLIGHTED)
            finally:
                os._exit(0)
        os.close(self.stop_read)

    def highlight(self, folder: Path) -> None:
        conf = runpy.run_path(str(DOCS / "conf.py"))  # puts docs/_ext on sys.path
        style = conf.get("pygments_style")
        if not style:  # the theme's style: known to the builds only
            return
        import highlighted_blocks

        def stop() -> bool:
            return bool(select.select([self.stop_read], [], [], 0)[0])

        highlighted_blocks.highlight_ahead(DOCS, folder, style, stop)

    def only_when_idle(self) -> None:
        try:
            os.sched_setscheduler(self.pid, os.SCHED_IDLE, os.sched_param(0))
        except (AttributeError, OSError):  # not Linux
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, self.pid, 19)

    def stop(self, grace: float = 2.0) -> None:
        """Tell it to stop, back on the normal scheduling class (on a busy machine an idle
        process might never run to hear it), and reap it; killed if it has not ended within
        ``grace`` seconds (a block that takes Pygments that long: what it was writing is cut
        off by the next block kept, see highlighted_blocks.KeptBlocks)."""
        os.close(self.stop_write)
        with contextlib.suppress(AttributeError, OSError):
            os.sched_setscheduler(self.pid, os.SCHED_OTHER, os.sched_param(0))
        deadline = time.monotonic() + grace
        while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                return
            time.sleep(0.005)


def build(out: Path, doctrees: Path, languages: list[str], extra: list[str]) -> int:
    forking = hasattr(os, "fork") and threading.active_count() == 1
    ahead = HighlightingAhead(doctrees) if forking else None
    if forking:
        gc.disable()  # this process only imports, forks and waits (see the module's docstring)
    printed = preload() if forking else ""
    forking = forking and threading.active_count() == 1  # forking a threaded process is unsafe
    results: dict[str, tuple[int, str]] = {}
    pipes = others_pipes(languages) if forking else {}
    fds = {language: read for language, (read, _) in pipes.items()}
    arguments = sphinx_arguments_for(languages, out, doctrees, extra, fds)
    if forking:
        gc.freeze()  # the preloaded objects: never collected, never copied by the collector
        logs = {language: tempfile.TemporaryFile("w+", encoding="utf-8") for language in languages}
        ahead.only_when_idle()
        close = [ahead.stop_write]
        pids = {
            language: fork_build(
                arguments[language], logs[language], [*close, *fds_to_close(language, pipes)]
            )
            for language in languages
        }
        for fd in (fd for pipe in pipes.values() for fd in pipe):
            os.close(fd)
        for language, pid in pids.items():
            _, wait_status = os.waitpid(pid, 0)
            logs[language].seek(0)
            output = printed + logs[language].read()
            results[language] = (os.waitstatus_to_exitcode(wait_status), output)
            logs[language].close()
    else:
        running = {
            language: subprocess.Popen(
                command(arguments[language]),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for language in languages
        }
        for language, process in running.items():
            output, _ = process.communicate()
            results[language] = (process.returncode, output)
    if ahead is not None:
        ahead.stop()
    failed = []
    for language, (returncode, output) in results.items():
        for line in output.splitlines():
            print(f"[{language}] {line}")
        if returncode:
            failed.append(language)
    if failed:
        print(f"build failed for: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="the site folder; each language goes in OUT/<lang>")
    parser.add_argument("languages", nargs="+")
    parser.add_argument("--doctrees", type=Path, default=ROOT / "_build" / "doctrees")
    args, extra = parser.parse_known_args(argv)
    return build(args.out, args.doctrees, args.languages, extra)


if __name__ == "__main__":
    raise SystemExit(main())
