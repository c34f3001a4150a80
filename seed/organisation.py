"""The association (with the demo marker) and its strands, sites, funders, users (demo accounts and site
staff) and partner organisations."""

from __future__ import annotations

import unicodedata

from models.finance import FunderKind
from models.organisation import ASSOCIATION_ROW_ID, Role
from models.partners import PartnerKind
from models.staffing import PostType
from seed.context import SeedContext, SiteInfo, StaffMember
from seed.funding import grant_plans
from services.accounts.demo import DEMO_ACCOUNTS

# Extra caseworkers of a site, in order: what post each one holds.
EXTRA_STAFF_POSTS = (
    PostType.SOCIAL_WORKER,
    PostType.CIP,
    PostType.HEALTH_PROFESSIONAL,
    PostType.SOCIAL_WORKER,
    PostType.CIP,
)


DEMO_ASSOCIATION_NAME = "Association Parcours (démonstration)"
DEMO_STRANDS = ("Aller-vers", "Insertion socio-professionnelle")


def seed_organisation(ctx: SeedContext) -> None:
    _association(ctx)
    _sites(ctx)
    _funders(ctx)
    _users(ctx)
    _partners(ctx)


def _association(ctx: SeedContext) -> None:
    """The demo marker: only the seed writes `holds_demo_data` (services.platform.organisation reads it)."""
    ctx.add("association", {"id": ASSOCIATION_ROW_ID, "name": DEMO_ASSOCIATION_NAME, "holds_demo_data": True})
    for name in DEMO_STRANDS:
        ctx.add("organisation_strand", {"id": ctx.new_id("organisation_strand"), "name": name, "is_active": True})


def _sites(ctx: SeedContext) -> None:
    for spec in ctx.spec.sites:
        site_id = ctx.new_id("site")
        ctx.add(
            "site",
            {
                "id": site_id,
                "code": spec.code,
                "name": spec.city,
                "city": spec.city,
                "is_active": True,
                "no_contact_days": 45,
            },
        )
        ctx.sites.append(SiteInfo(id=site_id, spec=spec))


def _funders(ctx: SeedContext) -> None:
    """One row per funder of the conventions (seed/funding.py), in the order they first appear."""
    funders: dict[str, FunderKind] = {}
    for plan in grant_plans(ctx.spec.sites):
        funders.setdefault(plan.funder, plan.kind)
    for name, kind in funders.items():
        funder_id = ctx.new_id("funder")
        ctx.add("funder", {"id": funder_id, "name": name, "kind": kind})
        ctx.funders[name] = funder_id


def _add_user(
    ctx: SeedContext,
    username: str,
    display_name: str,
    role: Role,
    site_ids: list[int],
    *,
    funder_id: int | None = None,
    post_type: PostType | None = None,
) -> StaffMember:
    user_id = ctx.new_id("app_user")
    ctx.add(
        "app_user",
        {
            "id": user_id,
            "username": username,
            "display_name": display_name,
            "password_hash": ctx.password_hash,
            "role": role,
            "is_active": True,
            "is_demo": True,
            "funder_id": funder_id,
            "failed_login_count": 0,
            "last_failed_login_at": None,
            "last_login_at": None,
            "sessions_revoked_at": None,
            "password_changed_at": None,
            "last_seen_at": None,
        },
    )
    for site_id in site_ids:
        ctx.add("user_site", {"user_id": user_id, "site_id": site_id})
    member = StaffMember(user_id, username, display_name, role, site_ids[0] if len(site_ids) == 1 else None, post_type)
    ctx.users[username] = member
    return member


def _users(ctx: SeedContext) -> None:
    by_code = {site.code: site for site in ctx.sites}
    for account in DEMO_ACCOUNTS:
        ctx.staff_names.reserve(account.display_name)
    for account in DEMO_ACCOUNTS:
        sites = ctx.sites if account.all_sites else [by_code[c] for c in account.site_codes if c in by_code]
        member = _add_user(
            ctx,
            account.username,
            account.display_name,
            account.role,
            [s.id for s in sites],
            funder_id=ctx.funders[account.funder_name] if account.funder_name else None,
            post_type=account.post_type,
        )
        if len(sites) == 1:
            sites[0].staff.append(member)
    for site in ctx.sites:
        roles = {member.role for member in site.staff}
        wanted: list[tuple[Role, PostType]] = []
        if Role.CHEF_SERVICE not in roles:
            wanted.append((Role.CHEF_SERVICE, PostType.COORDINATION))
        wanted += [(Role.INTERVENANT, post) for post in EXTRA_STAFF_POSTS[: ctx.spec.extra_intervenants_per_site]]
        if Role.FORMATEUR not in roles:
            wanted.append((Role.FORMATEUR, PostType.FLE_TRAINER))
        for role, post in wanted:
            first, last = _staff_name(ctx)
            site.staff.append(
                _add_user(ctx, _username(ctx, first, last), f"{first} {last}", role, [site.id], post_type=post)
            )
    ctx.national_officers = [" ".join(_staff_name(ctx)) for _ in range(2)]


