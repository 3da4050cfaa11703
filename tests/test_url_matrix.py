"""Every URL of the platform, opened by every role: the roles table of the product, as data.

The cases are generated from the URL resolver: a pattern added without a row
in ``GET`` (and, if its view accepts POST, in ``POST``) fails here with its
name. The demo data is loaded once for the module, so every ``<pk>`` and
``<token>`` points at a real object; each test runs in its own savepoint on
top of it, so a POST changes nothing for the next one.

How to read a row: one expected outcome per role, in the order of ``ROLES``
(anonymous, Kamerlid, Deelnemer, Werving, Bestuur).

- ``LOGIN``: 302 to the login page.
- ``REDIRECT``: 302 somewhere else.
- ``OK`` (POST only): the role may do this; with the empty body we send, the
  answer is the page with a form error (200/400) or a redirect elsewhere.
- a number: exactly that status. 403 is a page the role may not use; 404 an
  object the role may not see (it must not learn that it exists); 405 a GET
  on an endpoint the role may POST to. A GET on a POST-only endpoint by a
  role that may not POST there answers 403/404 like the POST does: the
  permission is checked before the method.

The expectations follow the roles table in the product brief and the
predicates in each app's ``rules.py``, not what a view happens to answer.
"""

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from denktank.demo import DEMO_UPDATE_TOKEN
from denktank.models import KamerlidUpdate
from sessions_app.links import make_confirm_token, make_guest_token
from sessions_app.models import Guest, Reaction

from .demo_fixtures import ANONYMOUS, ROLES, add_walk_objects, load_demo_data

LOGIN = "302 to login"
REDIRECT = "302 elsewhere"
OK = "allowed"

# Anonymous, Kamerlid, Deelnemer, Werving, Bestuur.
A = (200, 200, 200, 200, 200)
BOARD_PAGE = (LOGIN, 403, 403, 403, 200)
BOARD_POST_ONLY = (LOGIN, 403, 403, 403, 405)
BOARD_POST = (LOGIN, 403, 403, 403, OK)
RECRUITER_PAGE = (LOGIN, 403, 403, 200, 200)
RECRUITER_POST_ONLY = (LOGIN, 403, 403, 405, 405)
RECRUITER_POST = (LOGIN, 403, 403, OK, OK)
ANY_ROLE_PAGE = (LOGIN, 200, 200, 200, 200)
REPORT_PAGE = (LOGIN, 200, 200, 403, 200)  # documents.view_progress: not Werving
WRITER_POST_ONLY = (LOGIN, 403, 405, 403, 405)  # Deelnemer (owner or discussing) and Bestuur
WRITER_POST = (LOGIN, 403, OK, 403, OK)

# Included URL trees left out, with why. Everything else must have a row.
EXCLUDED_PREFIXES = {
    # allauth's own views (login, logout, password reset, e-mail, two-factor):
    # their access rules are allauth's; the browser crawl visits the ones the
    # interface links to.
    "account/",
    # Django's admin site: staff only, with its own permission system.
    "admin/",
}

