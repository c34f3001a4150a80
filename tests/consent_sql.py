"""The statistics consent of a person on a given day, as SQL text for the tests' expected figures.

Written from the rule in docs/design.md §4, not through services.persons.consent: each change of a
person's statistics consent is a row of `consent_change`; the latest row (by id) that applies on the day
of a fact (effective on or before it, or a refusal at intake, which applies to every day) says whether the
fact counts; with no such row it counts. The page tests share one demo database in which other tests
withdraw a consent (test_consent_page), so an expectation built on the *current* consent
(`person.consent_statistics`) drifts by one person depending on the order the tests run in.
"""

from __future__ import annotations


def counted(person: str, day: str) -> str:
    """SQL condition: the fact about `person` (an SQL column) dated `day` (an SQL column or parameter)
    counts in statistics."""
    return (
        "COALESCE((SELECT c.given FROM consent_change c"
        f" WHERE c.person_id = {person} AND c.scope = 'statistics'"
        f" AND (c.at_intake = TRUE OR c.effective_on <= {day})"
        " ORDER BY c.id DESC LIMIT 1), TRUE) = TRUE"
    )
