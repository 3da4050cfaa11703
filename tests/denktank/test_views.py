import re

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank import audit, rules
from denktank.models import OutgoingMail

from ..factories import UserFactory


def test_anonymous_visitor_sees_the_public_page(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "denktank/public.html"
    assert "Vrijheid, Werk en AI: een liberale heroriëntatie" in response.content.decode()


@pytest.mark.parametrize("url", ["/outbox/", "/uitnodigen/", "/logboek/", "/account/email/"])
def test_anonymous_visitor_is_sent_to_login(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/account/login/?next={url}"


def test_pages_speak_dutch_by_default_and_english_on_request(client, db):
    assert '<h1 class="h3 mb-3">Inloggen</h1>' in client.get(reverse("account_login")).content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert '<h1 class="h3 mb-3">Log in</h1>' in client.get(reverse("account_login")).content.decode()


@pytest.mark.parametrize(
    ("fixture", "heading"),
    [
        ("board_user", "Dashboard Bestuur"),
        ("recruiter_user", "Dashboard Werving"),
        ("member_user", "Dashboard Deelnemer"),
        ("mp_user", "Dashboard Kamerlid"),
    ],
)
def test_each_role_sees_its_dashboard(client_for, request, fixture, heading):
    content = client_for(request.getfixturevalue(fixture)).get(reverse("home")).content.decode()

    headings = ["Dashboard Bestuur", "Dashboard Werving", "Dashboard Deelnemer", "Dashboard Kamerlid"]
    assert [h for h in headings if h in content] == [heading]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("board_user", {"is_board": True, "is_recruiter": True, "is_member": False, "is_mp": False}),
        ("recruiter_user", {"is_board": False, "is_recruiter": True, "is_member": False, "is_mp": False}),
        ("member_user", {"is_board": False, "is_recruiter": False, "is_member": True, "is_mp": False}),
        ("mp_user", {"is_board": False, "is_recruiter": False, "is_member": False, "is_mp": True}),
    ],
)
def test_role_predicates(request, fixture, expected):
    user = request.getfixturevalue(fixture)

    assert {name: getattr(rules, name)(user) for name in expected} == expected
    assert rules.requires_two_factor(user) is expected["is_recruiter"]


def test_role_predicates_for_anonymous(db):
    assert [rules.is_board(AnonymousUser()), rules.is_member(AnonymousUser())] == [False, False]


def test_member_gets_a_dutch_403_on_board_pages(client_for, member_user):
    response = client_for(member_user).get(reverse("outbox"))

    assert response.status_code == 403
    assert "Je rol geeft geen toegang tot deze pagina." in response.content.decode()


def make_mails(count):
    for number in range(count):
        OutgoingMail.objects.create(
            to=f"p{number}@example.nl", subject="S", body_text="T", idempotency_key=f"k{number}"
        )


def test_outbox_list_runs_the_same_number_of_queries_for_1_and_3_mails(client_for, board_user):
    client = client_for(board_user)
    # The first request of a board member's session stores its activity time.
    client.get(reverse("home"))
    counts = []
    for total in (1, 3):
        OutgoingMail.objects.all().delete()
        make_mails(total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("outbox"))
        assert len(response.context["object_list"]) == total
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_outbox_resend_by_the_board(client_for, board_user, django_capture_on_commit_callbacks):
    OutgoingMail.objects.create(to="a@example.nl", subject="S", body_text="T", idempotency_key="k", status="failed")
    client = client_for(board_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("outbox_resend", args=[OutgoingMail.objects.get().pk]))

    assert response.status_code == 302
    assert list(OutgoingMail.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "sent"]


def test_audit_log_lists_entries_for_the_board(client_for, board_user):
    other = UserFactory(name="Anna")
    audit.record(action="invitation.sent", actor=board_user, target=other)
    client = client_for(board_user)  # logging in writes an entry too

    response = client.get(reverse("audit_log"))

    assert [(e.action, e.target_repr) for e in response.context["object_list"]] == [
        ("login", "Bea Bestuur"),
        ("invitation.sent", "Anna"),
    ]


def test_outbox_offers_no_copy_of_a_mail_with_a_login_link(client_for, board_user):
    OutgoingMail.objects.create(
        to="a@example.nl", subject="Link", body_text="T", idempotency_key="a", status="failed", sensitive=True
    )
    plain = OutgoingMail.objects.create(
        to="b@example.nl", subject="Info", body_text="T", idempotency_key="b", status="failed"
    )
    client = client_for(board_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    content = client.get(reverse("outbox")).content.decode()

    assert re.findall(r'action="(/outbox/\d+/opnieuw/)"', content) == [reverse("outbox_resend", args=[plain.pk])]
    assert 'Send a new copy<span class="visually-hidden"> to b@example.nl</span></button>' in content
    assert "Contained a login link: invite the person again." in content


def test_resend_of_a_mail_with_a_login_link_is_refused(client_for, board_user):
    row = OutgoingMail.objects.create(
        to="a@example.nl", subject="Link", body_text="T", idempotency_key="a", status="unknown", sensitive=True
    )
    client = client_for(board_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(reverse("outbox_resend", args=[row.pk]))

    assert response.url == reverse("outbox")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This mail contained a personal login link and cannot be sent again. Invite the person again instead."
    ]
    assert list(OutgoingMail.objects.values_list("pk", flat=True)) == [row.pk]


def test_messages_are_one_live_region(client_for, board_user):
    OutgoingMail.objects.create(to="a@example.nl", subject="S", body_text="T", idempotency_key="k", status="failed")
    client = client_for(board_user)

    response = client.post(reverse("outbox_resend", args=[OutgoingMail.objects.get().pk]), follow=True)

    content = response.content.decode()
    messages_html = content[content.index('<div class="messages"') : content.index("<h1>")]
    assert re.findall(r'role="(\w+)"', messages_html) == ["status"]
    assert messages_html.count('class="alert alert-success') == 1