# Extra rows for a pattern whose outcome depends on which object it is:
# "<url name>~<variant>" uses its own kwargs below.
GET = {
    # denktank
    "home": A,
    "invite": BOARD_PAGE,
    # A bearer link from a mail: whoever holds it sees the set-password form.
    "invitation_accept": A,
    "outbox": BOARD_PAGE,
    "outbox_resend": BOARD_POST_ONLY,
    "outbox_unknown": BOARD_PAGE,
    # Without a selection the confirmation page says to select a mail.
    "outbox_unknown_resend": BOARD_PAGE,
    "audit_log": BOARD_PAGE,
    "people": BOARD_PAGE,
    "people_import": BOARD_PAGE,
    "person": BOARD_PAGE,
    "person_roles": BOARD_POST_ONLY,
    "person_active": BOARD_POST_ONLY,
    "person_invitation": BOARD_POST_ONLY,
    "person_two_factor": BOARD_POST_ONLY,
    # The Kamerlid reads the board's updates; members and recruiters do not.
    "kamerlid_updates": (LOGIN, 200, 403, 403, 200),
    "kamerlid_update_new": BOARD_PAGE,
    "kamerlid_update": (LOGIN, 200, 403, 403, 200),
    "set_language": (REDIRECT,) * 5,
    # members
    "members:apply": A,
    "members:applied": A,
    "members:privacy": A,
    "members:list": RECRUITER_PAGE,
    "members:composition": RECRUITER_PAGE,
    "members:decision_mails": RECRUITER_PAGE,
    "members:mail_template": BOARD_PAGE,
    "members:procedure": BOARD_POST_ONLY,
    "members:profiles": RECRUITER_PAGE,
    "members:profile_edit": BOARD_PAGE,
    "members:talent_notes": BOARD_PAGE,
    "members:detail": RECRUITER_PAGE,
    "members:score": RECRUITER_POST_ONLY,
    "members:conflict": RECRUITER_POST_ONLY,
    "members:stage": RECRUITER_POST_ONLY,
    "members:membership": RECRUITER_POST_ONLY,
    "members:select": RECRUITER_POST_ONLY,
    "members:leave": BOARD_POST_ONLY,
    "members:cv": RECRUITER_PAGE,
    "members:export": BOARD_PAGE,
    "members:erase": BOARD_POST_ONLY,
    # sessions_app
    "sessions_app:calendar": ANY_ROLE_PAGE,
    "sessions_app:new": BOARD_PAGE,
    "sessions_app:attendance_overview": BOARD_PAGE,
    "sessions_app:feed_settings": ANY_ROLE_PAGE,
    # A private feed is fetched by calendar apps without logging in: the token is the key.
    "sessions_app:feed": A,
    # The Deelnemer's answer link: the Deelnemer and anyone not logged in may
    # use it; someone logged in as another person is told the link is not
    # theirs (410).
    "sessions_app:answer_link": (200, 410, 200, 410, 410),
    "sessions_app:attachment": (LOGIN, 403, 200, 403, 200),  # view_attachments: members and board
    "sessions_app:detail": ANY_ROLE_PAGE,
    # Session 5 is online: the Kamerlid answers only for the physical meetings;
    # Werving and Bestuur are not participants.
    "sessions_app:rsvp": (LOGIN, 403, 405, 403, 403),
    "sessions_app:reschedule": BOARD_PAGE,
    "sessions_app:content": BOARD_PAGE,
    "sessions_app:minutes": BOARD_PAGE,
    "sessions_app:attendance": BOARD_PAGE,
    "sessions_app:attachment_upload": BOARD_PAGE,
    "sessions_app:cancel": BOARD_POST_ONLY,
    "sessions_app:ics": ANY_ROLE_PAGE,
    # The final presentation. The public registration and a guest's own pages
    # (bearer links from mails: whoever holds the link sees the page).
    "sessions_app:register": A,
    "sessions_app:registered": A,
    "sessions_app:guest_confirm": A,
    "sessions_app:guest": A,
    "sessions_app:guest_ics": A,
    "sessions_app:guest_cancel": A,
    "sessions_app:guest_reactions": A,
    # Members react logged in (react_to_recommendations: Deelnemer only).
    "sessions_app:member_reactions": (LOGIN, 403, 200, 403, 403),
    # Guest data and the reactions summary: the board only (manage_presentation).
    "sessions_app:presentation_manage": BOARD_PAGE,
    "sessions_app:presentation_attendance": BOARD_POST_ONLY,
    "sessions_app:presentation_export": BOARD_PAGE,
    "sessions_app:presentation_reactions": BOARD_PAGE,
    "sessions_app:reaction_taken_on": BOARD_POST_ONLY,
    # documents: "own" is Inleiding (owned by the Deelnemer, shared with the
    # Kamerlid); "other" is Vraag 2 (another member's, not shared).
    "documents:report": REPORT_PAGE,
    "documents:new_section": BOARD_POST_ONLY,
    "documents:recommendations": REPORT_PAGE,
    "documents:sources": REPORT_PAGE,
    "documents:source_new": (LOGIN, 403, 200, 403, 200),  # manage_sources: members and board
    "documents:source_edit": (LOGIN, 403, 200, 403, 200),
    "documents:exports": REPORT_PAGE,  # view_published
    "documents:export_status": BOARD_PAGE,
    # A concept export (no published version): the board's only.
    "documents:export_download": (LOGIN, 404, 404, 403, 200),
    # Before publishing, the board sees which sections are empty or not final, and confirms.
    "documents:publish": BOARD_PAGE,
    "documents:section": REPORT_PAGE,
    "documents:section~other": (LOGIN, 404, 200, 403, 200),
    "documents:edit": (LOGIN, 403, 200, 403, 200),
    "documents:edit~other": (LOGIN, 404, 403, 403, 200),
    "documents:autosave": WRITER_POST_ONLY,
    "documents:discard_draft": WRITER_POST_ONLY,
    # The Kamerlid reads; previewing a text is writing.
    "documents:preview": WRITER_POST_ONLY,
    "documents:history": REPORT_PAGE,
    "documents:restore": WRITER_POST_ONLY,
    "documents:comment": WRITER_POST_ONLY,
    "documents:resolve_comment": WRITER_POST_ONLY,
    "documents:amendment": (LOGIN, 403, 200, 403, 200),  # on the other member's section
    # A decided or open proposal on its own page: for those who discuss (not the Kamerlid).
    "documents:amendment_detail": (LOGIN, 403, 200, 403, 200),
    # Deciding a proposal is for the section's owners and the board.
    "documents:decide": (LOGIN, 404, 403, 403, 405),
    "documents:status": WRITER_POST_ONLY,
    "documents:settings": BOARD_POST_ONLY,
    "documents:move": BOARD_POST_ONLY,
    "documents:remove": BOARD_POST_ONLY,
}

