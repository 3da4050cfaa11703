"""The Kamerlid updates, as the board and the Kamerlid list them, take the same queries for one or three."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from denktank.models import KamerlidUpdate

from ..queries import flat


@pytest.mark.parametrize("who", ["board_user", "mp_user"])
def test_the_kamerlid_updates_take_the_same_queries_for_one_or_three(client_for, request, board_user, who):
    client = client_for(request.getfixturevalue(who))
    url = reverse("kamerlid_updates")

    def make():
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

    counts = flat(client, url, make, KamerlidUpdate.objects.count)

    assert counts[0] == counts[1]
    page = client.get(url).content.decode()
    assert all(f"Stand van zaken {number}" in page for number in range(3))
