"""The English catalogue and the rules that keep every text translatable.

- every text marked in the code (_(), N_(), ngettext(), pgettext()) has an English translation with the same
  {placeholders}, and the catalogue holds nothing the code no longer says (`make messages`);
- `_()` gets a literal (an f-string would be a message no catalogue can hold);
- nothing is translated at import time (a constant would be frozen in the first reader's language);
- the mechanism itself: French by default, English on request, misses recorded, Babel formats.
Pages are rendered in English in tests/pages/test_english_interface.py.
"""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

import i18n
from i18n import _, formats, ngettext
from tests.architecture.test_layering import ROOT, python_files, violations

TRANSLATED_CODE = ["app.py", "app_pages", "ui", "services", "models", "i18n"]
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
TRANSLATING_CALLS = {"_", "ngettext", "pgettext"}


def marked_messages() -> dict[str | tuple[str, str], str]:
    """Every message marked in the code → where (first place it is marked)."""
    found: dict[str | tuple[str, str], str] = {}
    for path in python_files(*TRANSLATED_CODE):
        for lineno, message, _comments, context in extract_from_file("python", str(path), keywords=DEFAULT_KEYWORDS):
            if message:
                key = (message[0], message[1]) if isinstance(message, tuple) else i18n._with_context(context, message)
                found.setdefault(key, f"{path.relative_to(ROOT)}:{lineno}")
    return found


def non_literal_translations(tree: ast.AST) -> list[str]:
    """`_(f"...")`, `_("a" + b)`, `_("...".format(x))`: a message no catalogue can hold."""
    return [
        f"{node.func.id}() line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in TRANSLATING_CALLS
        and node.args
        and isinstance(node.args[-1 if node.func.id == "pgettext" else 0], ast.JoinedStr | ast.BinOp | ast.Call)
    ]


def translations_at_import(tree: ast.AST) -> list[str]:
    """_(), ngettext() or label() run when the module is imported (module level, class body,
    default values, decorators): its text would stay in the language of the first reader."""
    found: list[str] = []

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for part in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                if part is not None:
                    visit(part, deferred)
            for statement in node.body:
                visit(statement, True)
            return
        if isinstance(node, ast.Lambda):
            visit(node.body, True)
            return
        if (
            not deferred
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in TRANSLATING_CALLS | {"label"}
        ):
            found.append(f"{node.func.id}() line {node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child, deferred)

    visit(tree, False)
    return found


@pytest.mark.parametrize(
    ("detector", "bad", "good"),
    [
        (non_literal_translations, 'st.error(_(f"Séance du {day}"))', 'st.error(_("Séance du {day}").format(day=d))'),
        (non_literal_translations, '_("Site " + name)', "_(TITLE)"),
        (non_literal_translations, '_("{n} fiches".format(n=3))', '_("{n} fiches").format(n=3)'),
        (non_literal_translations, 'pgettext("outcome", f"Sortie {x}")', 'pgettext("outcome", "Sortie")'),
        (translations_at_import, 'TITLE = _("Postes")', 'TITLE = N_("Postes")'),
        (
            translations_at_import,
            "LEVELS = [label(level) for level in CefrLevel]",
            "def levels():\n    return [label(level) for level in CefrLevel]",
        ),
        (translations_at_import, 'class Form:\n    title = _("Accueil")', 'class Form:\n    title = N_("Accueil")'),
        (
            translations_at_import,
            'def draw(title=_("Accueil")):\n    pass',
            'def draw(title=None):\n    st.title(_("Accueil"))',
        ),
        (translations_at_import, 'def f():\n    pass\nHEAD = ngettext("a", "b", 2)', 'SHOW = lambda: _("Accueil")'),
    ],
)
def test_detectors(detector, bad, good):
    assert detector(ast.parse(bad))
    assert not detector(ast.parse(good))


def test_messages_are_literals():
    assert violations(python_files(*TRANSLATED_CODE), non_literal_translations) == {}


def test_nothing_is_translated_at_import_time():
    # Page scripts (app.py, app_pages/) are executed again on every run: only imported modules count.
    assert violations(python_files("ui", "services", "models", "i18n"), translations_at_import) == {}


def test_there_are_messages_to_translate():
    assert len(marked_messages()) > 1000


def test_every_marked_message_has_an_english_translation():
    books = i18n.catalogue(i18n.ENGLISH)
    untranslated = [
        f"{where}: {message!r}"
        for message, where in marked_messages().items()
        if (books.plural if isinstance(message, tuple) else books.singular).get(message) is None
    ]
    assert untranslated == [], "add them to i18n/locales/en/LC_MESSAGES/messages.po (make messages):\n" + "\n".join(
        untranslated
    )


def test_translations_keep_the_placeholders():
    books = i18n.catalogue(i18n.ENGLISH)
    pairs = [(source, target) for source, target in books.singular.items()]
    pairs += [(source[0], form) for source, forms in books.plural.items() for form in forms]
    different = [
        f"{source!r} → {target!r}"
        for source, target in pairs
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target))
        and not (source.count("{") == 0 and target.count("{") == 0)
    ]
    assert different == []


