"""Hostile input to every form (issue 13, finding 3): anything sent is either accepted or refused with a
French message by the field that is wrong, never an exception, and a refused call writes nothing.

Nothing here is a hand-kept list of forms. The input models are every subclass of FormInput found in the
`services` package, and their hostile values are derived from each field's declared type
(tests/services/hostile.py: a new kind of field fails until its hostile values are written). The service
calls are every public service function that takes a form (a parameter whose annotation names a
FormInput); each must have its call in CALLS (tests/services/hostile_calls.py), or
`test_every_form_service_has_its_hostile_call` fails: a new form without its hostile test fails CI. The
same for a service taking a text typed outside a form (a parameter named in TYPED_PARAMETERS: a search, a
code to confirm, a sign-in name), whose call is in TYPED_CALLS: any text is answered, never an exception.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import services
from services.finance.expense_import import ImportRefused
from services.platform.errors import ServiceError, ValidationFailed
from services.platform.inputs import FormInput, PeriodInput
from tests.services.hostile import TODAY, form_values, hostile, plausible, typed_text
from tests.services.hostile_calls import CALLS, TYPED_CALLS, Call, World, make_world

for _module in pkgutil.walk_packages(services.__path__, "services."):
    importlib.import_module(_module.name)


def _subclasses(kind: type) -> list[type]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


INPUT_MODELS = sorted(
    {m for m in _subclasses(FormInput) if m.__module__.startswith("services.")} | {PeriodInput},
    key=lambda m: f"{m.__module__}.{m.__qualname__}",
)

# What a message shown beside a field must not look like: pydantic's own English, a placeholder left unfilled.
NOT_A_MESSAGE = re.compile(r"Input should|Value error|Field required|validation error|\{[a-z_]*\}|Traceback")


def _without_what_was_sent(message: str, values: dict[str, Any]) -> str:
    """The message without the texts sent (a message may quote what was typed, braces included)."""
    for value in values.values():
        for text in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(text, str) and text.strip():
                message = message.replace(text.strip(), "").replace(text.strip()[:30], "")
    return message


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
LARGEST_INT = 2**31 - 1


def assert_refusal_is_french(model: type, refusal: ValidationFailed, values: dict[str, Any]) -> None:
    assert refusal.errors, "a refusal names at least one field"
    for field, message in refusal.errors.items():
        # a field of the form, the whole form, or a part of the page a service rule names (a row, a state)
        assert isinstance(field, str) and field, field
        assert isinstance(message, str) and message.strip(), (field, message)
        assert not NOT_A_MESSAGE.search(_without_what_was_sent(message, values)), (field, message)


def assert_fits_a_form(value: Any) -> None:
    """What an accepted form holds: whole numbers that fit an INTEGER column, days a person can live,
    text without control characters."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        assert -LARGEST_INT - 1 <= value <= LARGEST_INT, value
    elif isinstance(value, str):
        assert not CONTROL.search(value), repr(value)
    elif hasattr(value, "year") and not hasattr(value, "hour"):
        assert 1900 <= value.year <= 2100, value
    elif isinstance(value, dict):
        for key, item in value.items():
            assert_fits_a_form(key)
            assert_fits_a_form(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            assert_fits_a_form(item)


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda m: f"{m.__module__.removeprefix('services.')}.{m.__name__}")
def test_every_field_type_has_hostile_values(model: type) -> None:
    for name, info in model.model_fields.items():
        try:
            hostile(info.annotation, [1])
            plausible(info.annotation, [1])
        except TypeError as exc:  # pragma: no cover - the failure message says what to write
            pytest.fail(f"{model.__name__}.{name}: {exc}")


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda m: f"{m.__module__.removeprefix('services.')}.{m.__name__}")
def test_an_input_model_accepts_or_names_the_field(model: type) -> None:
    """Validation alone, no database: accepted values fit the database, refused ones get French messages."""

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values=form_values(model, [1, 2, 3]))
    def check(values: dict[str, Any]) -> None:
        try:
            accepted = model.validated(values, as_of=TODAY)
        except ValidationFailed as refusal:
            assert_refusal_is_french(model, refusal, values)
        else:
            for name in model.model_fields:
                assert_fits_a_form(getattr(accepted, name))

    check()


