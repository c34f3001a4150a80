"""Financements and Dépenses pages: what each role sees and may do."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from types import MappingProxyType

from sqlalchemy import text
from sqlmodel import select

from i18n.formats import amount, euros
from models.audit import AuditEvent
from models.finance import BudgetLine, Expense, Grant
from models.organisation import Role
from services.finance import lines as budget_lines
from services.platform.db import unit_of_work
from services.platform.pages import PageKey
from services.platform.sites import NATIONAL_SITE
from tests.pages.conftest import (
    button,
    error_after,
    open_every_section,
    open_page,
    open_sections,
    principal_of,
    signed_in_app,
    text_input,
    texts,
    unique,
)
from ui.finance import grant_forms

ENTRY_BUTTON = "Enregistrer la dépense"
GRANT_SECTIONS = (grant_forms.NEW_GRANT_SECTION, grant_forms.NEW_FUNDER_SECTION)


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def _line_select(at):
    [select_box] = [s for s in at.selectbox if s.label == "Ligne budgétaire"]
    return select_box


def _choose_line(at, code: str) -> None:
    select_box = _line_select(at)
    [index] = [i for i, option in enumerate(select_box.options) if option.startswith(f"{code} ·")]
    select_box.select_index(index)


def test_gestion_records_an_expense_through_the_form(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.EXPENSES)
    assert not at.exception, at.exception
    label = unique("Test saisie ")
    _choose_line(at, "AGR-AV-LYO-60")
    text_input(at, "Montant (€)").input("-12,34")
    text_input(at, "Libellé").input(label)
    text_input(at, "N° de pièce").input(unique("AV-"))
    at = _button(at, ENTRY_BUTTON).click().run()
    assert not at.exception, at.exception
    try:
        with app_engine.connect() as connection:
            row = connection.execute(
                select(Expense.amount_cents, BudgetLine.accounting_code, Expense.import_id)
                .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
                .where(Expense.label == label)
            ).one()
            audited = connection.execute(select(AuditEvent.id).where(AuditEvent.action == "expense.recorded")).first()
        assert tuple(row) == (-12_34, "AGR-AV-LYO-60", None)
        assert audited is not None
        # a fresh, empty form after the success
        assert text_input(at, "Libellé").value == ""
    finally:
        with app_engine.begin() as connection:
            connection.execute(text("DELETE FROM expense WHERE label = :label"), {"label": label})


def test_a_bad_amount_keeps_the_typed_values_and_shows_the_message_by_the_field(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.EXPENSES)
    label = unique("Test montant ")
    _choose_line(at, "AGR-AV-GRE-60")
    text_input(at, "Montant (€)").input("12.50")
    text_input(at, "Libellé").input(label)
    text_input(at, "Fournisseur").input("Papeterie Dauphinoise")
    at = _button(at, ENTRY_BUTTON).click().run()
    assert not at.exception, at.exception
    amount = text_input(at, "Montant (€)")
    assert error_after(at, amount) == "Montant illisible « 12.50 » (attendu par exemple 1 234,56)."
    assert (amount.value, text_input(at, "Libellé").value, text_input(at, "Fournisseur").value) == (
        "12.50",
        label,
        "Papeterie Dauphinoise",
    )
    assert _line_select(at).value is not None
    with app_engine.connect() as connection:
        assert connection.execute(select(Expense.id).where(Expense.label == label)).first() is None


def test_a_deletion_asks_for_its_confirmation_and_its_form_is_drawn_once_opened(app_engine, demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.EXPENSES)
    assert "Supprimer une dépense saisie à la main" in [e.label for e in at.expander]
    assert not [c for c in at.checkbox if c.label == "Je confirme la suppression"]  # folded: drawn once opened
    at = open_every_section(at)
    target = next(box for box in at.selectbox if box.label == "Dépense").value
    at = _button(at, "Supprimer").click().run()
    assert not at.exception, at.exception
    [confirm] = [c for c in at.checkbox if c.label == "Je confirme la suppression"]
    assert error_after(at, confirm) == "Cochez la confirmation pour supprimer."
    with app_engine.connect() as connection:
        assert connection.execute(select(Expense.id).where(Expense.id == target.id)).first() is not None


def test_direction_reads_the_expenses_without_any_form(demo_database):
    at = open_page(signed_in_app("direction"), PageKey.EXPENSES)
    assert not at.exception, at.exception
    labels = [b.label for b in at.button]
    assert ENTRY_BUTTON not in labels and "Importer" not in labels and "Supprimer" not in labels
    assert not [s for s in at.selectbox if s.label == "Ligne budgétaire"]
    table = at.dataframe[0].value
    # A page of at most 50 (fewer early in the year, when the demo's calendar-year grants have few expenses).
    assert 1 <= len(table) <= 50 and {"Montant", "Libellé", "N° de pièce"} <= set(table.columns)
    assert not at.get("file_uploader")


def _lines_in_sql(app_engine, convention_ref: str) -> int:
    """The budget lines of a grant, counted in SQL."""
    query = 'SELECT count(*) FROM budget_line l JOIN "grant" g ON g.id = l.grant_id WHERE g.convention_ref = :ref'
    with app_engine.connect() as connection:
        return connection.execute(text(query), {"ref": convention_ref}).scalar_one()


def test_the_line_filter_offers_the_lines_of_the_chosen_grant_only(app_engine, demo_database):
    """Direction reads the chosen grant's lines only (no entry form, so not every line of the association)."""
    for username in ("direction", "gestion"):  # the roles of Dépenses, both association-wide
        at = open_page(signed_in_app(username), PageKey.EXPENSES)
        assert not at.exception, at.exception
        [grants] = [s for s in at.selectbox if s.label == "Financement"]
        offered = [option.split(" — ")[0] for option in grants.options]
        for convention_ref in (offered[0], offered[-1]):
            with app_engine.connect() as connection:
                grant_id = connection.execute(
                    text('SELECT id FROM "grant" WHERE convention_ref = :ref'), {"ref": convention_ref}
                ).scalar_one()
            at = signed_in_app(username)
            at.session_state["expenses_grant"] = grant_id  # AppTest cannot re-run a page whose selectbox holds None
            at = open_page(at, PageKey.EXPENSES)
            assert not at.exception, at.exception
            [lines] = [s for s in at.selectbox if s.label == "Ligne"]
            assert lines.options[0] == "Toutes les lignes"
            assert len(lines.options) - 1 == _lines_in_sql(app_engine, convention_ref), (username, convention_ref)
            assert all(option.endswith(f"— {convention_ref}") for option in lines.options[1:]), lines.options[:3]
        assert offered[0] != offered[-1], (username, offered)


