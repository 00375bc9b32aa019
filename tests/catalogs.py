"""Facts about the gettext catalogs in ``locale/``, for the specifications and ``nox -s translate``.

Run ``python -m tests.catalogs --stats ru`` for per-catalog statistics.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LOCALE = ROOT / "locale"

#: Words the spelling check accepts beyond the Russian and English dictionaries (code names).
WORDLIST = LOCALE / "ru" / "wordlist.txt"

#: The catalog of interface strings (theme, templates); every other catalog mirrors a page.
THEME_CATALOG = "sphinx"

#: One agreed Russian term per concept, ``English,Русский`` rows; shown on the glossary page.
TERMS_FILE = DOCS / "_terms" / "ru.csv"


def catalog_dir(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES"


def catalogs(language: str) -> list[Path]:
    return sorted(catalog_dir(language).rglob("*.po"))


def page_catalogs(language: str) -> dict[str, Path]:
    """Catalogs of pages, keyed by document name (``core/engine``)."""
    base = catalog_dir(language)
    return {
        po.relative_to(base).with_suffix("").as_posix(): po
        for po in catalogs(language)
        if po.relative_to(base).with_suffix("").as_posix() != THEME_CATALOG
    }


def documents() -> list[str]:
    return sorted(
        p.relative_to(DOCS).with_suffix("").as_posix()
        for p in DOCS.rglob("*.rst")
        if not any(part.startswith("_") for part in p.relative_to(DOCS).parts)
    )


@dataclass
class Stats:
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


def stats(po_path: Path) -> Stats:
    """Counts the way msgfmt does: a fuzzy entry is not translated."""
    po = polib.pofile(str(po_path))
    entries = [e for e in po if not e.obsolete]
    fuzzy = sum(1 for e in entries if e.fuzzy)
    translated = sum(1 for e in entries if e.translated() and not e.fuzzy)
    return Stats(translated, fuzzy, len(entries) - translated - fuzzy)


def extract_messages(target: Path) -> dict[str, set[str]]:
    """Run Sphinx's gettext builder on the current pages; return msgids per document."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "gettext",
            "-q",
            "-d",
            str(target / "doctrees"),
            str(DOCS),
            str(target / "pot"),
        ],
        check=True,
    )
    return {
        pot.relative_to(target / "pot").with_suffix("").as_posix(): {
            e.msgid for e in polib.pofile(str(pot)) if e.msgid
        }
        for pot in (target / "pot").rglob("*.pot")
    }


def misspelled_words(language: str) -> dict[Path, set[str]]:
    """The words hunspell does not know, per catalog: one hunspell run in its pipe mode
    (``-a``: a result line per word, an empty line after each input line) for all of them."""
    from tests.debian import debian_tool

    hunspell = debian_tool(
        shutil.which("hunspell"), "hunspell", "hunspell hunspell-ru hunspell-en-us"
    )
    lines = [
        (po, line)
        for po in catalogs(language)
        for entry in polib.pofile(str(po))
        for line in plain_words(entry.msgstr.removesuffix("#noqa")).splitlines()
    ]
    result = subprocess.run(
        [hunspell, "-d", "ru_RU,en_US", "-p", str(WORDLIST), "-a"],
        input="".join(f"^{line}\n" for _, line in lines),  # ^: the line is text, not a command
        capture_output=True,
        text=True,
        check=True,
    )
    unknown: dict[Path, set[str]] = {po: set() for po in catalogs(language)}
    answered = 0  # input lines answered so far
    for row in result.stdout.splitlines()[1:]:  # after the version line
        if not row:
            answered += 1
        elif row.startswith(("&", "#")):  # & word count offset: guesses / # word offset
            unknown[lines[answered][0]].add(row.split()[1])
    if answered != len(lines):
        raise RuntimeError(f"hunspell answered {answered} of {len(lines)} lines")
    return unknown


