"""The board's reactions page takes the same queries for one reaction as for three."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions_app.models import Reaction

from .conftest import confirmed


def test_the_reactions_page_takes_the_same_queries_for_one_or_three(
    client_for, presentation, recommendations, board_user
):
    client = client_for(board_user)
    url = reverse("sessions_app:presentation_reactions")
    client.get(url)  # the person is read once, then from the cache

    def queries_with(count):
        while Reaction.objects.count() < count:
            number = Reaction.objects.count()
            Reaction.objects.create(
                recommendation=recommendations[number % 2],
                respondent=Reaction.Respondent.GUEST,
                guest=confirmed(presentation, email=f"r{number}@example.org", name=f"Gast {number}"),
                stance=Reaction.Stance.SUPPORT,
                comment=f"Opmerking {number}",
            )
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert all(f"Opmerking {number}" in page for number in range(count))
        return len(captured)

    assert queries_with(1) == queries_with(3)