def test_direction_reads_the_grants_without_any_form(demo_database):
    at = open_page(signed_in_app("direction"), PageKey.GRANTS)
    assert not at.exception, at.exception
    at = open_sections(at, *GRANT_SECTIONS)  # a role that may create would see the forms now
    labels = [b.label for b in at.button]
    assert "Créer le financement" not in labels and "Enregistrer les lignes" not in labels
    assert "Ajouter le financeur" not in labels
    assert not at.get("arrow_data_editor")
    # every convention of the demo (seed/funding.py): AGRASC, 3 regions, SDFE, 4 DDETS/DRIETS, 4 departments,
    # 2 cities, 2 FIPD, the foundation
    assert len(at.dataframe[0].value) == 18


def test_chef_de_service_sees_only_lyon_lines_on_financements(app_engine, demo_database):
    at = open_page(signed_in_app("chef.lyon"), PageKey.GRANTS)
    assert not at.exception, at.exception
    with app_engine.connect() as connection:
        lyon_grants = connection.execute(
            text(
                'SELECT DISTINCT g.id, g.convention_ref FROM "grant" g JOIN budget_line l ON l.grant_id = g.id '
                "JOIN site s ON s.id = l.site_id WHERE s.code = 'LYO'"
            )
        ).all()
    assert sorted(at.dataframe[0].value["Convention"]) == sorted(ref for _, ref in lyon_grants)
    # AGRASC, Région, DDETS du Rhône, Métropole, FIPD (the foundation: MRS, PAR; the SDFE national subsidy has
    # national lines only, which no site's chef_service sees)
    assert len(lyon_grants) == 5
    [chooser] = [s for s in at.selectbox if s.label == "Financement"]
    for grant_id, _ in lyon_grants:
        at = chooser.set_value(grant_id).run()
        assert not at.exception, at.exception
        [chooser] = [s for s in at.selectbox if s.label == "Financement"]
        lines = at.dataframe[1].value
        assert set(lines["Site"]) == {"LYO"}
        assert all(code.split("-")[2] == "LYO" for code in lines["Code analytique"])
    assert "Enregistrer les lignes" not in [b.label for b in at.button]


def test_gestion_sees_the_lines_editor_with_its_running_total(demo_database):
    at = open_page(signed_in_app("gestion"), PageKey.GRANTS)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total des lignes"] == metrics["Montant de la convention"]
    assert metrics["Reste à répartir"].startswith("0,00")
    assert "Enregistrer les lignes" in [b.label for b in at.button]
    folded = [b.label for b in at.button]
    assert "Créer le financement" not in folded and "Ajouter le financeur" not in folded  # drawn once opened
    at = open_sections(at, *GRANT_SECTIONS)
    assert {"Créer le financement", "Ajouter le financeur"} <= {b.label for b in at.button}
    assert not list(texts(at.error))