def theme_messages() -> list[str]:
    """Interface strings of the theme and of the project's templates, as gettext looks them up."""
    import furo
    from jinja2.ext import babel_extract

    sys.path.insert(0, str(DOCS / "_ext"))
    from languages import GENERATED, HARD_CODED, HARD_CODED_TITLES
    from run_in_browser import MESSAGES

    folders = [Path(furo.__file__).parent / "theme", DOCS / "_templates"]
    templates = [template for folder in folders for template in sorted(folder.rglob("*.html"))]
    templates += sorted((DOCS / "_static").glob("*_t"))  # static files rendered as templates
    messages = dict.fromkeys(HARD_CODED + HARD_CODED_TITLES + GENERATED + MESSAGES)
    for template in templates:
        found = babel_extract(io.BytesIO(template.read_bytes()), ("_", "gettext"), [], {})
        for _line, _function, message, _comments in found:
            message = message[0] if isinstance(message, tuple) else message
            if message:
                messages[message] = None
    return list(messages)


def normalize_headers(language: str, width: int) -> None:
    """Give every catalog the project's header: not fuzzy, language team, no placeholders.

    Written back with Babel at ``width``, as sphinx-intl writes, so the text stays identical.
    """
    from babel.messages.pofile import read_po, write_po

    for po_path in catalogs(language):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        catalog.fuzzy = False
        catalog.header_comment = (
            "# Russian translation of the guide. Update with `nox -s translate`;\n"
            "# the agreed terms are in docs/_terms/ru.csv."
        )
        catalog.last_translator = "The guide's translators"
        catalog.language_team = "Russian"
        catalog.revision_date = catalog.creation_date
        with po_path.open("wb") as handle:
            write_po(handle, catalog, width=width, omit_header=False)


def write_theme_pot(target: Path) -> None:
    pot = polib.POFile()
    pot.metadata = {"Content-Type": "text/plain; charset=UTF-8", "MIME-Version": "1.0"}
    for message in theme_messages():
        pot.append(polib.POEntry(msgid=message, msgstr=""))
    target.parent.mkdir(parents=True, exist_ok=True)
    pot.save(str(target))


# --- markup that a translation must keep ------------------------------------

LITERAL = re.compile(r"``(?P<text>.+?)``")
ROLE = re.compile(r":(?P<role>[a-z][\w:+-]*):`(?P<body>[^`]+)`")
HYPERLINK = re.compile(r"`[^`<]*<(?P<url>[^>`]+)>`__?")
SUBSTITUTION = re.compile(r"(?<![\w|])\|(?P<name>[^|\s][^|]*)\|(?![\w|])")


