"""At the same moment: two board members removing each other, two clicks on "send", two reminder sweeps."""

import uuid
from datetime import timedelta
from itertools import count

import pytest

from denktank import selectors, services
from denktank.exceptions import LastBoardMember, UpdateAlreadySent
from denktank.models import KamerlidUpdate, KamerlidUpdateReminder, OutgoingMail, Role, User

from ..concurrency import requires_postgresql, run_concurrently
from ..factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def alternating(*calls):
    """One function for ``run_concurrently`` that makes each thread do the next call."""
    turn = count()
    return lambda: calls[next(turn) % len(calls)]()


@pytest.mark.parametrize("how", ["deactivate", "demote"])
def test_two_board_members_removing_each_other_at_once_leave_one(board_user, how):
    requires_postgresql()
    other = UserFactory(name="Ben Bestuur", roles=[Role.BESTUUR], totp=True)

    def remove(person, by):
        if how == "deactivate":
            return lambda: services.deactivate_person(person=person, by=by)
        return lambda: services.set_roles(person=person, roles=[Role.DEELNEMER], by=by)

    results = run_concurrently(alternating(remove(other, board_user), remove(board_user, other)), 2)

    assert sorted(kind for kind, _ in results) == ["error", "ok"]
    assert [type(error) for kind, error in results if kind == "error"] == [LastBoardMember]
    assert selectors.board_who_can_log_in().count() == 1
    assert User.objects.count() == 2


def test_two_clicks_on_send_at_once_send_one_update(board_user, mp_user):
    requires_postgresql()
    since = selectors.next_facts_since()
    until = since + timedelta(days=1)
    facts = selectors.kamerlid_update_facts(since=since, until=until)
    token = uuid.uuid4()

    def send():
        return services.send_kamerlid_update(
            title="Update", text="Tekst", facts=facts, facts_since=since, facts_until=until, token=token, by=board_user
        )

    results = run_concurrently(send, 3)

    assert sorted(kind for kind, _ in results) == ["error", "error", "ok"]
    assert {type(error) for kind, error in results if kind == "error"} == {UpdateAlreadySent}
    assert KamerlidUpdate.objects.count() == 1
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == [mp_user.email]


def test_two_reminder_sweeps_at_once_remind_once(board_user, mp_user):
    requires_postgresql()
    now = mp_user.date_joined + timedelta(weeks=4, hours=1)

    results = run_concurrently(lambda: services.remind_board_of_kamerlid_update(now=now), 3)

    assert sorted(result for _kind, result in results) == [0, 0, 1]
    assert KamerlidUpdateReminder.objects.count() == 1
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == [board_user.email]
