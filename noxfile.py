"""Jobs for contributors and CI: one session per job, named by its verb.

Every version comes from the dependency groups in pyproject.toml; extra
arguments after ``--`` are passed to the tool each session runs.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["doctest"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")
SITE = ROOT / "_build" / "site"
LANGUAGES = ("en", "ru")
TRANSLATIONS = ("ru",)
CATALOG_LINE_WIDTH = 79  # every catalog is written with this width, so diffs stay small
QUIET = {"PYTHONDONTWRITEBYTECODE": "1"}  # nothing written into the checkout


def sync(session: nox.Session, environment: str | Path, *groups: str) -> None:
    """Install the locked versions (uv.lock) of the groups into a virtual environment."""
    session.run_install(
        "uv", "sync", "--locked", "--quiet", *(f"--group={group}" for group in groups),
        env={"UV_PROJECT_ENVIRONMENT": str(environment), "UV_COMPILE_BYTECODE": "1"},
    )  # fmt: skip


def install(session: nox.Session, *groups: str, line: str | None = "2.1") -> None:
    """The session's own environment: the groups, with one SQLAlchemy release line."""
    if line:
        groups += (f"sqlalchemy-{line.replace('.', '-')}",)
    sync(session, session.virtualenv.location, *groups)


@nox.session
def doctest(session: nox.Session) -> None:
    """Run every page example, every snippet program and all specs (SQLAlchemy 2.1)."""
    install(session, "test")
    session.run("pytest", *session.posargs, env=QUIET)


@nox.session(name="doctest-2.0")
def doctest_2_0(session: nox.Session) -> None:
    """The same suite on the SQLAlchemy 2.0 line; 2.1-only boxes are reported as skipped."""
    install(session, "test", line="2.0")
    session.run("pytest", *session.posargs, env=QUIET)


def build_epub(session: nox.Session, language: str) -> None:
    """The offline edition (-W -n), put next to the language's pages: <lang>/<name>-<lang>.epub.

    It reuses the HTML build's doctrees; its folder starts empty, because the ePub builder
    packs every file it finds there into the book.
    """
    out = ROOT / "_build" / "epub" / language
    shutil.rmtree(out, ignore_errors=True)
    doctrees = ROOT / "_build" / "doctrees"
    session.run(
        "sphinx-build", "-b", "epub", "-W", "-n", "--keep-going", "-q",
        "-D", f"language={language}", "-d", str(doctrees / language),
        "docs", str(out),
    )  # fmt: skip
    (book,) = out.glob("*.epub")
    shutil.copy(book, SITE / language / book.name)


#: The browser runtime's sources: Pyodide from npm (package-lock.json), the worker, runner.py.
RUNTIME = ROOT / "docs" / "_runtime"
RUNTIME_WHEELS = ROOT / "_build" / "runtime-wheels"