def test_the_catalogue_holds_nothing_the_code_no_longer_says():
    marked = set(marked_messages())
    books = i18n.catalogue(i18n.ENGLISH)
    stale = sorted(set(books.singular) - marked) + sorted(str(key) for key in set(books.plural) - marked)
    assert stale == [], "run `make messages` to drop them"


# --- the mechanism ------------------------------------------------------------------------------


def test_french_is_the_default_and_needs_no_catalogue():
    assert i18n.language() == i18n.FRENCH
    assert _("Langue") == "Langue"
    assert ngettext("{count} séance", "{count} séances", 0) == "{count} séance"  # French: 0 is singular


def test_english_on_request_and_back():
    with i18n.use_language(i18n.ENGLISH):
        assert i18n.language() == i18n.ENGLISH
        assert _("Langue") == "Language"
    assert _("Langue") == "Langue"


def test_the_session_chooses_the_language_unless_a_block_says_otherwise(monkeypatch):
    monkeypatch.setattr(i18n, "_language_source", i18n._language_source)  # the UI's source, put back after
    i18n.set_language_source(lambda: i18n.ENGLISH)
    assert _("Langue") == "Language"
    with i18n.use_language(i18n.FRENCH):
        assert _("Langue") == "Langue"


def test_one_french_text_with_two_meanings_gets_one_translation_per_context():
    with i18n.use_language(i18n.ENGLISH):
        assert i18n.pgettext("intake", "Accueil") != _("Accueil")


def test_a_missing_english_text_falls_back_to_french_and_is_recorded():
    i18n.forget_missing()
    with i18n.use_language(i18n.ENGLISH):
        assert _("Texte que personne n'a traduit") == "Texte que personne n'a traduit"
    assert i18n.missing_translations() == {"Texte que personne n'a traduit"}
    i18n.forget_missing()


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"), i18n.use_language("de"):
        pass


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (i18n.FRENCH, ("1\u202f234,56\xa0€", "-0,05\xa0€", "54\xa0%", "54,3\xa0%", "29 nov. 2026", "novembre 2026")),
        (i18n.ENGLISH, ("€1,234.56", "-€0.05", "54%", "54.3%", "29 Nov 2026", "November 2026")),
    ],
)
def test_numbers_money_and_dates_follow_the_language(language, expected):
    with i18n.use_language(language):
        shown = (
            formats.euros(123456),
            formats.euros(-5),
            formats.percent(0.543),
            formats.percent(0.543, digits=1),
            formats.day(date(2026, 11, 29)),
            formats.month(date(2026, 11, 1)),
        )
    assert shown == expected


def test_a_day_formatted_in_one_language_is_not_shown_in_the_other():
    """formats keeps the days it formatted (« À faire » lists the same days at every run): per language, and a
    datetime is shown as its day, as babel shows it."""
    day = date(2026, 3, 1)
    shown = []
    for language in (i18n.FRENCH, i18n.ENGLISH, i18n.FRENCH):
        with i18n.use_language(language):
            shown.append(
                (
                    formats.day(day),
                    formats.day(datetime(2026, 3, 1, 23, 30)),
                    formats.short_day(day),
                    formats.long_day(day),
                    formats.short_month(day),
                    formats.abbreviated_month(day),
                    formats.month(day),
                )
            )
    french = ("1 mars 2026", "1 mars 2026", "1 mars 26", "1 mars 2026", "mars 26", "mars 2026", "mars 2026")
    english = ("1 Mar 2026", "1 Mar 2026", "1 Mar 26", "1 March 2026", "Mar 26", "Mar 2026", "March 2026")
    assert shown == [french, english, french]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            i18n.FRENCH,
            (
                *("12,5", "12", "1\u202f234,57", "1\u202f234,56", "0,05", "1,5", "1", "2,25", "1\u202f234,5"),
                *("125\xa0%", "-10\xa0%"),
            ),
        ),
        (i18n.ENGLISH, ("12.5", "12", "1,234.57", "1,234.56", "0.05", "1.5", "1", "2.25", "1,234.5", "125%", "-10%")),
    ],
)
def test_decimals_amounts_fte_and_shares_follow_the_language(language, expected):
    """The figures of tables and tiles: formats keeps Babel's parsed patterns between calls, same texts."""
    with i18n.use_language(language):
        shown = (
            formats.decimal(12.5),
            formats.decimal(12.0),
            formats.decimal(1234.567, digits=2),
            formats.amount(123456),
            formats.amount(5),
            formats.fte(150),
            formats.fte(100),
            formats.number(2.25),
            formats.number(1234.5),
            formats.percent(1.25),
            formats.percent(-0.1),
        )
    assert shown == expected


def test_the_catalogue_file_is_where_make_messages_writes_it():
    assert (Path(i18n.LOCALES_DIR) / "en" / "LC_MESSAGES" / "messages.po").is_file()
