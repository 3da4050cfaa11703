import re

import pytest
from django.core import mail

from denktank import outbox, services
from denktank.exceptions import InvitationUsed
from denktank.models import Invitation, OutgoingMail, Role

from ..concurrency import requires_postgresql, run_concurrently

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_simultaneous_accepts_of_one_invitation_succeed_once(board_user):
    requires_postgresql()
    services.invite_person(name="Anna de Vries", email="anna@example.nl", role=Role.DEELNEMER, invited_by=board_user)
    # The invitation was sent on commit: the outbox row no longer holds the link.
    token = re.search(r"/uitnodiging/([^/]+)/", mail.outbox[0].body).group(1)

    results = run_concurrently(lambda: services.accept_invitation(token=token, password="Vrijheid-en-werk-2026"), 4)

    assert sorted(kind for kind, _ in results) == ["error", "error", "error", "ok"]
    assert all(isinstance(error, InvitationUsed) for kind, error in results if kind == "error")
    assert Invitation.objects.filter(accepted_at__isnull=False).count() == 1


def test_simultaneous_deliveries_of_one_mail_send_it_once():
    requires_postgresql()
    row = OutgoingMail.objects.create(to="anna@example.nl", subject="S", body_text="T", idempotency_key="k")
    mail.outbox = []

    results = run_concurrently(lambda: outbox.deliver_mail(mail_id=row.pk), 4)

    row.refresh_from_db()
    assert len(results) == 4
    assert (row.status, row.attempts) == (OutgoingMail.Status.SENT, 1)
    assert len(mail.outbox) == 1
