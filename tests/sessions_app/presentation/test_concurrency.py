"""The places hold under concurrency on PostgreSQL: the presentation's row lock makes counting and taking one step."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from denktank.models import OutgoingMail
from sessions_app import services
from sessions_app.models import Guest, GuestReminder, Meeting, Presentation

from ...concurrency import requires_postgresql, run_concurrently

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def open_presentation(_reference_data):
    requires_postgresql()
    meeting = Meeting.objects.get(kind=Meeting.Kind.FINAL)
    meeting.starts_at = timezone.now() + timedelta(days=90)
    meeting.save()
    return Presentation.objects.create(meeting=meeting, registration_open=True, capacity=3)


def one_each(items):
    """A function that hands each thread the next item."""
    remaining, lock = iter(items), threading.Lock()

    def take():
        with lock:
            return next(remaining)

    return take


def register(presentation, number):
    return services.register_guest(
        presentation=presentation, name=f"Gast {number:02d}", email=f"gast{number}@example.org", is_party_member=False
    )


def test_twenty_concurrent_confirmations_give_exactly_three_places(open_presentation):
    guests = [register(open_presentation, n) for n in range(20)]
    take = one_each(guests)

    results = run_concurrently(lambda: services.confirm_guest(guest=take()).status, 20)

    assert sorted(results) == sorted([("ok", "confirmed")] * 3 + [("ok", "waiting")] * 17)
    rows = Guest.objects.filter(presentation=open_presentation)
    assert rows.filter(status="confirmed").count() == 3
    waiting = list(rows.filter(status="waiting").order_by("waiting_since", "pk"))
    assert len(waiting) == 17
    assert len({guest.waiting_since for guest in waiting}) == 17  # one decision at a time: a strict order
    assert OutgoingMail.objects.filter(idempotency_key__contains=":placed:").count() == 3
    assert OutgoingMail.objects.filter(idempotency_key__contains=":waiting:").count() == 17


def test_twenty_concurrent_registrations_then_confirmations_give_three_places(open_presentation):
    numbers = one_each(range(20))

    def register_and_confirm():
        return services.confirm_guest(guest=register(open_presentation, numbers())).status

    results = run_concurrently(register_and_confirm, 20)

    assert [kind for kind, _ in results] == ["ok"] * 20
    assert sorted(status for _, status in results) == ["confirmed"] * 3 + ["waiting"] * 17


def test_cancellations_racing_confirmations_never_overfill_the_places(open_presentation):
    placed = [services.confirm_guest(guest=register(open_presentation, n)) for n in range(3)]
    newcomers = [register(open_presentation, n) for n in range(3, 13)]
    jobs = one_each(
        [lambda g=g: services.cancel_guest(guest=g) for g in placed[:2]]
        + [lambda g=g: services.confirm_guest(guest=g) for g in newcomers]
    )

    results = run_concurrently(lambda: jobs()(), 12)

    assert [kind for kind, _ in results] == ["ok"] * 12
    rows = Guest.objects.filter(presentation=open_presentation)
    assert rows.filter(status="confirmed").count() == 3
    assert rows.filter(status="cancelled").count() == 2
    assert rows.filter(status="waiting").count() == 8


def test_concurrent_reminder_sweeps_send_each_reminder_once(open_presentation):
    for n in range(3):
        services.confirm_guest(guest=register(open_presentation, n))
    now = open_presentation.meeting.starts_at - timedelta(hours=20)

    results = run_concurrently(lambda: services.send_guest_reminders(now=now), 4)

    assert [kind for kind, _ in results] == ["ok"] * 4
    assert sum(count for _, count in results) == 3
    assert GuestReminder.objects.count() == 3
    assert OutgoingMail.objects.filter(idempotency_key__contains=":reminder:").count() == 3


def test_concurrent_purges_delete_each_guest_once(open_presentation):
    for n in range(6):
        services.confirm_guest(guest=register(open_presentation, n))
    later = open_presentation.meeting.starts_at + timedelta(weeks=5)

    results = run_concurrently(lambda: services.purge_guests(now=later), 3)

    assert [kind for kind, _ in results] == ["ok"] * 3
    assert sum(count for _, count in results) == 6
    assert Guest.objects.count() == 0
