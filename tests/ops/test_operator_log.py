"""The operators' log of a job: one line when it starts, one when it ends with its counts and duration,
on standard output, naming no one."""

from __future__ import annotations

import re
from datetime import timedelta

from services.platform.audit import utcnow
from services.platform.db import unit_of_work
from tests import factories
from tests.ops.test_cli import run

STAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "


def job_line(text: str) -> str:
    return STAMP + r"INFO parcours\.jobs " + text + "$"


def test_a_purge_of_the_audit_log_logs_its_start_and_its_end_with_the_count(cli_database, monkeypatch, capsys):
    with unit_of_work(cli_database) as session:
        for days in (400, 500, 10):
            factories.an_audit_event(session, action="old", occurred_at=utcnow() - timedelta(days=days))
        session.commit()
    assert run(monkeypatch, "purge-audit") == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "parcours.jobs" in line]
    assert len(lines) == 2
    assert re.match(job_line("job-start job=purge-audit"), lines[0])
    assert re.match(job_line(r"job-end job=purge-audit outcome=ok removed=2 duration_s=\d+\.\d\d"), lines[1])


def test_a_retention_run_logs_how_many_files_were_due(cli_database, monkeypatch, capsys):
    assert run(monkeypatch, "retention", "--dry-run") == 0
    out = capsys.readouterr().out
    assert re.search(r"job-end job=retention outcome=ok due=0 duration_s=", out)


def test_a_command_that_is_not_a_job_logs_nothing(cli_database, monkeypatch, capsys):
    assert run(monkeypatch, "list-sites") == 0
    assert "parcours.jobs" not in capsys.readouterr().out