# --- the lines editor over a colleague's save: merged line by line, never overwritten ----------------------

CONFLICT = "Cet enregistrement a été modifié par quelqu'un d'autre pendant votre saisie : rien n'est encore enregistré."


def _stored_lines(app_engine, grant_id: int) -> dict[str, int]:
    """The grant's planned amounts by analytic code, read with SQL."""
    with app_engine.connect() as connection:
        rows = connection.execute(
            select(BudgetLine.accounting_code, BudgetLine.planned_cents).where(BudgetLine.grant_id == grant_id)
        ).all()
    return dict(rows)


def _grant_version(app_engine, grant_id: int) -> int:
    with app_engine.connect() as connection:
        return connection.execute(select(Grant.version).where(Grant.id == grant_id)).scalar_one()


def _save_lines(
    app_engine,
    username: str,
    grant_id: int,
    planned: dict[str, int],
    national: Mapping[str, tuple[str, int]] = MappingProxyType({}),
) -> None:
    """A save of the table through the service, as `username`: the lines of `planned`'s codes with these
    amounts (the others left out), and national lines `national[code] = (like, cents)` of the strand and
    category of the line `like`."""
    principal = principal_of(app_engine, username)
    with unit_of_work(app_engine) as session:
        rows = {r.accounting_code: r for r in budget_lines.budget_lines(session, principal, grant_id)}
        lines = [
            {
                "strand_id": rows[code].strand_id,
                "site_id": NATIONAL_SITE if rows[code].site_id is None else rows[code].site_id,
                "category": rows[code].category,
                "planned": amount(cents),
                "accounting_code": code,
            }
            for code, cents in planned.items()
        ]
        lines += [
            {
                "strand_id": rows[like].strand_id,
                "site_id": NATIONAL_SITE,
                "category": rows[like].category,
                "planned": amount(cents),
                "accounting_code": code,
            }
            for code, (like, cents) in national.items()
        ]
        budget_lines.save_budget_lines(
            session, principal, grant_id=grant_id, lines=lines, expected_version=_grant_version(app_engine, grant_id)
        )


@contextmanager
def _lines_editor_open(app_engine):
    """Gestion on Financements with the first grant's lines editor open; the grant's amounts put back after."""
    at = open_page(signed_in_app("gestion"), PageKey.GRANTS)
    assert not at.exception, at.exception
    [chooser] = [s for s in at.selectbox if s.label == "Financement"]
    grant_id = chooser.value
    before = _stored_lines(app_engine, grant_id)
    try:
        yield at, grant_id, before
    finally:
        _save_lines(app_engine, "gestion", grant_id, before)


def _four_lines(at, before: dict[str, int], *, spread: bool = False) -> list[str]:
    """Codes of four lines of the editor with at least 1 000 € planned, in the editor's order: the first
    four, or (spread) the first two and the last two."""
    codes = [code for code in at.data_editor[0].value["code"] if before[code] >= 1_000_00]
    assert len(codes) >= 4, codes
    return [*codes[:2], *codes[-2:]] if spread else codes[:4]


def _type_amounts(at, planned: dict[str, int]) -> None:
    """The user types these amounts in the editor, on the rows of these codes (edits by row position)."""
    [editor] = at.data_editor
    position = {code: index for index, code in enumerate(editor.value["code"])}
    at.session_state[editor.key] = {
        "edited_rows": {position[code]: {"planned": amount(cents)} for code, cents in planned.items()},
        "added_rows": [],
        "deleted_rows": [],
    }


def test_lines_saved_by_a_colleague_meanwhile_are_kept_beside_the_users_own(app_engine, new_account):
    colleague = new_account(Role.GESTION, display_name="Inès Colleague")
    national = unique("TEST-NAT-")
    with _lines_editor_open(app_engine) as (at, grant_id, before):
        a, _, c, d = _four_lines(at, before, spread=True)
        version = _grant_version(app_engine, grant_id)
        # The colleague moves 100 € from A to a new national line (drawn among the lines before C and D: the
        # rows of the editor would shift); meanwhile the user moves 50 € from C to D in the editor.
        _save_lines(app_engine, colleague.username, grant_id, before | {a: before[a] - 100_00}, {national: (a, 100_00)})
        _type_amounts(at, {c: before[c] - 50_00, d: before[d] + 50_00})
        at = button(at, "Enregistrer les lignes").click().run()
        assert not at.exception, at.exception
        assert not at.error, texts(at.error)
        assert _stored_lines(app_engine, grant_id) == before | {
            a: before[a] - 100_00,
            national: 100_00,
            c: before[c] - 50_00,
            d: before[d] + 50_00,
        }
        assert _grant_version(app_engine, grant_id) == version + 2
        [note] = [t for t in texts(at.info) if "ont été conservées" in t]
        assert note.startswith("Les modifications de Inès Colleague dans « ")
        assert " : prévu », « Ligne " in note and "· National (aucun site) ·" in note
        # the editor is drawn again from the lines as saved (a new widget: no edit left on any row)
        [editor] = at.data_editor
        shown = dict(zip(editor.value["code"], editor.value["planned"], strict=True))
        assert [shown[code] for code in (a, national, c, d)] == [
            amount(before[a] - 100_00),
            amount(100_00),
            amount(before[c] - 50_00),
            amount(before[d] + 50_00),
        ]
        assert not at.session_state[editor.key]["edited_rows"]


