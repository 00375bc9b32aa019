"""Build the site in several languages at once: ``python -m tests.sitebuild OUT en ru``.

Each language is a separate ``sphinx-build -W -n`` process (so the machine's cores
are used); their output is printed per language when they finish, and the exit
status is non-zero when any build fails. ``nox -s docs`` and ``nox -s bench`` use it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(language: str, out: Path, doctrees: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "sphinx", "-b", "html", "-W", "-n", "--keep-going", "-q",
        "-D", f"language={language}", "-d", str(doctrees / language),
        str(ROOT / "docs"), str(out / language), *extra,
    ]  # fmt: skip


def build(out: Path, doctrees: Path, languages: list[str], extra: list[str]) -> int:
    running = {
        language: subprocess.Popen(
            command(language, out, doctrees, extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for language in languages
    }
    failed = []
    for language, process in running.items():
        output, _ = process.communicate()
        for line in output.splitlines():
            print(f"[{language}] {line}")
        if process.returncode:
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