def install_runtime(session: nox.Session) -> None:
    """Pyodide, as docs/_runtime/package-lock.json pins it (npm ci, only when it changed)."""
    lock = json.loads((RUNTIME / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/pyodide"]["version"]
    installed = RUNTIME / "node_modules" / "pyodide" / "package.json"
    if not installed.is_file() or json.loads(installed.read_text())["version"] != pinned:
        session.run("npm", "ci", "--prefix", str(RUNTIME), "--no-audit", "--no-fund", external=True)


def runtime_wheels(session: nox.Session) -> Path:
    """The pure-Python wheels the browser runtime loads: SQLAlchemy 2.1 and what it needs, at
    the versions and hashes of uv.lock. Downloaded once (pip, from PyPI), then reused offline."""
    RUNTIME_WHEELS.mkdir(parents=True, exist_ok=True)
    listed = RUNTIME_WHEELS / "requirements.txt"
    session.run(
        "uv", "export", "--locked", "--quiet", "--group", "sqlalchemy-2-1", "--no-emit-project",
        "--no-header", "--no-annotate", "--format", "requirements.txt", "-o", str(listed),
    )  # fmt: skip
    pins = re.findall(r"^([\w.-]+)==([\w.+-]+)", listed.read_text(), re.MULTILINE)
    have = {w.name.lower() for w in RUNTIME_WHEELS.glob("*-py3-none-any.whl")}
    wanted = [
        f"{re.sub(r'[-.]+', '_', name).lower()}-{version}-py3-none-any.whl"
        for name, version in pins
    ]
    if not all(name in have for name in wanted):
        pyodide_lock = RUNTIME / "node_modules" / "pyodide" / "pyodide-lock.json"
        python = json.loads(pyodide_lock.read_text(encoding="utf-8"))["info"]["python"]
        session.run(
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
            "--only-binary=:all:", "--platform=any", "--implementation=py",
            f"--python-version={python}", "-r", str(listed), "-d", str(RUNTIME_WHEELS),
            external=True,
        )  # fmt: skip
    for stale in RUNTIME_WHEELS.glob("*.whl"):
        if stale.name.lower() not in wanted:
            stale.unlink()
    return RUNTIME_WHEELS


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site in every language (-W -n), then check what readers get from it."""
    install(session, "test")
    install_runtime(session)
    # one sphinx-build -W -n per language, run side by side (tests/build.py)
    session.run("python", "-m", "tests.build", str(SITE), *LANGUAGES, "--", *session.posargs)
    for language in LANGUAGES:
        build_epub(session, language)
    shutil.copy(ROOT / "docs" / "_root" / "index.html", SITE / "index.html")
    # the browser runtime, one copy at the root for both languages (docs/_runtime/assemble.py)
    session.run("python", str(RUNTIME / "assemble.py"), str(SITE), str(runtime_wheels(session)))
    # 404.html, robots.txt and sitemap.xml at the root, from the base URL in docs/conf.py
    session.run("python", "docs/_ext/publishing.py", str(SITE))
    session.run(
        "pytest", "tests/site", "--site", str(SITE), "-q", env={"PYTHONDONTWRITEBYTECODE": "1"}
    )
    for language in LANGUAGES:
        session.log(f"{language}: open {SITE / language / 'index.html'}")
    session.log(f"language chooser: open {SITE / 'index.html'}")


#: axe-core, pinned in tests/browser/package-lock.json; `npm ci --prefix tests/browser` installs it.
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def require_built_site(session: nox.Session) -> None:
    """Stop with what to do when the browser checks lack the built site, Chromium or axe-core."""
    missing = [
        message
        for path, message in (
            (SITE / "en" / "index.html", "no built site: run `nox -s docs` first"),
            (SITE / "_runtime" / "manifest.json", "no browser runtime: run `nox -s docs` first"),
            (Path("/usr/bin/chromium"), "no Chromium: `apt-get install chromium` (Debian)"),
            (AXE, "no axe-core: run `npm ci --prefix tests/browser`"),
        )
        if not path.exists()
    ]
    if missing:
        session.error("; ".join(missing))


@nox.session
def browser(session: nox.Session) -> None:
    """The built site (nox -s docs) in headless Chromium: search, language switcher, copy
    buttons, theme toggle, running examples, console errors, requests, accessibility (axe-core)."""
    require_built_site(session)
    install(session, "browser")
    session.run(
        "pytest", "tests/browser", "--ignore=tests/browser/runtime", "--browser",
        "--site", str(SITE), "-q", *session.posargs, env=QUIET,
    )  # fmt: skip


@nox.session(name="doctest-browser")
def doctest_browser(session: nox.Session) -> None:
    """Every page's examples in the readers' runtime (Pyodide in headless Chromium, from the
    built site), checked as the suite checks them; prints how many were verified."""
    require_built_site(session)
    install(session, "browser")
    session.run(
        "pytest", "tests/browser/runtime", "--browser", "--site", str(SITE), "-q",
        *session.posargs, env=QUIET,
    )  # fmt: skip


#: Lighthouse, pinned next to axe-core; `npm ci --prefix tests/browser` installs both.
LIGHTHOUSE = ROOT / "tests" / "browser" / "node_modules" / "lighthouse" / "cli" / "index.js"


@nox.session
def lighthouse(session: nox.Session) -> None:
    """Lighthouse's scores for a sample of pages of the built site (nox -s docs) in headless
    Chromium: performance at least 98; accessibility, best practices and SEO 100."""
    missing = [
        message
        for path, message in (
            (SITE / "en" / "index.html", "no built site: run `nox -s docs` first"),
            (Path("/usr/bin/chromium"), "no Chromium: `apt-get install chromium` (Debian)"),
            (LIGHTHOUSE, "no Lighthouse: run `npm ci --prefix tests/browser`"),
        )
        if not path.exists()
    ]
    if missing:
        session.error("; ".join(missing))
    install(session, "test")
    session.run(
        "pytest",
        "tests/lighthouse",
        "--lighthouse",
        "--site",
        str(SITE),
        "-q",
        *session.posargs,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Time what people wait for against floors measured in the same run; print the ratios.
    The browser figures (tests/bench_browser.py) read the built site: `nox -s docs` first."""
    install(session, "test", "browser")  # browser: Playwright, for tests/bench_browser.py
    other = ROOT / "_build" / "bench" / "venv-2.0"  # the suite on the other release line
    sync(session, other, "test", "sqlalchemy-2-0")
    session.run(
        "python", "-m", "tests.bench",
        "--python", f"2.1={Path(session.bin) / 'python'}",
        "--python", f"2.0={other / 'bin' / 'python'}",
        "--nox", sys.executable,  # the Python running this nox: (b) times nox -s doctest
        *session.posargs, env=QUIET,
    )  # fmt: skip


@nox.session
def upgrade(session: nox.Session) -> None:
    """What an upgrade would break: the newest release of every direct dependency (no lock),
    in a scratch environment, then the pages, snippets, harness specs and both builds."""
    groups = [name for name in PYPROJECT["dependency-groups"] if name != "sqlalchemy-2-0"]
    pins = dict(  # every direct dependency is pinned as name==version
        requirement.split("==", 1)
        for group in groups
        for requirement in nox.project.dependency_groups(PYPROJECT, group)
    )
    session.install("--upgrade", *sorted(pins))
    installed = json.loads(
        session.run("uv", "pip", "list", "--quiet", "--format=json", silent=True)
    )
    newer = {p["name"].lower(): p["version"] for p in installed if p["name"].lower() in pins}
    for name, version in sorted(newer.items()):
        if version != pins[name]:
            session.log(f"{name}: {pins[name]} pinned, {version} tried")
    session.run("pytest", "-q", "docs", "snippets", "tests/test_harness.py", *session.posargs,
                env=QUIET)  # fmt: skip
    site = ROOT / "_build" / "upgrade"
    shutil.rmtree(site, ignore_errors=True)
    session.run("python", "-m", "tests.build", str(site), *LANGUAGES, "--doctrees",
                str(site / "doctrees"))  # fmt: skip
    session.log(f"the newest releases pass the pages and both builds ({site})")


@nox.session
def translate(session: nox.Session) -> None:
    """Extract messages, update the catalogs in locale/ and print their statistics."""
    install(session, "docs", "runtime", "translate")
    pot = ROOT / "_build" / "gettext"
    session.run(
        "sphinx-build",
        "-b",
        "gettext",
        "-q",
        "-d",
        str(ROOT / "_build" / "doctrees" / "pot"),
        "docs",
        str(pot),
    )
    session.run("python", "-m", "tests.catalogs", "--theme-pot", str(pot / "sphinx.pot"))
    for language in TRANSLATIONS:
        session.run(
            "sphinx-intl",
            "update",
            "-p",
            str(pot),
            "-d",
            "locale",
            "-l",
            language,
            "--line-width",
            str(CATALOG_LINE_WIDTH),
            "--no-obsolete",
            *session.posargs,
        )
    session.run(
        "python",
        "-m",
        "tests.catalogs",
        "--normalize",
        str(CATALOG_LINE_WIDTH),
        "--stats",
        *TRANSLATIONS,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """sphinx-lint on the pages and their translations, ruff on the Python files."""
    install(session, "lint", line=None)
    session.run(
        "sphinx-lint",
        "--enable",
        "all",
        "--disable",
        "line-too-long",
        # the theme's catalog holds HTML from templates, not reStructuredText
        "--ignore",
        "locale/ru/LC_MESSAGES/sphinx.po",
        "--ignore",
        "docs/_runtime/node_modules",  # Pyodide, from npm
        "docs",
        "locale",
        *session.posargs,
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
        "--watch",
        "locale",
        *session.posargs,
    )


@nox.session
def clean(session: nox.Session) -> None:
    """Remove everything the builds and tests left behind."""
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    session.log("removed _build/")
