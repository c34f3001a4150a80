"""Practice notes and the two national guides (issue 18): a few notes per site, written by its team or by the
national project officer, some citing the published figures of a convention funding the site, assembled into
the chapters of a guide on outreach and one on socio-professional integration.

Its own random generator (seeded), so adding it changes none of the other demo data. No note names anyone.
"""

from __future__ import annotations

import random
from datetime import timedelta

from models.capitalisation import NoteStatus, PracticeStrand, PracticeTheme
from models.organisation import Role
from seed.context import SEED, SeedContext, SiteInfo
from services.reporting.publication import quarters

OFFICER = "mission.nationale"
OUTREACH, INTEGRATION = PracticeStrand.OUTREACH, PracticeStrand.INTEGRATION

# (strand, theme, title, body, indicators cited)
NOTES = [
    (
        OUTREACH,
        PracticeTheme.ONLINE_OUTREACH,
        "Répondre aux annonces en soirée",
        "Deux salariées répondent aux annonces entre 18 h et 21 h, depuis un téléphone de l'association.\n\n"
        "Le premier message ne parle que de santé et d'accès aux droits ; la proposition de rencontre vient "
        "au troisième échange, jamais avant.",
        ("outreach_rounds", "persons_met_online", "new_intakes"),
    ),
    (
        OUTREACH,
        PracticeTheme.STREET_OUTREACH,
        "La maraude à deux voix",
        "Une travailleuse sociale et une professionnelle de santé tournent ensemble : l'une ouvre la "
        "conversation, l'autre propose dépistage et matériel.\n\n"
        "Le même jour chaque semaine, pour que les personnes sachent quand nous trouver.",
        ("outreach_rounds", "persons_met_street"),
    ),
    (
        INTEGRATION,
        PracticeTheme.SELF_ESTEEM_WORKSHOP,
        "L'atelier miroir",
        "Un atelier estime de soi en petit groupe, le mardi matin, avant tout travail sur le projet "
        "professionnel.\n\nChaque séance part d'un objet apporté par une participante.",
        ("workshop_sessions", "workshop_attendance_rate"),
    ),
    (
        INTEGRATION,
        PracticeTheme.FRENCH_FIRST_STEP,
        "Le français avant le CV",
        "Trois séances de français oral centrées sur les situations d'embauche avant le premier rendez-vous "
        "avec France Travail.\n\nLes apprenantes passent ensuite en cours de droit commun.",
        ("course_hours", "level_gains", "mainstream_transitions"),
    ),
    (
        INTEGRATION,
        PracticeTheme.EMPLOYMENT_PARTNERS,
        "Un référent unique chez le partenaire emploi",
        "Une conseillère identifiée reçoit toutes les orientations du site ; un point mensuel fait le lien.",
        ("referrals",),
    ),
]

GUIDES = [
    (
        "Guide de l'aller-vers",
        OUTREACH,
        [
            ("Aller vers, en ligne", (PracticeTheme.ONLINE_OUTREACH,)),
            ("La rue et les camionnettes", (PracticeTheme.STREET_OUTREACH,)),
        ],
    ),
    (
        "Guide de l'insertion socio-professionnelle",
        INTEGRATION,
        [
            ("Se reconnaître une valeur", (PracticeTheme.SELF_ESTEEM_WORKSHOP,)),
            ("Le français comme premier pas", (PracticeTheme.FRENCH_FIRST_STEP,)),
            ("Travailler avec les partenaires de l'emploi", (PracticeTheme.EMPLOYMENT_PARTNERS,)),
        ],
    ),
]


def seed_capitalisation(ctx: SeedContext) -> None:
    rng = random.Random(SEED + 18)
    officer = ctx.users.get(OFFICER)
    officer_id = officer.id if officer is not None else None
    written = ctx.as_of - timedelta(days=20)
    validated: dict[PracticeTheme, list[int]] = {}
    for site in ctx.sites:
        team = [s for s in site.staff if s.role in (Role.CHEF_SERVICE, Role.INTERVENANT, Role.FORMATEUR)]
        for index, (strand, theme, title, body, keys) in enumerate(rng.sample(NOTES, k=3)):
            # the first note of a site is validated (it cites figures); the others any status
            statuses = [NoteStatus.VALIDATED, NoteStatus.VALIDATED, NoteStatus.PROPOSED, NoteStatus.DRAFT]
            status = NoteStatus.VALIDATED if index == 0 else rng.choice(statuses)
            by_team = status == NoteStatus.PROPOSED or (team and rng.random() < 0.5)
            author = rng.choice(team).id if by_team and team else officer_id
            if status == NoteStatus.DRAFT:
                author = officer_id
            note_id = ctx.new_id("practice_note")
            ctx.add(
                "practice_note",
                {
                    "id": note_id,
                    "site_id": site.id,
                    "strand": strand.value,
                    "theme": theme.value,
                    "title": title,
                    "body": body,
                    "status": status.value,
                    "author_id": author,
                },
                on=written,
            )
            if status == NoteStatus.VALIDATED:
                validated.setdefault(theme, []).append(note_id)
                _cite(ctx, site, note_id, keys)
    for title, strand, chapters in GUIDES:
        guide_id = ctx.new_id("practice_guide")
        ctx.add(
            "practice_guide",
            {"id": guide_id, "title": title, "strand": strand.value, "author_id": officer_id},
            on=written,
        )
        for position, (chapter_title, themes) in enumerate(chapters, start=1):
            chapter_id = ctx.new_id("guide_chapter")
            ctx.add(
                "guide_chapter",
                {"id": chapter_id, "guide_id": guide_id, "position": position, "title": chapter_title},
                on=written,
            )
            placed = [note for theme in themes for note in validated.get(theme, [])][:3]
            for order, note_id in enumerate(placed, start=1):
                ctx.add("chapter_note", {"chapter_id": chapter_id, "note_id": note_id, "position": order})


def _cite(ctx: SeedContext, site: SiteInfo, note_id: int, keys: tuple[str, ...]) -> None:
    """The note cites, for the last finished quarter of the newest convention funding its site, its figures."""
    funding = {row["grant_id"] for row in ctx.rows["grant_site"] if row["site_id"] == site.id}
    grants = sorted(
        (row for row in ctx.rows["grant"] if row["id"] in funding), key=lambda row: row["starts_on"], reverse=True
    )
    for grant in grants:
        finished = quarters(grant["starts_on"], grant["ends_on"], ctx.as_of)
        if not finished:
            continue
        start, end = finished[-1]
        period_key = f"quarter:{start.isoformat()}:{end.isoformat()}"
        for key in keys:
            ctx.add(
                "practice_note_figure",
                {
                    "id": ctx.new_id("practice_note_figure"),
                    "note_id": note_id,
                    "grant_id": grant["id"],
                    "period_key": period_key,
                    "indicator_key": key,
                },
            )
        return
