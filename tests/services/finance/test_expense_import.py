"""Import of an accounting export: every row validated first, a row-by-row report, all rows or none."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, text
from sqlmodel import Session, select

from models.audit import AuditEvent
from models.finance import Expense, ExpenseImport
from services.finance import expense_import, expenses
from services.finance.expense_import import ImportRefused, RowError
from services.platform.errors import PermissionDenied, ValidationFailed
from tests.services import budget_world
from tests.services.budget_world import TODAY

# An export as a French accounting package writes it: Windows-1252, columns in its own order and case,
# a blank row (row 5), a credit note.
CP1252_EXPORT = "\r\n".join(
    [
        "N° de pièce;Date;CODE ANALYTIQUE;Libellé;Fournisseur;Montant",
        "FA-2026-0201;02/04/2026;AGR-AV-LYO-60;Fournitures maraude (café, thé);Métro Cash & Carry;1 234,56",
        "FA-2026-0202;15/04/2026;agr-av-gre-60;Tickets TAG pour accompagnements;Société d'économie mixte;89,90",
        "AV-2026-0007;16/04/2026;AGR-AV-LYO-60;Avoir fournitures;Métro Cash & Carry;-34,56",
        ";;;;;",
        "FA-2026-0203;30/04/2026;RAU-ISP-LYO-61;Location salle atelier « mobilité »;Maison des associations;2 500,00",
        "",
    ]
).encode("cp1252")
HEADER = "Date;Code analytique;Montant;Libellé;Fournisseur;N° de pièce"


@pytest.fixture
def world(session: Session) -> budget_world.BudgetWorld:
    return budget_world.build(session)


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Expense)).one(),
        session.exec(select(func.count()).select_from(ExpenseImport)).one(),
        session.exec(select(func.count()).select_from(AuditEvent)).one(),
    )


def csv_bytes(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def run_import(session, world, content: bytes, filename: str = "export.csv", **kwargs):
    return expense_import.import_expenses(
        session, world.gestion, filename=filename, content=content, today=TODAY, **kwargs
    )


def refused(session, world, content: bytes, filename: str = "export.csv") -> list[RowError]:
    before = counts(session)
    with pytest.raises(ImportRefused) as caught:
        run_import(session, world, content, filename)
    assert counts(session) == before, "nothing may be written when an import is refused"
    return caught.value.errors


# --- valid files ----------------------------------------------------------------------------------


def test_a_windows_1252_csv_with_columns_in_another_order_is_imported(session, world):
    before = counts(session)
    content = CP1252_EXPORT
    result = run_import(session, world, content, "export-compta-avril.csv")
    assert (result.row_count, result.total_cents) == (4, 378_990)
    assert [(line.accounting_code, line.row_count, line.total_cents) for line in result.lines] == [
        ("AGR-AV-GRE-60", 1, 8_990),
        ("AGR-AV-LYO-60", 2, 120_000),
        ("RAU-ISP-LYO-61", 1, 250_000),
    ]
    assert counts(session) == (before[0] + 4, before[1] + 1, before[2] + 1)
    batch = session.get(ExpenseImport, result.import_id)
    assert (batch.file_sha256, batch.row_count, batch.total_cents, batch.imported_by_id) == (
        hashlib.sha256(content).hexdigest(),
        4,
        378_990,
        world.gestion.user_id,
    )
    rows = session.exec(select(Expense).where(Expense.import_id == batch.id).order_by(Expense.spent_on)).all()
    assert [(r.spent_on, r.amount_cents, r.label, r.supplier, r.voucher_ref, r.site_id) for r in rows][:2] == [
        (
            date(2026, 4, 2),
            1_234_56,
            "Fournitures maraude (café, thé)",
            "Métro Cash & Carry",
            "FA-2026-0201",
            world.lyon.id,
        ),
        (
            date(2026, 4, 15),
            89_90,
            "Tickets TAG pour accompagnements",
            "Société d'économie mixte",
            "FA-2026-0202",
            world.grenoble.id,
        ),
    ]
    raw = session.exec(
        text("SELECT SUM(amount_cents) FROM expense WHERE import_id = :i"), params={"i": batch.id}
    ).one()[0]
    assert raw == result.total_cents
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.entity_type, event.entity_id) == ("expenses.imported", "expense_import", str(batch.id))
    listed = expenses.list_expenses(session, world.gestion, grant_id=world.agrasc.grant.id, month=date(2026, 4, 1))
    assert {r.source for r in listed.rows} == {expenses.Source.IMPORT} | {expenses.Source.MANUAL}


def test_a_utf8_csv_with_bom_and_an_xlsx_with_date_cells_are_imported(session, world):
    content = "\ufeff".encode() + csv_bytes("03/04/2026;AGR-AV-LYO-60;12;Café solidaire;;")
    assert run_import(session, world, content).total_cents == 12_00

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Code analytique", "Montant", "Libellé", "Fournisseur", "N° de pièce"])
    sheet.append([datetime(2026, 4, 7), "AGR-AV-GRE-60", 1234.56, "Titres de transport", "TAG", 10231])
    sheet.append([date(2026, 4, 8), "AGR-ISP-LYO-64", "3 900,00", "Salaire CIP avril", None, "PAIE-04"])
    sheet.append(["09/04/2026", "AGR-ISP-LYO-64", -100, "Régularisation", None, "PAIE-04B"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = run_import(session, world, buffer.getvalue(), "export.xlsx")
    assert (result.row_count, result.total_cents) == (3, 1_234_56 + 3_900_00 - 100_00)
    voucher = session.exec(
        select(Expense.voucher_ref).where(Expense.import_id == result.import_id, Expense.amount_cents == 1_234_56)
    ).one()
    assert voucher == "10231"


def test_progress_is_reported_while_validating_and_writing(session, world):
    rows = [f"{1 + i % 28:02d}/04/2026;AGR-AV-LYO-60;{i + 1},00;Achat {i};;P-{i}" for i in range(2_500)]
    calls: list[tuple[int, int]] = []
    run_import(session, world, csv_bytes(*rows), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5_000, 5_000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert any(done < 2_500 for done, _ in calls) and any(2_500 < done < 5_000 for done, _ in calls)


UNREADABLE_ENCODING = (
    "Encodage du fichier non reconnu : enregistrez-le en « CSV UTF-8 » ou en « CSV (séparateur : point-virgule) » "
    "Windows-1252 depuis votre logiciel comptable ou Excel."
)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_ten_thousand_rows_import_in_a_few_seconds(session, world, engine, kind):
    codes = ["AGR-AV-LYO-60", "AGR-AV-GRE-60", "AGR-ISP-LYO-64", "RAU-ISP-LYO-61"]
    rows = [
        f"{1 + i % 28:02d}/{1 + i % 4:02d}/2026;{codes[i % 4]};{i % 900 + 1} {i % 1000:03d},{i % 100:02d};"
        f"Dépense n° {i};Fournisseur {i % 37};PC-{i:06d}"
        for i in range(10_000)
    ]
    content = csv_bytes(*rows, encoding="cp1252")
    if kind == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(HEADER.split(";"))
        for i, row in enumerate(rows):
            cells = row.split(";")
            sheet.append([date(2026, 1 + i % 4, 1 + i % 28), cells[1], cells[2], *cells[3:]])
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    before = counts(session)[0]
    started = time.perf_counter()
    result = run_import(session, world, content, f"export.{kind}")
    elapsed = time.perf_counter() - started
    print(f"\n10 000-row {kind} import on {engine.dialect.name}: {elapsed:.2f} s")
    assert result.row_count == 10_000
    assert counts(session)[0] == before + 10_000
    raw = session.exec(
        text("SELECT COUNT(*), SUM(amount_cents) FROM expense WHERE import_id = :i"), params={"i": result.import_id}
    ).one()
    assert tuple(raw) == (10_000, result.total_cents)
    assert elapsed < 10, f"10 000 rows took {elapsed:.1f} s"


# --- refused files --------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_spreadsheet_row_and_column(session, world):
    errors = refused(
        session,
        world,
        csv_bytes(
            "02/04/2026;AGR-AV-LYO-60;10,00;Correct;;A-1",
            "31/02/2026;AGR-AV-LYO-60;10,00;Date impossible;;A-2",
            "2026/04/03;AGR-AV-LYO-60;10,00;Date à l'envers;;A-3",
            "03/04/2026;AGR-AV-LYO-60;10.50;Point décimal;;A-4",
            "03/04/2026;AGR-AV-LYO-60;dix euros;En lettres;;A-5",
            "03/04/2026;AGR-XX-LYO-60;10,00;Code inconnu;;A-6",
            "16/05/2026;AGR-AV-LYO-60;10,00;Demain;;A-7",
            "31/12/2025;AGR-AV-LYO-60;10,00;Avant la convention;;A-8",
            "03/04/2026;;0;;;A-9",
            "02/04/2026;agr-av-lyo-60;10,00;Doublon de la ligne 2;;A-1",
        ),
    )
    assert [(e.row, e.column, e.message) for e in errors] == [
        (3, "Date", "Date illisible « 31/02/2026 » (attendu jj/mm/aaaa, par exemple 31/01/2026)."),
        (4, "Date", "Date illisible « 2026/04/03 » (attendu jj/mm/aaaa, par exemple 31/01/2026)."),
        (5, "Montant", "Montant illisible « 10.50 » (attendu par exemple 1 234,56)."),
        (6, "Montant", "Montant illisible « dix euros » (attendu par exemple 1 234,56)."),
        (
            7,
            "Code analytique",
            "Code analytique « AGR-XX-LYO-60 » inconnu : il ne correspond à aucune ligne "
            "budgétaire (voir Financements).",
        ),
        (8, "Date", "La date est dans le futur."),
        (9, "Date", "Date hors de la période du financement (du 01/01/2026 au 30/06/2027)."),
        (10, "Code analytique", "Le code analytique est obligatoire."),
        (10, "Montant", "Le montant ne peut pas être nul."),
        (10, "Libellé", "Le libellé est obligatoire."),
        (11, None, "Ligne en double : identique à la ligne 2 (même code, date, montant et n° de pièce)."),
    ]


def test_a_row_already_in_the_database_is_refused(session, world):
    run_import(session, world, csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;;A-1"))
    errors = refused(
        session,
        world,
        csv_bytes(
            "02/04/2026;AGR-AV-LYO-60;10,00;Même achat, autre export;;A-1",
            "02/04/2026;AGR-AV-LYO-60;10,00;Autre pièce;;A-2",
        ),
    )
    assert [(e.row, e.message) for e in errors] == [
        (2, "Dépense déjà enregistrée dans Parcours (même ligne, date, montant et n° de pièce).")
    ]


def test_a_voucher_number_in_another_case_or_spacing_is_the_same_voucher(session, world):
    run_import(session, world, csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;;FA-0012"))
    errors = refused(session, world, csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;; fa-0012 "))
    assert [(e.row, e.message) for e in errors] == [
        (2, "Dépense déjà enregistrée dans Parcours (même ligne, date, montant et n° de pièce).")
    ]
    errors = refused(
        session,
        world,
        csv_bytes("03/04/2026;AGR-AV-LYO-60;5,00;Achat;;B-7", "03/04/2026;AGR-AV-LYO-60;5,00;Achat;;b-7"),
    )
    assert [e.row for e in errors] == [3]  # twice in the same file


def test_the_same_file_twice_is_refused_with_when_and_by_whom(session, world):
    content = csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;;A-1")
    run_import(session, world, content)
    [error] = refused(session, world, content, "copie.csv")
    assert error.row is None
    assert error.message.startswith("Ce fichier a déjà été importé le ")
    assert error.message.endswith(" par Agent gestion.")


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "vide.csv", "Le fichier est vide."),
        (b"\r\n  \r\n", "vide.csv", "Le fichier est vide."),
        (
            HEADER.encode() + b"\r\n;;;;;\r\n",
            "entete.csv",
            "Le fichier ne contient aucune ligne de dépense sous l'en-tête.",
        ),
        (
            csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;;A-1", encoding="utf-16"),
            "utf16.csv",
            UNREADABLE_ENCODING,
        ),
        (
            csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;;A-1", encoding="utf-16-le"),
            "utf16.csv",
            UNREADABLE_ENCODING,
        ),
        (
            b"Date;Montant\x81\x8d;Libell\xe9\r\n",
            "ansi.csv",
            UNREADABLE_ENCODING,
        ),
        (
            b"\x89PNG\r\n\x1a\n\x01\x02\x03",
            "photo.csv",
            "Ce fichier n'est pas un fichier texte CSV ni un classeur XLSX.",
        ),
        (
            b"Date,Code analytique,Montant,Libell\xc3\xa9\r\n02/04/2026,AGR-AV-LYO-60,10,Achat\r\n",
            "virgules.csv",
            "Le séparateur de colonnes attendu est le point-virgule (« ; »), comme dans l'export CSV français d'Excel.",
        ),
        (
            b"PK\x03\x04 not really a workbook",
            "export.xlsx",
            "Classeur Excel illisible : enregistrez-le à nouveau au format .xlsx.",
        ),
        (
            b"\xd0\xcf\x11\xe0 old excel",
            "export.xls",
            "Le format Excel 97-2003 (.xls) n'est pas lu : enregistrez le classeur en .xlsx ou en CSV.",
        ),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(session, world, content, filename, message):
    assert [(e.row, e.message) for e in refused(session, world, content, filename)] == [(None, message)]


def test_missing_columns_are_named(session, world):
    errors = refused(session, world, b"Date;Montant;Fournisseur\r\n02/04/2026;10,00;X\r\n")
    assert [(e.row, e.column, e.message) for e in errors] == [
        (1, "Code analytique", "Colonne « Code analytique » absente de l'en-tête."),
        (1, "Libellé", "Colonne « Libellé » absente de l'en-tête."),
    ]


def test_a_bad_row_among_ten_thousand_writes_nothing(session, world):
    rows = [f"{1 + i % 28:02d}/04/2026;AGR-AV-LYO-60;{i + 1},00;Achat {i};;P-{i}" for i in range(10_000)]
    rows[9_998] = "29/02/2026;AGR-AV-LYO-60;1,00;Date impossible;;P-X"
    errors = refused(session, world, csv_bytes(*rows))
    assert [(e.row, e.column) for e in errors] == [(10_000, "Date")]


def test_only_gestion_imports(session, world):
    content = csv_bytes("02/04/2026;AGR-AV-LYO-60;10,00;Achat;;A-1")
    for principal in (world.direction, world.chef_lyon, world.financeur_agrasc):
        with pytest.raises(PermissionDenied):
            expense_import.import_expenses(session, principal, filename="x.csv", content=content, today=TODAY)


def test_an_import_without_a_file_asks_for_one(session, world):
    before = counts(session)
    with pytest.raises(ValidationFailed) as caught:
        expense_import.import_expenses(session, world.gestion, filename=None, content=None, today=TODAY)
    assert caught.value.errors == {"content": "Choisissez un fichier CSV ou XLSX."}
    assert counts(session) == before


def test_the_example_file_offered_for_download_is_readable():
    parsed = expense_import.parse_accounting_file("exemple.csv", expense_import.example_csv())
    assert parsed.errors == []
    assert [(r.row, r.code, r.amount_cents, r.voucher_ref) for r in parsed.rows] == [
        (2, "AGR-AV-LYO-60", 1_234_56, "FA-2026-0012"),
        (3, "AGR-AV-LYO-62", -45_00, "AV-2026-0003"),
    ]


def test_xlsx_cells_are_checked_like_csv_text(session, world):
    book = Workbook()
    sheet = book.active
    sheet.append(["Export comptable avril 2026"])  # a title where the header should be: columns reported missing
    buffer = io.BytesIO()
    book.save(buffer)
    assert [e.column for e in refused(session, world, buffer.getvalue(), "titre.xlsx")] == [
        "Date",
        "Code analytique",
        "Montant",
        "Libellé",
    ]

    book = Workbook()
    sheet = book.active
    sheet.append(["date", "CODE  analytique", "montant", "LIBELLE"])
    sheet.append([46_000, "AGR-AV-LYO-60", 12.345, "Nombre au lieu d'une date, trois décimales"])
    sheet.append([datetime(2026, 4, 2), "AGR-AV-LYO-60", True, "Case à cocher"])
    buffer = io.BytesIO()
    book.save(buffer)
    errors = refused(session, world, buffer.getvalue(), "export.xlsx")
    assert [(e.row, e.column, e.message) for e in errors] == [
        (2, "Date", "Date illisible « 46000 » (attendu jj/mm/aaaa, par exemple 31/01/2026)."),
        (2, "Montant", "Montant « 12.345 » : pas plus de deux décimales."),
        (3, "Montant", "Montant illisible."),
    ]
