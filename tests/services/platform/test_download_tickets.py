"""Download tickets (services.platform.download_tickets): a generated file is fetchable by the user it was
built for, within the ticket's lifetime, and by nobody else."""

from services.platform.download_tickets import DownloadTickets


class Ticking:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_only_the_owner_within_the_lifetime():
    clock = Ticking()
    tickets = DownloadTickets(lifetime=60, monotonic=clock)
    tickets.issue("gestion.lyon", b"classeur")
    assert tickets.may_fetch("gestion.lyon", b"classeur")
    assert tickets.may_fetch("gestion.lyon", b"classeur")  # the page's check and the download itself
    assert not tickets.may_fetch("direction", b"classeur")
    assert not tickets.may_fetch(None, b"classeur")  # no valid login cookie
    assert not tickets.may_fetch("gestion.lyon", b"another file")
    clock.seconds += 59.9
    assert tickets.may_fetch("gestion.lyon", b"classeur")
    clock.seconds += 0.1
    assert not tickets.may_fetch("gestion.lyon", b"classeur")


def test_two_users_asking_for_the_same_bytes_each_have_their_ticket():
    clock = Ticking()
    tickets = DownloadTickets(lifetime=60, monotonic=clock)
    tickets.issue("gestion.lyon", b"exemple")
    clock.seconds += 30
    tickets.issue("gestion.grenoble", b"exemple")
    clock.seconds += 31  # the first ticket is over, not the second
    assert not tickets.may_fetch("gestion.lyon", b"exemple")
    assert tickets.may_fetch("gestion.grenoble", b"exemple")
