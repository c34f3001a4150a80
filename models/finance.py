"""Funders, grants, strands, budget lines and expenses. Money is integer cents."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from i18n import N_
from models.base import Timestamped, Versioned, national_or_site_fk
from models.types import UtcDateTime, enum_type


class FunderKind(StrEnum):
    AGRASC = "agrasc"
    STATE = "state"  # DDETS, DIHAL…
    REGION = "region"
    DEPARTMENT = "department"
    CITY = "city"
    FOUNDATION = "foundation"
    OTHER = "other"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.AGRASC: N_("AGRASC (fonds de concours)"),
            cls.STATE: N_("État"),
            cls.REGION: N_("Région"),
            cls.DEPARTMENT: N_("Département"),
            cls.CITY: N_("Ville / métropole"),
            cls.FOUNDATION: N_("Fondation"),
            cls.OTHER: N_("Autre"),
        }


class BudgetCategory(StrEnum):
    """Cerfa 15059 cost categories."""

    PURCHASES = "60"  # 60 achats
    EXTERNAL_SERVICES = "61"  # 61 services extérieurs
    OTHER_EXTERNAL_SERVICES = "62"  # 62 autres services extérieurs
    TAXES = "63"  # 63 impôts et taxes
    STAFF = "64"  # 64 charges de personnel
    MANAGEMENT = "65"  # 65 autres charges de gestion courante
    FINANCIAL = "66"  # 66 charges financières
    EXCEPTIONAL = "67"  # 67 charges exceptionnelles
    DEPRECIATION = "68"  # 68 dotation aux amortissements (migration 0020 turned the old merged "65-68" into 65)
    INDIRECT = "indirect"  # frais indirects

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.PURCHASES: N_("60 – Achats"),
            cls.EXTERNAL_SERVICES: N_("61 – Services extérieurs"),
            cls.OTHER_EXTERNAL_SERVICES: N_("62 – Autres services extérieurs"),
            cls.TAXES: N_("63 – Impôts et taxes"),
            cls.STAFF: N_("64 – Charges de personnel"),
            cls.MANAGEMENT: N_("65 – Autres charges de gestion courante"),
            cls.FINANCIAL: N_("66 – Charges financières"),
            cls.EXCEPTIONAL: N_("67 – Charges exceptionnelles"),
            cls.DEPRECIATION: N_("68 – Dotation aux amortissements"),
            cls.INDIRECT: N_("Frais indirects"),
        }


class ResourceAccount(StrEnum):
    """Cerfa 15059 produits (70 to 78) and contributions volontaires en nature (86 uses, 87 contributions).

    The grant's own subsidy is not stored: the report writes it under 74 from the grant's amount and funder.
    """

    SALES = "70"
    ALLOCATIONS = "73"
    SUBSIDY = "74"  # another funder's subsidy to the action: funder_id says which (its kind gives the 74 row)
    OTHER_MANAGEMENT = "75"
    MEMBERSHIP = "756"
    DONATIONS = "758"
    FINANCIAL = "76"
    EXCEPTIONAL = "77"
    PROVISIONS = "78"
    IN_KIND_RELIEF = "860"
    IN_KIND_PROVISION = "861"
    IN_KIND_SERVICES = "862"
    IN_KIND_VOLUNTEERS = "864"
    VOLUNTEERING = "870"
    SERVICES_IN_KIND = "871"
    DONATIONS_IN_KIND = "875"

    @classmethod
    def labels(cls) -> dict:
        """The French label of each member (marked N_), translated where shown (models.labels.label)."""
        return {
            cls.SALES: N_("70 – Ventes de produits finis, prestations de services, marchandises"),
            cls.ALLOCATIONS: N_("73 – Dotations et produits de tarification"),
            cls.SUBSIDY: N_("74 – Subvention d'un autre financeur"),
            cls.OTHER_MANAGEMENT: N_("75 – Autres produits de gestion courante"),
            cls.MEMBERSHIP: N_("756 – Cotisations"),
            cls.DONATIONS: N_("758 – Dons manuels, mécénat"),
            cls.FINANCIAL: N_("76 – Produits financiers"),
            cls.EXCEPTIONAL: N_("77 – Produits exceptionnels"),
            cls.PROVISIONS: N_("78 – Reprises sur amortissements et provisions"),
            cls.IN_KIND_RELIEF: N_("860 – Secours en nature"),
            cls.IN_KIND_PROVISION: N_("861 – Mise à disposition gratuite de biens et services"),
            cls.IN_KIND_SERVICES: N_("862 – Prestations"),
            cls.IN_KIND_VOLUNTEERS: N_("864 – Personnel bénévole"),
            cls.VOLUNTEERING: N_("870 – Bénévolat"),
            cls.SERVICES_IN_KIND: N_("871 – Prestations en nature"),
            cls.DONATIONS_IN_KIND: N_("875 – Dons en nature"),
        }


class Funder(Timestamped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160, unique=True, nullable=False)
    kind: FunderKind = Field(sa_type=enum_type(FunderKind), nullable=False)


class Grant(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    funder_id: int = Field(foreign_key="funder.id", index=True, nullable=False)
    name: str = Field(max_length=200, nullable=False)
    convention_ref: str = Field(max_length=80, unique=True, nullable=False)
    amount_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    starts_on: date = Field(nullable=False)
    ends_on: date = Field(nullable=False)
    # Tolerated shift between budget lines, in basis points (1000 = 10 %).
    tolerance_bp: int = Field(default=1000, nullable=False)
    indirect_rate_bp: int = Field(default=0, nullable=False)


class GrantSite(SQLModel, table=True):
    __tablename__ = "grant_site"

    grant_id: int = Field(foreign_key="grant.id", primary_key=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="site.id", primary_key=True, index=True)


class Strand(Timestamped, table=True):
    """A volet of a grant, e.g. "Aller-vers" or "Insertion socio-professionnelle"."""

    __table_args__ = (sa.UniqueConstraint("grant_id", "name", name="uq_strand_grant_name"),)

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    name: str = Field(max_length=120, nullable=False)


class BudgetLine(Versioned, table=True):
    __tablename__ = "budget_line"
    __table_args__ = (
        sa.UniqueConstraint("grant_id", "strand_id", "site_id", "category", name="uq_budget_line"),
        # NULL never equals NULL in a unique constraint: the national lines (no site) get their own.
        sa.Index(
            "uq_budget_line_national",
            "grant_id",
            "strand_id",
            "category",
            unique=True,
            sqlite_where=sa.text("site_id IS NULL"),
            postgresql_where=sa.text("site_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    strand_id: int = Field(foreign_key="strand.id", nullable=False)
    site_id: int | None = national_or_site_fk()  # None: national
    category: BudgetCategory = Field(sa_type=enum_type(BudgetCategory), nullable=False)
    planned_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    # Analytic code of the accounting export that maps expenses to this line.
    accounting_code: str | None = Field(default=None, max_length=40, index=True)


class ExpenseImport(Timestamped, table=True):
    """One imported accounting file; its hash refuses a second import of the same file."""

    __tablename__ = "expense_import"

    id: int | None = Field(default=None, primary_key=True)
    file_sha256: str = Field(max_length=64, unique=True, nullable=False)
    filename: str = Field(max_length=255, nullable=False)
    imported_at: datetime = Field(sa_type=UtcDateTime, nullable=False)
    imported_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    row_count: int = Field(nullable=False)
    total_cents: int = Field(sa_type=sa.BigInteger, nullable=False)


class Expense(Versioned, table=True):
    __table_args__ = (
        # Covering (amount included): per-grant and per-line sums read the index only, never the rows.
        sa.Index("ix_expense_grant_date_amount", "grant_id", "spent_on", "amount_cents"),
        sa.Index("ix_expense_line_date_amount", "budget_line_id", "spent_on", "amount_cents"),
        # A post's salary is charged once per line and month (NULL post_id rows never collide).
        sa.UniqueConstraint("post_id", "budget_line_id", "spent_on", name="uq_expense_post_charge"),
    )

    id: int | None = Field(default=None, primary_key=True)
    budget_line_id: int = Field(foreign_key="budget_line.id", nullable=False)
    grant_id: int = Field(foreign_key="grant.id", nullable=False)  # denormalised for per-grant sums
    site_id: int | None = national_or_site_fk()  # None: national
    spent_on: date = Field(nullable=False)
    amount_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    label: str = Field(max_length=200, nullable=False)
    supplier: str | None = Field(default=None, max_length=160)
    voucher_ref: str | None = Field(default=None, max_length=80)
    import_id: int | None = Field(default=None, foreign_key="expense_import.id", index=True)
    # Set on the staff cost charged from a post (services.finance.staffing.charges), None for other expenses.
    post_id: int | None = Field(default=None, foreign_key="post.id")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class BudgetRevision(Timestamped, table=True):
    """A dated transfer of planned money from one line of a grant to another (a saved what-if)."""

    __tablename__ = "budget_revision"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    from_line_id: int = Field(foreign_key="budget_line.id", nullable=False)
    to_line_id: int = Field(foreign_key="budget_line.id", nullable=False)
    amount_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    revised_on: date = Field(nullable=False)
    reason: str = Field(max_length=300, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class DeviationNote(Versioned, table=True):
    """gestion's explanation of a category's deviation beyond tolerance, printed in the financial report."""

    __tablename__ = "budget_deviation_note"
    __table_args__ = (sa.UniqueConstraint("grant_id", "category", name="uq_budget_deviation_note"),)

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", nullable=False)
    category: BudgetCategory = Field(sa_type=enum_type(BudgetCategory), nullable=False)
    explanation: str = Field(max_length=1000, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class GrantResource(Timestamped, table=True):
    """A produit of the action other than the grant's own subsidy, or a contribution volontaire en nature,
    for the Cerfa 15059 compte rendu: planned and actual amounts for the whole convention (gestion enters them).
    `detail` names the ministry and programme of a State subsidy, or what a contribution is."""

    __tablename__ = "grant_resource"

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="grant.id", index=True, nullable=False)
    account: ResourceAccount = Field(sa_type=enum_type(ResourceAccount), nullable=False)
    funder_id: int | None = Field(default=None, foreign_key="funder.id")
    detail: str | None = Field(default=None, max_length=200)
    planned_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    actual_cents: int = Field(sa_type=sa.BigInteger, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