def test_a_line_both_changed_shows_both_amounts_and_saves_nothing_before_the_choice(app_engine, new_account):
    colleague = new_account(Role.GESTION, display_name="Inès Colleague")
    with _lines_editor_open(app_engine) as (at, grant_id, before):
        a, b, *_ = _four_lines(at, before)
        # The colleague moves 100 € from A to B; the user moves 300 € from A to B.
        _save_lines(app_engine, colleague.username, grant_id, before | {a: before[a] - 100_00, b: before[b] + 100_00})
        theirs = _stored_lines(app_engine, grant_id)
        version = _grant_version(app_engine, grant_id)
        _type_amounts(at, {a: before[a] - 300_00, b: before[b] + 300_00})
        at = button(at, "Enregistrer les lignes").click().run()
        assert not at.exception, at.exception
        assert any(e.startswith(CONFLICT) for e in texts(at.error)), texts(at.error)
        assert _stored_lines(app_engine, grant_id) == theirs  # nothing saved
        assert _grant_version(app_engine, grant_id) == version
        shown = texts(at.text)
        for cents in (before[a] - 300_00, before[a] - 100_00, before[b] + 300_00, before[b] + 100_00):
            assert euros(cents) in shown  # the user's amount and the colleague's, for both lines
        choices = [r for r in at.radio if r.label.endswith(" : prévu : quelle saisie garder ?")]
        assert len(choices) == 2
        assert button(at, "Enregistrer avec ces choix").disabled

        # Mine for A, theirs for B: the lines no longer add up to the grant, refused as ever, nothing saved.
        choices[0].set_value("mine")
        at = choices[1].set_value("theirs").run()
        at = button(at, "Enregistrer avec ces choix").click().run()
        assert not at.exception, at.exception
        assert any(e.startswith("La somme des lignes") for e in texts(at.error)), texts(at.error)
        assert _stored_lines(app_engine, grant_id) == theirs

        [_, theirs_for_b] = [r for r in at.radio if r.label.endswith(" : prévu : quelle saisie garder ?")]
        at = theirs_for_b.set_value("mine").run()
        at = button(at, "Enregistrer avec ces choix").click().run()
        assert not at.exception, at.exception
        assert not at.error, texts(at.error)
        assert _stored_lines(app_engine, grant_id) == before | {a: before[a] - 300_00, b: before[b] + 300_00}
        assert _grant_version(app_engine, grant_id) == version + 1


def test_an_editor_nothing_was_typed_in_shows_the_lines_a_colleague_saved_since(app_engine, new_account):
    colleague = new_account(Role.GESTION, display_name="Inès Colleague")
    with _lines_editor_open(app_engine) as (at, grant_id, before):
        a, b, *_ = _four_lines(at, before)
        _save_lines(app_engine, colleague.username, grant_id, before | {a: before[a] - 100_00, b: before[b] + 100_00})
        at = at.run()  # any click on the page
        assert not at.exception, at.exception
        [editor] = at.data_editor
        shown = dict(zip(editor.value["code"], editor.value["planned"], strict=True))
        assert (shown[a], shown[b]) == (amount(before[a] - 100_00), amount(before[b] + 100_00))


def test_a_line_typed_wrong_is_reported_by_its_row_number_and_nothing_is_saved(app_engine):
    with _lines_editor_open(app_engine) as (at, grant_id, before):
        [editor] = at.data_editor
        at.session_state[editor.key] = {"edited_rows": {2: {"planned": "12.50"}}, "added_rows": [], "deleted_rows": []}
        at = button(at, "Enregistrer les lignes").click().run()
        assert not at.exception, at.exception
        assert "Ligne 3 : montant illisible « 12.50 » (attendu par exemple 1 234,56)." in texts(at.error)
        assert _stored_lines(app_engine, grant_id) == before
