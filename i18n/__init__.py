"""The one catalogue mechanism for user-facing text (gettext catalogues managed with Babel).

French is the source language: a message id IS the French text, so French needs no catalogue
and a missing English translation falls back to French rather than to a blank. English lives
in i18n/locales/en/LC_MESSAGES/messages.po (`make messages` extracts and updates it).

In code:
    from i18n import _, N_, ngettext, pgettext
    st.button(_("Enregistrer"))
    _("Séance du {day} enregistrée.").format(day=format.day(when))   # named fields: the
                                                                      # translation may reorder
    LABELS = {Mode.STREET: N_("Rue")}   # marked for extraction, translated where shown: _(text)
    pgettext("outcome", "Sortie enregistrée.")  # one French text, two meanings: a context tells them apart

The active language is read, at each call, from `use_language` (tests, scripts) or else from
the source the UI installs (the Streamlit session's choice); every layer may import this
package, which imports nothing of the app.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

FRENCH = "fr"
ENGLISH = "en"
LANGUAGES = {FRENCH: "Français", ENGLISH: "English"}
# Babel locales for numbers, money and dates: 1 234,56 € / €1,234.56, and day-month-year in both.
BABEL_LOCALES = {FRENCH: "fr_FR", ENGLISH: "en_GB"}
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"

_override: ContextVar[str | None] = ContextVar("parcours_language", default=None)
_language_source: Callable[[], str] = lambda: FRENCH  # noqa: E731 - replaced by the UI
_missing: set[str] = set()
# Tests set this to a pair of marks put around every translated text, to find text that
# reached the screen without going through the catalogue (tests/pages/test_english_interface.py).
translated_marks: tuple[str, str] | None = None


def set_language_source(source: Callable[[], str]) -> None:
    """Where the active language comes from when no `use_language` block is open (the UI's session)."""
    global _language_source
    _language_source = source


@contextmanager
def use_language(code: str) -> Iterator[None]:
    """Run a block in one language (tests, command-line scripts, exports built for a given reader)."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    token = _override.set(code)
    try:
        yield
    finally:
        _override.reset(token)


def language() -> str:
    code = _override.get() or _language_source()
    return code if code in LANGUAGES else FRENCH


def babel_locale() -> str:
    return BABEL_LOCALES[language()]


class Catalogue:
    """Translations of one language read from its .po file; fuzzy and empty entries do not count."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as po_file:
            catalog = read_po(po_file)
        self.singular: dict[str, str] = {}
        self.plural: dict[tuple[str, str], tuple[str, ...]] = {}
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                forms = tuple(message.string)
                if all(forms):
                    self.plural[(message.id[0], message.id[1])] = forms
            elif message.string:
                self.singular[_with_context(message.context, message.id)] = message.string
        self.plural_index = _gettext.c2py(catalog.plural_expr)


def _with_context(context: str | None, message: str) -> str:
    """gettext's key of a message said in a context ("outcome" + "Sortie enregistrée.")."""
    return message if context is None else f"{context}\x04{message}"


@cache
def catalogue(code: str) -> Catalogue:
    return Catalogue(LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po")


def _marked(text: str) -> str:
    return text if translated_marks is None else f"{translated_marks[0]}{text}{translated_marks[1]}"


def _(message: str) -> str:
    """`message` (French) in the active language."""
    return _translate(None, message)


def pgettext(context: str, message: str) -> str:
    """`message` in the active language, where the same French says different things elsewhere."""
    return _translate(context, message)


def _translate(context: str | None, message: str) -> str:
    code = language()
    if code == FRENCH:
        return _marked(message)
    key = _with_context(context, message)
    translated = catalogue(code).singular.get(key)
    if translated is None:
        _missing.add(key)
        return _marked(message)
    return _marked(translated)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count` (French: 0 and 1 singular; English: 1 only); format `count` in yourself."""
    code = language()
    if code == FRENCH:
        return _marked(singular if count in (0, 1) else plural)
    books = catalogue(code)
    forms = books.plural.get((singular, plural))
    if forms is None:
        _missing.add(singular)
        return _marked(singular if count in (0, 1) else plural)
    return _marked(forms[min(books.plural_index(count), len(forms) - 1)])


def message(messages: Mapping[str, str], key: str, **values: object) -> str:
    """`messages[key]` (a French text marked N_ in a module's table of messages) in the active language,
    its named fields filled in."""
    translated = _(messages[key])
    return translated.format(**values) if values else translated


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it with `_()` where it is shown."""
    return message


def missing_translations() -> set[str]:
    """Messages asked for in a language whose catalogue lacks them, since the last `forget_missing()`."""
    return set(_missing)


def forget_missing() -> None:
    _missing.clear()
