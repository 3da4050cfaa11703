"""The board's reactions page takes the same queries for one reaction as for three."""

from django.urls import reverse

from sessions_app.models import Reaction

from ...queries import flat
from .conftest import confirmed


def test_the_reactions_page_takes_the_same_queries_for_one_or_three(
    client_for, presentation, recommendations, board_user
):
    client = client_for(board_user)
    url = reverse("sessions_app:presentation_reactions")

    def make():
        number = Reaction.objects.count()
        Reaction.objects.create(
            recommendation=recommendations[number % 2],
            respondent=Reaction.Respondent.GUEST,
            guest=confirmed(presentation, email=f"r{number}@example.org", name=f"Gast {number}"),
            stance=Reaction.Stance.SUPPORT,
            comment=f"Opmerking {number}",
        )

    counts = flat(client, url, make, Reaction.objects.count)

    assert counts[0] == counts[1]
    page = client.get(url).content.decode()
    assert all(f"Opmerking {number}" in page for number in range(3))