def _staff_name(ctx: SeedContext) -> tuple[str, str]:
    """A name from seed/staff.py; Faker's draw of before is still made (see SeedContext.former_staff_words)."""
    ctx.former_staff_words.update(f"{ctx.fake.first_name()} {ctx.fake.last_name()}".split())
    return ctx.staff_names.draw()


def _username(ctx: SeedContext, first: str, last: str) -> str:
    def ascii_slug(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return "".join(ch if ch.isalnum() else "-" for ch in plain.lower()).strip("-")

    base = f"{ascii_slug(first)}.{ascii_slug(last)}"[:60]
    username, n = base, 2
    while username in ctx.users:
        username, n = f"{base}{n}", n + 1
    return username


def staff_names(ctx: SeedContext) -> set[str]:
    """Every word of every staff display name (kept out of the beneficiaries' aliases), and the words Faker
    drew for the staff before seed/staff.py (SeedContext.former_staff_words)."""
    words: set[str] = set(ctx.former_staff_words)
    names = [member.display_name for member in ctx.users.values()] + ctx.national_officers
    for name in names:
        words.update(name.replace("(", " ").replace(")", " ").split())
    return words


def _partner_names(site: SiteInfo) -> list[tuple[PartnerKind, str, str]]:
    city, dept, region = site.spec.city, site.spec.department, site.spec.region
    return [
        (PartnerKind.FRANCE_TRAVAIL, f"France Travail {city} Centre", "Accueil sur rendez-vous"),
        (PartnerKind.FRANCE_TRAVAIL, f"France Travail {city} Est", "Accueil entreprises et demandeurs d'emploi"),
        (PartnerKind.CIDFF, f"CIDFF {dept}", "Permanence juridique et emploi"),
        (PartnerKind.MISSION_LOCALE, f"Mission locale de {city}", "Accueil des 16-25 ans"),
        (PartnerKind.DREETS, f"DREETS {region}", "Service insertion et IAE"),
        (PartnerKind.SIAE, f"Atelier chantier d'insertion Les Jardins de {city}", "Chargée de recrutement"),
        (PartnerKind.SIAE, f"Entreprise d'insertion Ressourcerie {city}", "Encadrant technique"),
        (PartnerKind.CONSEIL_REGIONAL, f"Région {region} — formation", "Service formation professionnelle"),
        (PartnerKind.HEALTH, f"Centre de santé sexuelle de {city}", "Consultations sans rendez-vous"),
        (PartnerKind.HEALTH, f"PASS de l'hôpital de {city}", "Permanence d'accès aux soins"),
        (PartnerKind.HOUSING, f"SIAO {dept}", "Orientation hébergement (115)"),
        (PartnerKind.HOUSING, f"CHRS Les Tilleuls — {city}", "Admission sur orientation SIAO"),
        (PartnerKind.TRAINING, f"GRETA {city}", "Formations qualifiantes et FLE professionnel"),
        (PartnerKind.OTHER, f"France Victimes {city}", "Aide aux victimes, accompagnement juridique"),
    ]


def _public_partner_names(site: SiteInfo) -> list[tuple[PartnerKind, str, str]]:
    city, dept = site.spec.city, site.spec.department
    return [
        (PartnerKind.CAF, f"CAF {dept}", "Accueil sur rendez-vous, travailleur social référent"),
        (PartnerKind.CPAM, f"CPAM {dept}", "Mission accompagnement santé"),
        (PartnerKind.PREFECTURE, f"Préfecture {dept} — service des étrangers", "Rendez-vous en ligne"),
        (PartnerKind.JUSTICE, f"Tribunal judiciaire de {city}", "Bureau d'aide aux victimes"),
        (PartnerKind.LAWYER, f"Barreau de {city} — permanence droit des étrangers", "Permanence gratuite"),
    ]


def _partners(ctx: SeedContext) -> None:
    for site in ctx.sites:
        for kind, name, contact in _partner_names(site):
            partner_id = ctx.new_id("partner")
            ctx.add(
                "partner",
                {
                    "id": partner_id,
                    "site_id": site.id,
                    "name": name,
                    "kind": kind,
                    "contact": contact,
                    "is_active": True,
                },
            )
            site.partners.setdefault(kind.value, []).append(partner_id)
    # Partners of the kinds added later (public services, justice, lawyers): after every site's first ones,
    # so that the ids of those stay as they were.
    for site in ctx.sites:
        for kind, name, contact in _public_partner_names(site):
            partner_id = ctx.new_id("partner")
            ctx.add(
                "partner",
                {
                    "id": partner_id,
                    "site_id": site.id,
                    "name": name,
                    "kind": kind,
                    "contact": contact,
                    "is_active": True,
                },
            )
            site.partners.setdefault(kind.value, []).append(partner_id)