def test_text_with_a_control_character_is_refused_by_its_field() -> None:
    from services.persons.partners import NewPartnerInput

    for text in ("Mission\x00locale", "CIDFF\x1b[0m", "Relais\x7f"):
        with pytest.raises(ValidationFailed) as refusal:
            NewPartnerInput.validated({"name": text, "kind": "cidff", "site_id": 1})
        assert refusal.value.errors == {
            "name": "Ce texte contient un caractère invisible non autorisé : retapez-le sans copier-coller."
        }
    with pytest.raises(ValidationFailed) as refusal:  # a lone surrogate: not even text for pydantic
        NewPartnerInput.validated({"name": "Relais\ud800", "kind": "cidff", "site_id": 1})
    assert set(refusal.value.errors) == {"name"}


def test_a_form_keeps_line_breaks_tabs_and_right_to_left_text() -> None:
    from services.persons.partners import NewPartnerInput

    accepted = NewPartnerInput.validated(
        {"name": "Association مرحبا", "kind": "cidff", "contact": "Mme Diallo\t06 12 34 56 78", "site_id": 1}
    )
    assert accepted.name == "Association مرحبا"


def test_an_id_beyond_an_integer_column_is_refused_by_its_field() -> None:
    from services.finance.expenses import ExpenseInput

    with pytest.raises(ValidationFailed) as refusal:
        ExpenseInput.validated(
            {"budget_line_id": 2**63, "spent_on": TODAY, "amount": "12,50", "label": "Papier"}, as_of=TODAY
        )
    assert refusal.value.errors == {"budget_line_id": "Choisissez une ligne budgétaire."}


def test_a_day_of_year_9999_is_refused_by_its_field() -> None:
    from services.finance.expenses import ExpenseInput

    with pytest.raises(ValidationFailed) as refusal:
        ExpenseInput.validated(
            {"budget_line_id": 1, "spent_on": "0001-01-01", "amount": "12,50", "label": "Papier"}, as_of=TODAY
        )
    assert refusal.value.errors == {"spent_on": "Date hors des limites : entre le 01/01/1900 et le 31/12/2100."}


# --- every service that takes a form, called with hostile values on a small world ---------------------


def _takes_a_form(function: Any) -> bool:
    """A public service whose parameters include a form (annotated with a FormInput) or that checks its
    parameters with one (`SomeInput.validated(...)`, `checked(SomeInput, ...)`)."""
    names = {m.__name__ for m in INPUT_MODELS}
    annotations = " ".join(str(p.annotation) for p in inspect.signature(function).parameters.values())
    if any(re.search(rf"\b{name}\b", annotations) for name in names):
        return True
    source = inspect.getsource(function)
    return bool(re.search(r"\b\w+Input\.validated\(|\bchecked\(\s*\w+Input\b", source))


