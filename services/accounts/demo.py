"""Demo login accounts: fixed usernames that the login page, the docs and the tests rely on.

Every account is created with `is_demo=True` and the published demo password, so
production mode (which refuses demo accounts) can never run with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.organisation import Role
from models.staffing import PostType

AGRASC_FUNDER_NAME = "AGRASC"
DEMO_SITE_CODES = ("LYO", "GRE", "MRS", "PAR")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    # Sites linked in `user_site`. With `all_sites` the account is linked to every
    # seeded site (the four demo sites here; twelve or more at benchmark size).
    site_codes: tuple[str, ...] = ()
    funder_name: str | None = None
    all_sites: bool = False
    # The post this person holds, for the staffing table (None: not a site post).
    post_type: PostType | None = None


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "Sandrine Lefort", Role.ADMIN),
    DemoAccount("direction", "Hélène Marchetti", Role.DIRECTION, DEMO_SITE_CODES, all_sites=True),
    DemoAccount("chef.lyon", "Nadia Bensaïd", Role.CHEF_SERVICE, ("LYO",), post_type=PostType.COORDINATION),
    DemoAccount("ts.lyon", "Julien Ferrand", Role.INTERVENANT, ("LYO",), post_type=PostType.SOCIAL_WORKER),
    DemoAccount("cip.grenoble", "Claire Vautrin", Role.INTERVENANT, ("GRE",), post_type=PostType.CIP),
    DemoAccount("fle.lyon", "Marion Escoffier", Role.FORMATEUR, ("LYO",), post_type=PostType.FLE_TRAINER),
    DemoAccount("gestion", "Patrick Lemaire", Role.GESTION),
    DemoAccount("financeur.agrasc", "Thomas Duval (AGRASC)", Role.FINANCEUR, funder_name=AGRASC_FUNDER_NAME),
    # A national project officer: practice notes and guides of every site, no person data.
    DemoAccount("mission.nationale", "Rachida Meunier", Role.CHARGE_MISSION, DEMO_SITE_CODES, all_sites=True),
]

DEMO_USERNAMES = tuple(account.username for account in DEMO_ACCOUNTS)
