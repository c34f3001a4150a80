"""French wording and tables of the budget follow-up: alerts, consumption tables (exact cents → text)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pandas as pd

from models.labels import label
from services.budget_consumption import GrantConsumptionReport, LineConsumption, Subtotal
from services.forecast import Alert, AlertKind, GrantForecast
from ui.format import day, euros, percent


def share(value: Decimal | None) -> str:
    return "—" if value is None else percent(float(value), 1)


def tolerance(bp: int) -> str:
    return percent(bp / 10_000, 0 if bp % 100 == 0 else 1)


def alert_message(alert: Alert, tolerance_bp: int) -> str:
    if alert.kind == AlertKind.LINE_OVERRUN:
        return (f"Ligne « {alert.line_label} » : la prévision en fin de convention ({euros(alert.projected_cents)}) "
                f"dépasse le montant prévu ({euros(alert.planned_cents)}) de {euros(alert.amount_cents)}, "
                f"au-delà de la tolérance de {tolerance(tolerance_bp)} prévue par la convention. "
                "Une révision budgétaire ou un accord du financeur peut être nécessaire.")
    if alert.kind == AlertKind.UNDER_CONSUMPTION:
        return (f"Sous-consommation prévue : {euros(alert.projected_cents)} dépensés en fin de convention pour "
                f"{euros(alert.planned_cents)} accordés, soit {euros(alert.amount_cents)} non consommés — au-delà "
                f"de la tolérance de {tolerance(tolerance_bp)}. Cette somme pourrait devoir être reversée au financeur.")
    post = alert.post
    return (f"Poste vacant depuis {post.days} jours : {label(post.post_type)} à {post.site_code} "
            f"(depuis le {day(post.vacant_since)}). Son financement n'est pas consommé tant qu'il n'est pas pourvu.")


def _row(name: str, planned: int, actual: int, projected: int | None) -> dict:
    row = {name: None, "Prévu": euros(planned), "Réalisé à date": euros(actual),
           "Consommé": share(None if planned == 0 else Decimal(actual) / Decimal(planned)),
           "Reste": euros(planned - actual)}
    if projected is not None:
        row["Prévision fin"] = euros(projected)
    return row


def subtotal_table(groups: Sequence[Subtotal], total: Subtotal, *, name: str,
                   projected: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per group and the total row (the total is the exact sum of the rows above)."""
    rows = []
    for group in groups:
        row = _row(name, group.planned_cents, group.actual_cents, None if projected is None else projected[group.key])
        row[name] = group.label
        rows.append(row)
    total_row = _row(name, total.planned_cents, total.actual_cents,
                     None if projected is None else sum(projected.values()))
    total_row[name] = total.label
    rows.append(total_row)
    return pd.DataFrame(rows)


def projected_by(report: GrantConsumptionReport, outlook: GrantForecast, key) -> dict[str, int]:  # noqa: ANN001
    """Forecast summed per group (same keys as the report's subtotals)."""
    projected = {line.line_id: line.projected_cents for line in outlook.lines}
    sums: dict[str, int] = {}
    for line in report.lines:
        group = key(line)
        sums[group] = sums.get(group, 0) + projected.get(line.line_id, line.actual_cents)
    return sums


def line_table(lines: Sequence[LineConsumption], total: Subtotal, outlook: GrantForecast) -> pd.DataFrame:
    projected = {line.line_id: line.projected_cents for line in outlook.lines}
    rows = []
    for line in lines:
        row = _row("Volet", line.planned_cents, line.actual_cents, projected[line.line_id])
        row.update({"Volet": line.strand_name, "Site": line.site_code, "Catégorie": label(line.category)})
        rows.append(row)
    total_row = _row("Volet", total.planned_cents, total.actual_cents, sum(projected.values()))
    total_row.update({"Volet": total.label, "Site": "", "Catégorie": ""})
    rows.append(total_row)
    frame = pd.DataFrame(rows)
    return frame[["Volet", "Site", "Catégorie", "Prévu", "Réalisé à date", "Consommé", "Reste", "Prévision fin"]]