def form_services() -> list[str]:
    found = []
    for module_info in pkgutil.walk_packages(services.__path__, "services."):
        if any(part.startswith("_") for part in module_info.name.split(".")):
            continue
        module = importlib.import_module(module_info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if "session" in inspect.signature(function).parameters and _takes_a_form(function):
                found.append(f"{module.__name__.removeprefix('services.')}.{name}")
    return sorted(found)


FORM_SERVICES = form_services()


def test_every_form_service_has_its_hostile_call() -> None:
    missing = [name for name in FORM_SERVICES if name not in CALLS]
    assert not missing, f"services taking a form without a call in tests/services/hostile_calls.py: {missing}"
    assert len(FORM_SERVICES) >= 50  # the enumeration itself still finds the forms


def _state(connection: sa.Connection) -> dict[str, int]:
    """Row count of every table, and the sum of the versions of those that have one: any write shows."""
    columns = []
    for table in SQLModel.metadata.sorted_tables:
        columns.append(sa.select(sa.func.count()).select_from(table).scalar_subquery().label(f"{table.name}#rows"))
        if "version" in table.c:
            total = sa.select(sa.func.coalesce(sa.func.sum(table.c.version), 0)).scalar_subquery()
            columns.append(total.label(f"{table.name}#versions"))
    return dict(connection.execute(sa.select(*columns)).one()._mapping)


def _changed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {key.split("#")[0] for key in before if before[key] != after[key]}


@pytest.fixture
def hostile_world(engine: Engine) -> Iterator[tuple[sa.Connection, World]]:
    connection = engine.connect()
    outer = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        world = make_world(session)
        session.commit()
    try:
        yield connection, world
    finally:
        outer.rollback()
        connection.close()


def _values(call: Call, world: World) -> st.SearchStrategy[Any]:
    one = form_values(call.form, world.all_ids)
    return st.lists(one, max_size=3) if call.many else one


@pytest.mark.parametrize("name", FORM_SERVICES)
def test_a_form_service_answers_hostile_input_and_writes_nothing_when_it_refuses(
    name: str, hostile_world: tuple[sa.Connection, World]
) -> None:
    connection, world = hostile_world
    call = CALLS[name]

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values=_values(call, world))
    def check(values: Any) -> None:
        savepoint = connection.begin_nested()
        try:
            before = _state(connection)
            with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
                try:
                    call.run(s, world, values)
                except ValidationFailed as refusal:
                    s.rollback()
                    assert_refusal_is_french(call.form, refusal, values if isinstance(values, dict) else {})
                    assert _changed(before, _state(connection)) <= call.refusal_writes, "a refused form wrote"
                except ImportRefused as refusal:
                    s.rollback()
                    assert refusal.errors and all(error.message for error in refusal.errors)
                    assert not _changed(before, _state(connection)), "a refused import wrote something"
        finally:
            savepoint.rollback()

    check()


# --- texts typed outside a form -------------------------------------------------------------------------

# The parameters a person types (a search box, a code to confirm, a sign-in) or that come back from a cookie.
TYPED_PARAMETERS = {"query", "filter", "code", "confirm_code", "alias", "username", "password", "new_password"}


def typed_services() -> list[str]:
    found = []
    for module_info in pkgutil.walk_packages(services.__path__, "services."):
        if any(part.startswith("_") for part in module_info.name.split(".")):
            continue
        module = importlib.import_module(module_info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameters = inspect.signature(function).parameters
            if "session" in parameters and TYPED_PARAMETERS & set(parameters):
                found.append(f"{module.__name__.removeprefix('services.')}.{name}")
    return sorted(found)


TYPED_SERVICES = typed_services()


def test_every_service_taking_typed_text_has_its_hostile_call() -> None:
    missing = [name for name in TYPED_SERVICES if name not in TYPED_CALLS]
    assert not missing, f"services taking typed text without a call in tests/services/hostile_calls.py: {missing}"


@pytest.mark.parametrize("name", TYPED_SERVICES)
def test_a_typed_text_is_answered_and_a_refusal_writes_nothing(
    name: str, hostile_world: tuple[sa.Connection, World]
) -> None:
    connection, world = hostile_world
    call = TYPED_CALLS[name]

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=typed_text())
    def check(text: Any) -> None:
        savepoint = connection.begin_nested()
        try:
            before = _state(connection)
            with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
                try:
                    call.run(s, world, text)
                except ServiceError as refusal:  # not found, not allowed, refused: a French sentence
                    s.rollback()
                    assert str(refusal).strip() and not NOT_A_MESSAGE.search(
                        _without_what_was_sent(str(refusal), {"t": text})
                    )
                    assert _changed(before, _state(connection)) <= call.writes, "a refusal wrote something"
        finally:
            savepoint.rollback()

    check()
