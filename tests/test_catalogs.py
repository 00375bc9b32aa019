"""What the Russian catalogs must be: complete, in sync with the pages, faithful to markup."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
import snowballstemmer

from tests import catalogs, pytest_guide
from tests.debian import debian_tool

LANGUAGE = "ru"
PAGE_CATALOGS = catalogs.page_catalogs(LANGUAGE)
ALL_CATALOGS = catalogs.catalogs(LANGUAGE)


def catalog_id(path: Path) -> str:
    return str(path.relative_to(catalogs.catalog_dir(LANGUAGE)))


def test_the_catalog_tree_mirrors_the_docs_tree():
    assert sorted(PAGE_CATALOGS) == catalogs.documents()
    assert (catalogs.catalog_dir(LANGUAGE) / f"{catalogs.THEME_CATALOG}.po").exists()


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_every_message_is_translated_and_none_is_fuzzy(po: Path):
    entries = polib.pofile(str(po))
    untranslated = [e.msgid for e in entries.untranslated_entries()]
    fuzzy = [e.msgid for e in entries.fuzzy_entries()]
    assert not untranslated, (
        f"{catalog_id(po)}: {len(untranslated)} untranslated, first: {untranslated[0]!r}"
    )
    assert not fuzzy, f"{catalog_id(po)}: {len(fuzzy)} fuzzy, first: {fuzzy[0]!r}"
    assert not entries.obsolete_entries(), f"{catalog_id(po)} keeps obsolete entries"


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_headers_name_the_language_and_its_plural_forms(po: Path):
    metadata = polib.pofile(str(po)).metadata
    assert metadata.get("Language") == LANGUAGE
    assert metadata.get("Content-Type", "").lower() == "text/plain; charset=utf-8"
    assert metadata.get("Plural-Forms", "").startswith("nplurals=3;")


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_msgfmt_check_accepts_the_catalog(po: Path):
    msgfmt = debian_tool(shutil.which("msgfmt"), "msgfmt", "gettext")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
    assert "untranslated" not in result.stderr, result.stderr


@pytest.fixture(scope="session")
def extracted(request: pytest.FixtureRequest) -> dict[str, set[str]]:
    return pytest_guide.background(request.config, "extracted messages")


def test_every_english_message_has_its_entry_and_no_entry_is_stale(extracted):
    problems = []
    pages = {doc: msgids for doc, msgids in extracted.items() if doc != catalogs.THEME_CATALOG}
    for document, msgids in sorted(pages.items()):
        po = PAGE_CATALOGS.get(document)
        if po is None:
            problems.append(f"{document}: no catalog")
            continue
        in_catalog = {e.msgid for e in polib.pofile(str(po)) if not e.obsolete}
        problems += [f"{document}: missing {m!r}" for m in sorted(msgids - in_catalog)]
        problems += [f"{document}: stale {m!r}" for m in sorted(in_catalog - msgids)]
    assert not problems, "catalogs out of sync; run `nox -s translate`:\n" + "\n".join(
        problems[:20]
    )


def test_the_interface_catalog_holds_exactly_the_theme_and_template_messages():
    po = polib.pofile(str(catalogs.catalog_dir(LANGUAGE) / f"{catalogs.THEME_CATALOG}.po"))
    assert {e.msgid for e in po if not e.obsolete} == set(catalogs.theme_messages())


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_each_translation_keeps_the_markup_of_its_source(po: Path):
    problems = []
    for entry in polib.pofile(str(po)):
        if not entry.msgstr:
            continue
        source, translation = catalogs.markup(entry.msgid), catalogs.markup(entry.msgstr)
        if source != translation:
            lost = source - translation
            added = translation - source
            problems.append(f"{entry.msgid[:60]!r}: lost {dict(lost)}, added {dict(added)}")
    assert not problems, f"{catalog_id(po)}:\n" + "\n".join(problems)


STEMMER = snowballstemmer.stemmer("russian")
TERMS = {t.english.lower(): t for t in catalogs.agreed_terms()}
TERM_ROLE = re.compile(r":term:`(?P<body>[^`]+)`")


def stems(text: str) -> set[str]:
    return set(STEMMER.stemWords(re.findall(r"[а-яё]+", text.lower())))


def same_word(a: str, b: str) -> bool:
    """Two stems of one word: the stemmer cuts some case forms one letter shorter
    («движок» → движок, «движка» → движк), so stems that differ only there match."""
    if a == b:
        return True
    shared = len(next((p for p in (a[:n] for n in range(len(a), 0, -1)) if b.startswith(p)), ""))
    return shared >= max(3, min(len(a), len(b)) - 1)


def uses_term(title: str, term: str) -> bool:
    """True when ``title`` contains every word of ``term``, in any grammatical form; a term
    kept in English (flush, ORM, echo) must be there as it is written."""
    if not stems(term):
        return term.lower() in title.lower()
    words = stems(title)
    return all(any(same_word(t, w) for w in words) for t in stems(term))


def test_the_term_table_covers_every_glossary_term():
    glossary = (catalogs.DOCS / "glossary.rst").read_text(encoding="utf-8")
    headwords = re.findall(
        r"^   (\S[^\n]*)\n(?=   [ \S])", glossary.split(".. glossary::", 1)[1], flags=re.MULTILINE
    )
    missing = sorted(h for h in headwords if h.lower() not in TERMS and not h.startswith(":"))
    assert not missing, (
        f"glossary terms without an agreed Russian term in {catalogs.TERMS_FILE.name}: {missing}"
    )


@pytest.mark.parametrize("po", list(PAGE_CATALOGS.values()), ids=catalog_id)
def test_term_references_use_the_agreed_russian_term(po: Path):
    problems = []
    for entry in polib.pofile(str(po)):
        for match in TERM_ROLE.finditer(entry.msgstr):
            body = match.group("body")
            target = catalogs.role_target("term", body)
            title = body.split("<")[0] if "<" in body else body
            agreed = TERMS.get(target)
            if agreed is None:
                continue
            if not uses_term(title, agreed.russian):
                problems.append(f"{body!r} should say {agreed.russian!r} (for {agreed.english!r})")
    assert not problems, f"{catalog_id(po)}:\n" + "\n".join(problems)


def test_glossary_headwords_lead_with_the_agreed_russian_term():
    po = polib.pofile(str(PAGE_CATALOGS["glossary"]))
    problems = []
    for entry in po:
        agreed = TERMS.get(entry.msgid.lower())
        if agreed and stems(agreed.russian) and not uses_term(entry.msgstr, agreed.russian):
            problems.append(f"{entry.msgid!r} -> {entry.msgstr!r}, agreed {agreed.russian!r}")
    assert not problems, "\n".join(problems)


#: Words that drifted between renderings: wherever the English uses one (outside ``code``), the
#: Russian uses the rendering docs/_terms/ru.csv agrees on, in any form (English regex, Russian).
EVERY_MESSAGE = {
    "logger": (r"\bloggers?\b", r"логгер"),
    "log": (r"\blogs?\b(?! handler)", r"журнал"),
    "column label": (r"\bcolumn labels?\b", r"мет(?:к|ок)"),
    "release line": (r"\brelease lines?\b", r"ветк[аиеу]"),
    "DBAPI connection": (r"\bDBAPI connections?\b", r"DBAPI-соединени"),
    "legacy": (r"\blegacy\b", r"унаследованн"),
    "reflection": (r"\breflect(?:ion|s|ed|ing)?\b", r"рефлекси"),
    "flush": (r"\bflush(?:es|ed|ing)?\b", r"\bflush"),
    "autoflush": (r"\bautoflush\b", r"autoflush"),
    "pre-ping": (r"\bpre-ping\b", r"pre-ping"),
    "overflow": (r"(?<!_)\boverflow\b", r"сверхлимитн"),
}


#: Renderings the table rejects for a word, unless the English also says what they mean:
#: a statement is «инструкция» (or, for a SELECT, «запрос»; or just ``UPDATE``), never
#: «оператор» or «команда».
REJECTED = {
    "statement": (r"\bstatements?\b", r"\b(?:оператор|команд)", r"\b(?:operators?|commands?)\b"),
}


@pytest.mark.parametrize("po", list(PAGE_CATALOGS.values()), ids=catalog_id)
def test_words_the_table_fixes_are_never_given_a_rejected_rendering(po: Path):
    problems = []
    for entry in polib.pofile(str(po)):
        english = catalogs.plain_words(entry.msgid)
        for term, (source, rejected, unless) in REJECTED.items():
            if (
                re.search(source, english, re.IGNORECASE)
                and not re.search(unless, english, re.IGNORECASE)
                and re.search(rejected, catalogs.plain_words(entry.msgstr), re.IGNORECASE)
            ):
                problems.append(f"{term!r} is {TERMS[term].russian!r}: {entry.msgstr[:90]!r}")
    assert not problems, f"{catalog_id(po)}:\n" + "\n".join(problems)


#: The Session is feminine, like «сессия» (docs/_terms/ru.csv): no masculine past tense or short
#: participle right after it («``Session`` закрыт», «сессия создан»).
MASCULINE_SESSION = re.compile(
    r"(?:``Session``|\b[Сс]есси[яи]|\bSession)\s+(?:(?:уже|не|ещё|снова|тоже|сразу)\s+)?"
    r"(?P<word>был|[а-яё]{2,}(?:[аеёиоуыя]л|ан|ян|ен|ён|ыт|ут|от))\b"  # not «пул»
)


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_the_session_is_feminine_in_russian(po: Path):
    found = [
        match.group(0)
        for entry in polib.pofile(str(po))
        for match in MASCULINE_SESSION.finditer(entry.msgstr)
    ]
    assert not found, f"{catalog_id(po)}: the Session is feminine: {found}"


@pytest.mark.parametrize(
    ("text", "masculine"),
    [
        ("``Session`` закрыт", True),
        ("сессия уже создан", True),
        ("``Session`` закрыта", False),
        ("сессия держит объект", False),
        ("сессия была закрыта", False),
        ("Session был", True),
        ("каждой сессии пул выдаёт", False),
    ],
)
def test_the_gender_check_tells_a_masculine_session(text: str, masculine: bool):
    assert bool(MASCULINE_SESSION.search(text)) is masculine


def test_every_word_the_table_fixes_is_in_the_table():
    missing = {term for term in [*EVERY_MESSAGE, *REJECTED] if term.lower() not in TERMS}
    assert not missing, f"not in {catalogs.TERMS_FILE.name}: {sorted(missing)}"


@pytest.mark.parametrize("po", list(PAGE_CATALOGS.values()), ids=catalog_id)
def test_words_the_table_fixes_keep_their_rendering_in_every_message(po: Path):
    problems = []
    for entry in polib.pofile(str(po)):
        english = catalogs.plain_words(entry.msgid)  # no code, no link targets
        for term, (source, rendering) in EVERY_MESSAGE.items():
            if re.search(source, english, re.IGNORECASE) and not re.search(
                rendering, entry.msgstr, re.IGNORECASE
            ):
                problems.append(
                    f"{term!r} should be {TERMS[term.lower()].russian!r}: {entry.msgstr[:90]!r}"
                )
    assert not problems, f"{catalog_id(po)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_russian_typography_keeps_a_dash_a_unit_and_a_version_with_the_word_before(po: Path):
    loose = [
        entry.msgstr[:80]
        for entry in polib.pofile(str(po))
        if entry.msgstr and catalogs.russian_typography(entry.msgstr) != entry.msgstr
    ]
    assert not loose, (
        f"{catalog_id(po)}: ordinary spaces where a non-breaking one belongs (`nox -s translate`"
        " puts them in):\n" + "\n".join(loose)
    )


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=catalog_id)
def test_the_russian_text_is_spelled_correctly(po: Path, request: pytest.FixtureRequest):
    misspelled = pytest_guide.background(request.config, "misspelled words")
    assert not misspelled[po], (
        f"{catalog_id(po)}: unknown words {sorted(misspelled[po])}; fix them, or add code "
        f"names to {catalogs.WORDLIST.relative_to(catalogs.ROOT)}"
    )


def test_the_word_list_is_sorted_and_has_no_duplicates():
    words = catalogs.WORDLIST.read_text(encoding="utf-8").split()
    assert len(words) == len(set(words))
    assert words == sorted(words, key=lambda word: (word.lower(), word))


@pytest.mark.parametrize(
    ("title", "term", "expected"),
    [
        ("движка", "движок", True),
        ("фабрики сессий", "фабрика сессий", True),
        ("фабрики", "фабрика сессий", False),
        ("уровня изоляции", "уровень изоляции", True),
        ("соединение", "сессия", False),
        ("сессию", "сессия", True),
        ("сессии на запрос", "сессия на запрос", True),
        ("сессии в запросе", "сессия на запрос", False),
    ],
)
def test_an_agreed_term_is_recognised_in_any_grammatical_form(title, term, expected):
    assert uses_term(title, term) is expected


@pytest.mark.parametrize(
    ("source", "translation", "kept"),
    [
        (":term:`flush` of ``x``", ":term:`сброс <flush>` для ``x``", True),
        (":term:`flush` of ``x``", ":term:`сброс <commit>` для ``x``", False),
        (":meth:`~a.B.c` runs", "вызов :meth:`a.B.c`", True),
        (":meth:`~a.B.c` runs", "вызов ``c()``", False),
        ("see ``x = 1``", "см. ``x=1``", False),
        ("`docs <https://example.org/>`_", "`документация <https://example.org/>`_", True),
        ("`docs <https://example.org/>`_", "документация", False),
    ],
)
def test_the_markup_check_notices_a_lost_or_changed_target(source, translation, kept):
    assert (catalogs.markup(source) == catalogs.markup(translation)) is kept
