"""Appointments and accompaniments of each person, drawn from a Random of their own (the rest of the seed
draws exactly what it drew before they existed).

Dated between the intake and the person's last contact already seeded, so that they move no last contact
(the caseload, the retention queue and the home figures stay as they were)."""

from __future__ import annotations

import random
from datetime import date

from models.appointments import AppointmentKind
from seed.context import SEED, PersonInfo, SeedContext, Weighted

APPOINTMENT_COUNT = Weighted({0: 15, 1: 20, 2: 25, 3: 20, 4: 12, 6: 8})
KINDS = Weighted(
    {
        AppointmentKind.INTERVIEW: 40,
        AppointmentKind.PHONE_CALL: 12,
        AppointmentKind.HOME_VISIT: 5,
        AppointmentKind.ACCOMPANIMENT_PREFECTURE: 9,
        AppointmentKind.ACCOMPANIMENT_CAF: 5,
        AppointmentKind.ACCOMPANIMENT_CPAM: 6,
        AppointmentKind.ACCOMPANIMENT_FRANCE_TRAVAIL: 6,
        AppointmentKind.ACCOMPANIMENT_HEALTH: 9,
        AppointmentKind.ACCOMPANIMENT_JUSTICE: 4,
        AppointmentKind.ACCOMPANIMENT_HOUSING: 3,
        AppointmentKind.ACCOMPANIMENT_OTHER: 1,
    }
)
MINUTES: dict[AppointmentKind, tuple[int, ...]] = {
    AppointmentKind.INTERVIEW: (30, 45, 45, 60, 60, 90),
    AppointmentKind.PHONE_CALL: (10, 15, 15, 20, 30),
    AppointmentKind.HOME_VISIT: (60, 90, 120),
}
ACCOMPANIMENT_MINUTES = (90, 120, 150, 180, 240, 300)
NOTES = (
    "Point sur les démarches en cours",
    "Dossier complété, pièces manquantes à apporter",
    "Rendez-vous honoré, prochain rendez-vous fixé",
    "Personne fatiguée, à revoir rapidement",
    "Récépissé remis",
)


def seed_appointments(ctx: SeedContext) -> None:
    rng = random.Random(f"{SEED}-appointments")
    for person in ctx.persons:
        _appointments(ctx, person, rng)


def _interpreter(person: PersonInfo, rng: random.Random) -> str | None:
    if person.french_speaker or rng.random() < 0.3:
        return None
    spoken = [code for code in person.row.get("languages") or [] if code != "fr"]
    return spoken[0] if spoken else None


def _day_between(first: date, last: date, rng: random.Random) -> date:
    return first if last <= first else date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def _appointments(ctx: SeedContext, person: PersonInfo, rng: random.Random) -> None:
    last = min(ctx.last_contact.get(person.id, person.intake_on), person.active_until, ctx.as_of)
    workers = [member.id for member in person.site.caseworkers()] or [person.referent_id]
    for _ in range(APPOINTMENT_COUNT.pick(rng)):
        kind = KINDS.pick(rng)
        day = _day_between(person.intake_on, last, rng)
        ctx.add(
            "appointment",
            {
                "id": ctx.new_id("appointment"),
                "person_id": person.id,
                "site_id": person.site.id,
                "appointment_on": day,
                "kind": kind,
                "worker_id": person.referent_id if rng.random() < 0.75 else rng.choice(workers),
                "interpreter_language": _interpreter(person, rng),
                "duration_minutes": rng.choice(MINUTES.get(kind, ACCOMPANIMENT_MINUTES)),
                "note": rng.choice(NOTES) if rng.random() < 0.3 else None,
            },
            on=day,
        )
