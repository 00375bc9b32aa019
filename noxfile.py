"""Jobs for contributors and CI: one session per job, named by its verb.

Every version comes from the dependency groups in pyproject.toml; extra
arguments after ``--`` are passed to the tool each session runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["doctest"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
SITE = ROOT / "_build" / "site"
LANGUAGES = ("en",)


def install(session: nox.Session, *groups: str) -> None:
    requirements = []
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install(*requirements)


@nox.session
def doctest(session: nox.Session) -> None:
    """Run every page example, every snippet program and the harness specs."""
    install(session, "test")
    session.run("pytest", *session.posargs, env={"PYTHONDONTWRITEBYTECODE": "1"})


def build_html(session: nox.Session, language: str, *extra: str) -> Path:
    out = SITE / language
    session.run(
        "sphinx-build",
        "-b",
        "html",
        "-W",
        "-n",
        "--keep-going",
        "-q",
        "-D",
        f"language={language}",
        "-d",
        str(ROOT / "_build" / "doctrees" / language),
        "docs",
        str(out),
        *extra,
    )
    return out


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML site with warnings as errors and nitpicky references."""
    install(session, "docs", "runtime")
    for language in LANGUAGES:
        out = build_html(session, language, *session.posargs)
        session.log(f"{language}: open {out / 'index.html'}")


@nox.session
def lint(session: nox.Session) -> None:
    """sphinx-lint on the pages, ruff on the Python files."""
    install(session, "lint")
    session.run(
        "sphinx-lint", "--enable", "all", "--disable", "line-too-long", "docs", *session.posargs
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def serve(session: nox.Session) -> None:
    """Live preview: rebuild on save and reload the browser."""
    install(session, "serve", "runtime")
    session.run(
        "sphinx-autobuild",
        "docs",
        str(ROOT / "_build" / "serve"),
        "-n",
        "--watch",
        "snippets",
        *session.posargs,
    )


@nox.session
def clean(session: nox.Session) -> None:
    """Remove everything the builds and tests left behind."""
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    session.log("removed _build/")
