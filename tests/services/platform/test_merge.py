"""Three-way merge of a form: literal tables of what the user saw, sent, and what a colleague saved."""

from __future__ import annotations

import pytest

from services.platform.merge import three_way_merge

# (base, mine, theirs) → (merged, conflicts, kept theirs)
CASES = {
    "nobody changed anything": (
        {"phone": "0611", "housing": "rue"},
        {"phone": "0611", "housing": "rue"},
        {"phone": "0611", "housing": "rue"},
        {"phone": "0611", "housing": "rue"},
        (),
        (),
    ),
    "only I changed the housing": (
        {"phone": "0611", "housing": "rue"},
        {"phone": "0611", "housing": "chrs"},
        {"phone": "0611", "housing": "rue"},
        {"phone": "0611", "housing": "chrs"},
        (),
        (),
    ),
    "a colleague changed the phone, I changed the housing": (
        {"phone": "0611", "housing": "rue"},
        {"phone": "0611", "housing": "chrs"},
        {"phone": "0799", "housing": "rue"},
        {"phone": "0799", "housing": "chrs"},
        (),
        ("phone",),
    ),
    "both changed the phone to the same number": (
        {"phone": "0611", "housing": "rue"},
        {"phone": "0799", "housing": "rue"},
        {"phone": "0799", "housing": "rue"},
        {"phone": "0799", "housing": "rue"},
        (),
        (),
    ),
    "both changed the phone differently, I changed the housing": (
        {"phone": "0611", "housing": "rue"},
        {"phone": "0622", "housing": "chrs"},
        {"phone": "0799", "housing": "rue"},
        {"phone": "0799", "housing": "chrs"},
        ("phone",),
        (),
    ),
    "a colleague emptied a field I left alone": (
        {"phone": "0611", "languages": ["fr", "ro"]},
        {"phone": "0611", "languages": ["fr", "ro"]},
        {"phone": "", "languages": ["fr", "ro"]},
        {"phone": "", "languages": ["fr", "ro"]},
        (),
        ("phone",),
    ),
    "lists compare whole: both added a different language": (
        {"languages": ["fr"]},
        {"languages": ["fr", "ro"]},
        {"languages": ["fr", "en"]},
        {"languages": ["fr", "en"]},
        ("languages",),
        (),
    ),
    "the colleague saved a field the form does not show me": (
        {"housing": "rue"},
        {"housing": "chrs"},
        {"housing": "rue", "phone": "0799"},
        {"housing": "chrs"},
        (),
        (),
    ),
    "a field the user never saw counts as changed by both sides": (
        {},
        {"housing": "chrs"},
        {"housing": "rue"},
        {"housing": "rue"},
        ("housing",),
        (),
    ),
    "None against a value": (
        {"birth_year": None, "referent_id": 4},
        {"birth_year": 1990, "referent_id": 4},
        {"birth_year": 1991, "referent_id": None},
        {"birth_year": 1991, "referent_id": None},
        ("birth_year",),
        ("referent_id",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_three_way_merge(case):
    base, mine, theirs, merged, conflicts, kept = CASES[case]
    result = three_way_merge(base, mine, theirs)
    assert result.merged == merged
    assert result.conflicts == conflicts
    assert result.kept_theirs == kept


def test_a_conflict_is_settled_by_the_users_choice_only():
    base, mine, theirs = (
        {"phone": "0611", "alias": "Ana"},
        {"phone": "0622", "alias": "Anna"},
        {
            "phone": "0799",
            "alias": "Ania",
        },
    )
    result = three_way_merge(base, mine, theirs)
    assert result.conflicts == ("phone", "alias")
    assert result.resolved({"phone": "theirs", "alias": "mine"}, mine) == {"phone": "0799", "alias": "Anna"}
    assert result.resolved({"phone": "mine", "alias": "theirs"}, mine) == {"phone": "0622", "alias": "Ania"}
    with pytest.raises(ValueError):
        result.resolved({"phone": "theirs"}, mine)  # the alias is not chosen yet: nothing to save
