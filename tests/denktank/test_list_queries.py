"""The Kamerlid updates, as the board and the Kamerlid list them, take the same queries for one or three."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from denktank.models import KamerlidUpdate


def add_update(board_user):
    number = KamerlidUpdate.objects.count()
    since = timezone.now() - timedelta(days=100 - number)
    KamerlidUpdate.objects.create(
        title=f"Stand van zaken {number}",
        text="Tekst",
        facts_since=since,
        facts_until=since + timedelta(days=1),
        sent_by=board_user,
        token=uuid.uuid4(),
    )


@pytest.mark.parametrize("who", ["board_user", "mp_user"])
def test_the_kamerlid_updates_take_the_same_queries_for_one_or_three(client_for, request, board_user, who):
    client = client_for(request.getfixturevalue(who))
    url = reverse("kamerlid_updates")
    client.get(url)  # the person is read once, then from the cache

    def queries_with(count):
        while KamerlidUpdate.objects.count() < count:
            add_update(board_user)
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert all(f"Stand van zaken {number}" in page for number in range(count))
        return len(captured)

    assert queries_with(1) == queries_with(3)