POST = {
    # denktank
    "invite": BOARD_POST,
    "invitation_accept": (OK,) * 5,
    "outbox_resend": BOARD_POST,
    "outbox_unknown_resend": BOARD_POST,
    "people_import": BOARD_POST,
    "person_roles": BOARD_POST,
    "person_active": BOARD_POST,
    "person_invitation": BOARD_POST,
    "person_two_factor": BOARD_POST,
    "kamerlid_update_new": BOARD_POST,
    "set_language": (OK,) * 5,
    # members
    "members:apply": (OK,) * 5,
    "members:decision_mails": RECRUITER_POST,
    "members:mail_template": BOARD_POST,
    "members:procedure": BOARD_POST,
    "members:profile_edit": BOARD_POST,
    "members:talent_notes": BOARD_POST,
    "members:score": RECRUITER_POST,
    "members:conflict": RECRUITER_POST,
    "members:stage": RECRUITER_POST,
    "members:membership": RECRUITER_POST,
    "members:select": RECRUITER_POST,
    "members:leave": BOARD_POST,
    "members:erase": BOARD_POST,
    # sessions_app
    "sessions_app:new": BOARD_POST,
    "sessions_app:feed_settings": (LOGIN, OK, OK, OK, OK),
    "sessions_app:answer_link": (OK, 410, OK, 410, 410),
    "sessions_app:rsvp": (LOGIN, 403, OK, 403, 403),
    "sessions_app:reschedule": BOARD_POST,
    "sessions_app:content": BOARD_POST,
    "sessions_app:minutes": BOARD_POST,
    "sessions_app:attendance": BOARD_POST,
    "sessions_app:attachment_upload": BOARD_POST,
    "sessions_app:cancel": BOARD_POST,
    "sessions_app:register": (OK,) * 5,
    "sessions_app:guest_confirm": (OK,) * 5,
    "sessions_app:guest_cancel": (OK,) * 5,
    "sessions_app:guest_reactions": (OK,) * 5,
    "sessions_app:member_reactions": (LOGIN, 403, OK, 403, 403),
    "sessions_app:presentation_manage": BOARD_POST,
    "sessions_app:presentation_attendance": BOARD_POST,
    "sessions_app:reaction_taken_on": BOARD_POST,
    # documents
    "documents:new_section": BOARD_POST,
    "documents:recommendations": (LOGIN, 403, OK, 403, OK),
    "documents:source_new": (LOGIN, 403, OK, 403, OK),
    "documents:source_edit": (LOGIN, 403, OK, 403, OK),
    "documents:exports": BOARD_POST,  # starting an export
    "documents:publish": BOARD_POST,
    "documents:edit": WRITER_POST,
    "documents:edit~other": (LOGIN, 404, 403, 403, OK),
    "documents:autosave": WRITER_POST,
    "documents:discard_draft": WRITER_POST,
    "documents:preview": WRITER_POST,
    "documents:restore": WRITER_POST,
    "documents:comment": WRITER_POST,
    "documents:resolve_comment": WRITER_POST,
    "documents:amendment": WRITER_POST,
    "documents:decide": (LOGIN, 404, 403, 403, OK),
    "documents:status": WRITER_POST,
    "documents:settings": BOARD_POST,
    "documents:move": BOARD_POST,
    "documents:remove": BOARD_POST,
}

