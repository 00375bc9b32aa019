"""What publishing needs before anything is built: a valid base URL, and a GitHub Pages
workflow (.github/workflows/pages.yml) that publishes exactly what ``nox -s docs`` builds and
checks, set up as CI sets it up, with the least permissions."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sphinx.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import publishing  # noqa: E402  (docs/_ext is not a package)

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CI = ROOT / ".ci" / "run"


def jobs(text: str) -> dict[str, str]:
    """Each job's block of the workflow, by the job's name."""
    body = text.split("\njobs:\n", 1)[1]
    names = re.findall(r"^  ([\w-]+):$", body, flags=re.MULTILINE)
    blocks = re.split(r"^  [\w-]+:$", body, flags=re.MULTILINE)[1:]
    return dict(zip(names, blocks, strict=True))


def permissions(block: str) -> dict[str, str]:
    found = re.search(r"^    permissions:\n((?:      .*\n)+)", block, flags=re.MULTILINE)
    assert found, "a job without its own permissions inherits more than it needs"
    return dict(re.findall(r"^      ([\w-]+): (\w+)", found.group(1), flags=re.MULTILINE))


def test_readme_ci_and_the_workflow_set_up_with_the_same_script():
    workflow = WORKFLOW.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert runs(CI.read_text(encoding="utf-8"), re.escape("bash .ci/setup"))
    assert runs(workflow, re.escape("bash .ci/setup"))
    assert "apt-get install" not in workflow, "pages.yml installs packages of its own"
    assert readme.count("bash .ci/setup && python3 -m nox -s ") == 2, "README's two commands"


def runs(text: str, command: str) -> bool:
    return bool(re.search(rf"^\s*(?:run: )?{command}$", text, flags=re.MULTILINE))


def test_the_workflow_sets_up_and_builds_with_the_projects_own_commands():
    text = WORKFLOW.read_text(encoding="utf-8")
    ci = CI.read_text(encoding="utf-8")
    docs = r"python3 -m nox -s (?:\S+ )*docs(?: \S+)*"
    assert runs(ci, docs), ".ci/run no longer runs the docs session"
    assert runs(text, re.escape("python3 -m nox -s docs"))
    assert "GUIDE_BASE_URL: ${{ steps.pages.outputs.base_url }}/" in text


def test_the_workflow_publishes_the_site_that_nox_builds_with_the_official_actions():
    text = WORKFLOW.read_text(encoding="utf-8")
    build, deploy = jobs(text)["build"], jobs(text)["deploy"]
    assert re.search(r"uses: actions/upload-pages-artifact@v\d+\n\s+with:\n\s+path: _build/site\n",
                     build)  # fmt: skip
    assert re.search(r"uses: actions/deploy-pages@v\d+", deploy)
    assert "needs: build" in deploy
    assert "name: github-pages" in deploy


def test_only_the_deploy_job_may_write_and_runs_never_overlap():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert re.search(r"^permissions: \{\}$", text, flags=re.MULTILINE)
    granted = {name: permissions(block) for name, block in jobs(text).items()}
    assert granted["build"] == {"contents": "read", "pages": "read"}
    assert granted["deploy"] == {"pages": "write", "id-token": "write"}
    assert re.search(r"^concurrency:\n  group: pages\n  cancel-in-progress: false$", text,
                     flags=re.MULTILINE)  # fmt: skip


@pytest.mark.parametrize(
    "value", ["example.org/guide/", "ftp://example.org/", "https:///guide/", "https://h/?q=1", ""]
)
def test_a_base_url_that_is_not_an_http_address_is_refused_naming_where_it_came_from(
    value: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv(publishing.ENVIRONMENT_VARIABLE, raising=False)
    with pytest.raises(ConfigError, match=r"guide_base_url \(docs/conf\.py, line \d+\)"):
        publishing.normalized_base_url(value)
    monkeypatch.setenv(publishing.ENVIRONMENT_VARIABLE, value or " ")
    with pytest.raises(ConfigError, match="the GUIDE_BASE_URL environment variable"):
        publishing.normalized_base_url(value)


def test_a_base_url_always_ends_with_a_slash():
    assert publishing.normalized_base_url("https://o.github.io/r") == "https://o.github.io/r/"
    assert publishing.normalized_base_url("https://o.github.io/r/") == "https://o.github.io/r/"
    assert publishing.normalized_base_url("https://docs.example.net") == "https://docs.example.net/"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://example.org/sqlalchemy-guide/", "example.org-sqlalchemy-guide-ru"),
        ("https://o.github.io/my%20guide/", "o.github.io-my-20guide-ru"),
        ("http://127.0.0.1:8000/", "id-127.0.0.1-8000-ru"),
    ],
)
def test_the_book_identifier_is_an_xml_name_made_from_the_address(base: str, expected: str):
    identifier = publishing.book_identifier(base, "ru")
    assert identifier == expected
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9._-]*", identifier)
