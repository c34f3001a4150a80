"""State shared by the seed steps: the random sources, ids assigned in Python, rows per table.

Rows are plain dicts keyed by table name and inserted in bulk at the end (see
`seed/writer.py`), so a child row can point at its parent's id without a round-trip.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from faker import Faker
from sqlmodel import SQLModel

from clock import add_months
from models.organisation import Role
from models.staffing import PostType
from seed.sizes import SiteSpec, SizeSpec
from services.platform.crypto import FieldCipher

SEED = 2026
YEARS_COVERED = 3
FUTURE_DAYS = 28  # workshop and course sessions already planned after `as_of`


@dataclass
class StaffMember:
    id: int
    username: str
    display_name: str
    role: Role
    site_id: int | None
    post_type: PostType | None = None


@dataclass
class SiteInfo:
    id: int
    spec: SiteSpec
    staff: list[StaffMember] = field(default_factory=list)
    partners: dict[str, list[int]] = field(default_factory=dict)  # PartnerKind value → ids
    round_dates: list[date] = field(default_factory=list)  # sorted, for intake origins
    round_ids: list[int] = field(default_factory=list)  # aligned with round_dates
    round_rows: dict[int, dict] = field(default_factory=dict)  # by id, completed once intakes exist

    @property
    def code(self) -> str:
        return self.spec.code

    def caseworkers(self) -> list[StaffMember]:
        return [s for s in self.staff if s.role in (Role.INTERVENANT, Role.CHEF_SERVICE)]

    def teachers(self) -> list[StaffMember]:
        return [s for s in self.staff if s.role == Role.FORMATEUR]

    def round_before(self, day: date, max_days: int) -> tuple[int, date] | None:
        """Id and date of the latest outreach round on or before `day`, at most `max_days` earlier."""
        index = bisect_right(self.round_dates, day) - 1
        if index < 0 or (day - self.round_dates[index]).days > max_days:
            return None
        return self.round_ids[index], self.round_dates[index]


@dataclass(slots=True)
class PersonInfo:
    id: int
    site: SiteInfo
    intake_on: date
    active_until: date  # last day anything may happen: closing date, pause or `as_of`
    status: str
    referent_id: int | None
    nationality: str
    french_speaker: bool
    row: dict  # the person row, completed (last contact) once all activity exists


class SeedContext:
    def __init__(self, spec: SizeSpec, as_of: date, cipher: FieldCipher, password_hash: str) -> None:
        self.spec = spec
        self.as_of = as_of
        self.start = add_years(as_of, -YEARS_COVERED) + timedelta(days=1)
        self.cipher = cipher
        self.password_hash = password_hash
        self.rng = random.Random(SEED)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(SEED)
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._stamps: dict[date, datetime] = {}
        tables = SQLModel.metadata.tables
        self._timestamped = {name for name, t in tables.items() if "created_at" in t.c}
        self._versioned = {name for name, t in tables.items() if "version" in t.c}
        self.sites: list[SiteInfo] = []
        self.persons: list[PersonInfo] = []
        self.users: dict[str, StaffMember] = {}  # by username
        self.funders: dict[str, int] = {}  # by name
        self.national_officers: list[str] = []  # holders of the national posts (no login)
        self.last_contact: dict[int, date] = {}  # person id → latest dated activity
        self.psp_first_drawn: set[int] = set()  # persons the first PSP draw chose (seed/pathway.py)
        from seed.staff import StaffNames  # seed.staff reads SEED from here

        self.staff_names = StaffNames()  # staff names, from their own Random (seed/staff.py)
        # The words Faker drew for the staff before seed/staff.py: still drawn, and still kept out of the
        # persons' first names, so that the persons' names, and every draw after them, stay as they were.
        self.former_staff_words: set[str] = set()

    # ids and rows -------------------------------------------------------------

    def new_id(self, table: str) -> int:
        value = self._next_id[table]
        self._next_id[table] = value + 1
        return value

    def stamp(self, day: date) -> datetime:
        """Creation instant of a record dated `day` (never after `as_of`), tz-aware UTC."""
        day = min(day, self.as_of)
        value = self._stamps.get(day)
        if value is None:
            value = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
            self._stamps[day] = value
        return value

    def add(self, table: str, row: dict, on: date | None = None) -> dict:
        """Queue a row; timestamped tables get created/updated at `on`, versioned ones version 1."""
        if table in self._timestamped:
            instant = self.stamp(on or self.start)
            row["created_at"] = instant
            row["updated_at"] = instant
        if table in self._versioned:
            row["version"] = 1
        self.rows[table].append(row)
        return row

    def touch(self, person: PersonInfo, day: date) -> None:
        """Record a contact with a person (only what already happened counts)."""
        if day <= self.as_of and day > self.last_contact.get(person.id, date.min):
            self.last_contact[person.id] = day

    # random helpers -----------------------------------------------------------

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randint(0, (last - first).days))


class Weighted:
    """A weighted choice prepared once, drawn many times from the seed's Random."""

    def __init__(self, choices: dict) -> None:
        self.values = list(choices)
        self.cum_weights = list(accumulate(choices.values()))

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cum_weights)[0]


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def split_by_weight(total: int, weights: list[float]) -> list[int]:
    """Integer shares of `total` proportional to `weights`, summing exactly to `total`."""
    weight_sum = sum(weights)
    raw = [total * w / weight_sum for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (shares[i] - raw[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    assert sum(shares) == total
    return shares