# The object behind each URL argument, taken from the demo data.
KWARGS = {
    **{
        name: lambda d: {"pk": d.users["deelnemer"].pk}
        for name in ["person", "person_roles", "person_active", "person_invitation", "person_two_factor"]
    },
    # The update the demo board sent (denktank.demo.load_after_apps).
    "kamerlid_update": lambda d: {"pk": KamerlidUpdate.objects.get(token=DEMO_UPDATE_TOKEN).pk},
    "invitation_accept": lambda d: {"token": d.invitation_token},
    "outbox_resend": lambda d: {"pk": d.outbox_mail.pk},
    "members:mail_template": lambda d: {"key": d.mail_template.key},
    "members:profile_edit": lambda d: {"pk": d.profile.pk},
    **{
        f"members:{name}": lambda d: {"pk": d.application.pk}
        for name in ["detail", "score", "conflict", "stage", "membership", "select", "leave", "cv", "export", "erase"]
    },
    "sessions_app:feed": lambda d: {"token": d.feed_token},
    "sessions_app:answer_link": lambda d: {"token": d.answer_token},
    "sessions_app:attachment": lambda d: {"pk": d.attachment.pk},
    **{
        f"sessions_app:{name}": lambda d: {"pk": d.next_meeting.pk}
        for name in ["detail", "rsvp", "reschedule", "content", "cancel", "ics", "attachment_upload"]
    },
    # Minutes and attendance belong to a meeting that was held.
    "sessions_app:minutes": lambda d: {"pk": d.past_meeting.pk},
    "sessions_app:attendance": lambda d: {"pk": d.past_meeting.pk},
    # The demo's unconfirmed guest confirms; the demo's guest with a place and a reaction opens the rest.
    "sessions_app:guest_confirm": lambda d: {
        "token": make_confirm_token(Guest.objects.get(email="eva.smit@voorbeeld.test"))
    },
    **{
        f"sessions_app:{name}": lambda d: {
            "token": make_guest_token(Guest.objects.get(email="anouk.devries@voorbeeld.test"))
        }
        for name in ["guest", "guest_ics", "guest_cancel", "guest_reactions"]
    },
    "sessions_app:reaction_taken_on": lambda d: {"pk": Reaction.objects.exclude(comment="").order_by("pk").first().pk},
    "documents:source_edit": lambda d: {"pk": d.source.pk},
    "documents:export_status": lambda d: {"pk": d.concept_export.pk},
    "documents:export_download": lambda d: {"pk": d.concept_export.pk},
    **{
        f"documents:{name}": lambda d: {"pk": d.own_section.pk}
        for name in [
            "section",
            "edit",
            "autosave",
            "discard_draft",
            "preview",
            "history",
            "comment",
            "status",
            "settings",
            "move",
            "remove",
        ]
    },
    "documents:section~other": lambda d: {"pk": d.other_section.pk},
    "documents:edit~other": lambda d: {"pk": d.other_section.pk},
    "documents:restore": lambda d: {"pk": d.own_section.pk, "number": d.own_revision_number},
    "documents:resolve_comment": lambda d: {"pk": d.own_section.pk, "comment_pk": d.own_comment.pk},
    "documents:amendment": lambda d: {"pk": d.other_section.pk},
    "documents:amendment_detail": lambda d: {"pk": d.other_section.pk, "amendment_pk": d.other_amendment.pk},
    "documents:decide": lambda d: {"pk": d.other_section.pk, "amendment_pk": d.other_amendment.pk},
}


