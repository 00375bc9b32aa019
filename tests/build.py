"""``python -m tests.build SITE LANG... [-- SPHINX-BUILD OPTIONS]``: the site, one language each.

Each language is an ordinary ``sphinx-build -b html -W -n`` of ``docs/`` into ``SITE/<lang>``
with its own doctree folder (``_build/doctrees/<lang>``), and the languages are built side by
side as separate processes. ``nox -s docs`` and ``nox -s bench`` build the site so.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCTREES = ROOT / "_build" / "doctrees"


def command(language: str, site: Path, doctrees: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", "-q",
        "-D", f"language={language}", "-d", str(doctrees / language),
        *extra, str(ROOT / "docs"), str(site / language),
    ]  # fmt: skip


def build(site: Path, languages: list[str], doctrees: Path = DOCTREES, extra=()) -> int:
    """Build every language at once; print each build's output; the first non-zero status."""
    status = 0
    with contextlib.ExitStack() as stack:
        logs = {
            language: stack.enter_context(tempfile.TemporaryFile("w+")) for language in languages
        }
        builds = {
            language: subprocess.Popen(
                command(language, site, doctrees, list(extra)), stdout=log, stderr=log, text=True
            )
            for language, log in logs.items()
        }
        for language, process in builds.items():
            process.wait()
            logs[language].seek(0)
            if output := logs[language].read():
                print(f"--- {language} ---\n{output}", end="", flush=True)
            if process.returncode and not status:
                print(f"the {language} build failed (exit status {process.returncode})")
                status = process.returncode
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("languages", nargs="+")
    parser.add_argument("--doctrees", type=Path, default=DOCTREES)
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    ours, extra = argv[:split], argv[split + 1 :]
    args = parser.parse_args(ours)
    return build(args.site, args.languages, args.doctrees, extra)


if __name__ == "__main__":
    raise SystemExit(main())
