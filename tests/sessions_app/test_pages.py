"""What every sessions page and mail template holds to: no inline script, Dutch plurals."""

import re
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

import sessions_app
from sessions_app import services

from .conftest import MeetingFactory

TEMPLATES = Path(sessions_app.__file__).parent / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def test_sessions_templates_have_no_inline_handlers_or_scripts():
    # The Content-Security-Policy allows no inline script: an onclick would silently stop working.
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE_SCRIPT.finditer(path.read_text())
    ]

    assert offenders == []


def test_cancel_form_asks_for_confirmation_through_data_confirm(client_for, board_user, meeting):
    html = client_for(board_user).get(reverse("sessions_app:detail", args=[meeting.pk])).content.decode()

    cancel_url = reverse("sessions_app:cancel", args=[meeting.pk])
    assert (
        f'<form method="post" action="{cancel_url}" data-confirm="Deze sessie afgelasten en iedereen mailen?">' in html
    )


def test_feed_address_selects_itself_through_a_data_attribute(client_for, member_user):
    html = client_for(member_user).get(reverse("sessions_app:feed_settings")).content.decode()

    feed_input = re.search(r'<input id="feed-url"[^>]*>', html).group(0)
    assert "data-select-on-focus" in feed_input
    assert "onclick" not in html
    assert '<form method="post" class="mt-4" data-confirm="Een nieuw adres maken?' in html


def test_attendance_overview_counts_missed_meetings_in_dutch_singular_and_plural(client_for, board_user, members):
    first, second = (
        MeetingFactory(starts_at=timezone.now() - timedelta(days=days), is_physical=True, city="Den Haag")
        for days in (20, 10)
    )
    services.record_attendance(
        meeting=first, statuses={members[0].pk: "absent", members[1].pk: "absent"}, by=board_user
    )
    services.record_attendance(meeting=second, statuses={members[1].pk: "excused"}, by=board_user)

    html = client_for(board_user).get(reverse("sessions_app:attendance_overview")).content.decode()

    badges = re.findall(r'<span class="badge text-bg-danger"[^>]*>([^<]*)</span>', html)
    assert badges == ["1 fysieke sessie gemist", "2 fysieke sessies gemist"]