def url_patterns(resolvers=None, prefix="", namespace=""):
    """(full name, route, view class or None, has URL arguments) of every named pattern outside the exclusions."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route in EXCLUDED_PREFIXES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name and not route.startswith(tuple(EXCLUDED_PREFIXES)):
            yield (
                namespace + entry.name,
                route,
                getattr(entry.callback, "view_class", None),
                bool(entry.pattern.converters),
            )


PATTERNS = {name: (route, view_class, has_args) for name, route, view_class, has_args in url_patterns()}


def accepts_post(name):
    view_class = PATTERNS[name][1]
    # A function view (set_language) decides for itself: it needs a POST row.
    return view_class is None or hasattr(view_class, "post")


def cases(table):
    """Every row of the table plus a case for each pattern that has no row (it fails, naming the pattern)."""
    names = set(table) | set(PATTERNS if table is GET else filter(accepts_post, PATTERNS))
    return sorted(names)


def params(table):
    return [pytest.param(case, role, id=f"{case}-{role}") for case in cases(table) for role in ROLES]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data, loaded once in a transaction that is rolled back after the module.

    Each test's own transaction is a savepoint inside this one, like
    ``TestCase.setUpTestData``: the tests see the data, nothing they change
    survives them, and no other test module ever sees the demo data.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        objects = None
        try:
            load_demo_data()
            objects = add_walk_objects()
            yield objects
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            if objects:
                objects.delete_files()


def url_for(case, demo):
    name = case.split("~")[0]
    if name not in PATTERNS:
        pytest.fail(f"{case}: the row names a URL pattern that no longer exists")
    kwargs = KWARGS[case](demo) if case in KWARGS else {}
    if PATTERNS[name][2] and not kwargs:
        pytest.fail(f"{case}: URL pattern {PATTERNS[name][0]!r} has arguments but no entry in KWARGS")
    return reverse(name, kwargs=kwargs)


def outcome(response):
    if response.status_code == 302:
        location = response["Location"].split("?")[0]
        return LOGIN if location.endswith(reverse("account_login")) else REDIRECT
    return response.status_code


def request_as(client, demo, role, method, url):
    if role != ANONYMOUS:
        client.force_login(demo.users[role])
    response = getattr(client, method)(url)
    if response.streaming:
        # Read the file through the client's wrapper: closing the response
        # directly would fire request_finished, which closes the database
        # connection and with it the module's transaction.
        b"".join(response.streaming_content)
    return response


def describe(response):
    where = f" → {response['Location']}" if response.status_code in (301, 302) else ""
    return f"{response.status_code}{where}"


@pytest.mark.parametrize(("case", "role"), params(GET))
def test_get(case, role, demo, client, db):
    if case not in GET:
        pytest.fail(f"URL pattern {case!r} ({PATTERNS[case][0]}) has no row in GET in tests/test_url_matrix.py")
    expected = GET[case][ROLES.index(role)]
    url = url_for(case, demo)

    response = request_as(client, demo, role, "get", url)

    got = outcome(response)
    assert response.status_code < 500, f"GET {url} as {role}: server error {response.status_code}"
    assert got == expected, f"GET {url} as {role}: expected {expected}, got {describe(response)}"


@pytest.mark.parametrize(("case", "role"), params(POST))
def test_post(case, role, demo, client, db):
    if case not in POST:
        pytest.fail(f"URL pattern {case!r} ({PATTERNS[case][0]}) accepts POST but has no row in POST")
    expected = POST[case][ROLES.index(role)]
    url = url_for(case, demo)

    response = request_as(client, demo, role, "post", url)

    got = outcome(response)
    assert response.status_code < 500, f"POST {url} as {role}: server error {response.status_code}"
    if expected == OK:
        assert got in (200, 400, REDIRECT), f"POST {url} as {role}: expected {OK}, got {describe(response)}"
    else:
        assert got == expected, f"POST {url} as {role}: expected {expected}, got {describe(response)}"


def test_every_row_names_a_url_pattern():
    stale = [case for case in [*GET, *POST, *KWARGS] if case.split("~")[0] not in PATTERNS]
    assert stale == [], f"rows for URL patterns that no longer exist: {stale}"


def test_every_url_pattern_has_its_rows():
    without_get = sorted(name for name in PATTERNS if name not in GET)
    without_post = sorted(name for name in PATTERNS if accepts_post(name) and name not in POST)
    assert (without_get, without_post) == ([], []), (
        f"URL patterns without a GET row: {without_get}; accepting POST without a POST row: {without_post}"
    )