def role_target(role: str, body: str) -> str:
    match = re.match(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", body, flags=re.DOTALL)
    target = match.group("target") if match else body
    target = target.lstrip("~!")
    return target.lower() if role == "term" else target


def markup(text: str) -> Counter:
    """The markup items of a message: literals, roles with targets, links, substitutions."""
    items: Counter = Counter()
    for m in LITERAL.finditer(text):
        items[("literal", m.group("text"))] += 1
    rest = LITERAL.sub(" ", text)
    for m in ROLE.finditer(rest):
        items[(f":{m.group('role')}:", role_target(m.group("role"), m.group("body")))] += 1
    rest = ROLE.sub(" ", rest)
    for m in HYPERLINK.finditer(rest):
        items[("link", m.group("url"))] += 1
    for m in SUBSTITUTION.finditer(rest):
        items[("substitution", m.group("name"))] += 1
    return items


CODE_ROLES = ("class", "meth", "func", "attr", "exc", "mod", "data", "obj", "pep", "rfc")


# --- Russian typography ------------------------------------------------------

NBSP = "\u00a0"
#: Where Russian typography keeps two words on one line: the space before a dash, between a
#: number and its unit, after «см.», between a product's name and its version.
TYPOGRAPHY = [
    (re.compile(r" (?=—)"), NBSP),
    (
        re.compile(r"(\d) (?=(?:мс|мкс|с|КБ|МБ|ГБ|%|байт\w*|секунд\w*|минут\w*)(?![\w-]))"),
        r"\1" + NBSP,
    ),
    (re.compile(r"\b(см\.) "), r"\1" + NBSP),
    (re.compile(r"\b(SQLAlchemy|Python|Pyodide|SQLite|PostgreSQL) (?=\d)"), r"\1" + NBSP),
]
#: Markup whose spaces are code or addresses: literals, roles, links, inline code.
KEPT_AS_IS = re.compile(r"``.+?``|:[a-z][\w:+-]*:`[^`]+`|`[^`]+`__?")


def russian_typography(text: str) -> str:
    """``text`` with non-breaking spaces where Russian typography puts them (outside markup)."""
    parts = []
    last = 0
    for kept in KEPT_AS_IS.finditer(text):
        parts += [typeset(text[last : kept.start()]), kept.group()]
        last = kept.end()
    return "".join([*parts, typeset(text[last:])])


def typeset(plain: str) -> str:
    for rule, replacement in TYPOGRAPHY:
        plain = rule.sub(replacement, plain)
    return plain


def apply_typography(language: str, width: int) -> None:
    """Put the non-breaking spaces into every translation (``nox -s translate`` does)."""
    from babel.messages.pofile import read_po, write_po

    for po_path in catalogs(language):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        changed = False
        for message in catalog:
            if message.id and isinstance(message.string, str):
                typeset_string = russian_typography(message.string)
                changed |= typeset_string != message.string
                message.string = typeset_string
        if changed:
            with po_path.open("wb") as handle:
                write_po(handle, catalog, width=width, omit_header=False)


def plain_words(text: str) -> str:
    """A message with code, links and markup taken out: the words a reader reads."""
    text = LITERAL.sub(" ", text)

    def visible(match: re.Match) -> str:
        role, body = match.group("role"), match.group("body")
        if role.split(":")[-1] in CODE_ROLES:
            return " "
        titled = re.match(r"^(?P<title>.*?)\s*<[^<>]+>$", body, flags=re.DOTALL)
        if titled:
            return f" {titled.group('title')} "
        return " " if role in ("doc", "ref") else f" {body} "

    text = ROLE.sub(visible, text)
    text = HYPERLINK.sub(" ", text)
    text = re.sub(r"https?://\S+|<[^>]+>|%\(\w+\)s|&#?\w+;", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    return text


# --- the agreed terms -------------------------------------------------------


@dataclass(frozen=True)
class Term:
    english: str
    russian: str


def agreed_terms() -> list[Term]:
    with TERMS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [Term(r["English"], r["Русский"]) for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stats", action="store_true", help="print per-catalog statistics")
    parser.add_argument("--theme-pot", type=Path, help="write the theme's messages to this .pot")
    parser.add_argument(
        "--normalize",
        type=int,
        metavar="WIDTH",
        help="rewrite the catalogs' headers, wrapping lines at WIDTH",
    )
    parser.add_argument("languages", nargs="*")
    args = parser.parse_args(argv)
    if args.theme_pot:
        write_theme_pot(args.theme_pot)
    if args.normalize:
        for language in args.languages:
            normalize_headers(language, args.normalize)
            apply_typography(language, args.normalize)
    width = max(
        (len(str(p.relative_to(LOCALE))) for lang in args.languages for p in catalogs(lang)),
        default=20,
    )
    for language in args.languages:
        total = Stats(0, 0, 0)
        print(f"{'catalog':<{width}}  translated  fuzzy  untranslated      %")
        for po in catalogs(language):
            s = stats(po)
            total = Stats(
                total.translated + s.translated,
                total.fuzzy + s.fuzzy,
                total.untranslated + s.untranslated,
            )
            print(
                f"{str(po.relative_to(LOCALE)):<{width}}  {s.translated:>10}  {s.fuzzy:>5}"
                f"  {s.untranslated:>12}  {s.percent:5.1f}"
            )
        print(
            f"{language + ' (all catalogs)':<{width}}  {total.translated:>10}  {total.fuzzy:>5}"
            f"  {total.untranslated:>12}  {total.percent:5.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
