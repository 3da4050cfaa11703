"""The floor of every request: a logged-in page reads the user and their roles from the cache, and nothing else."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone

from denktank import audit, middleware, rules, services
from denktank.backends import user_key
from denktank.demo import DEMO_TOTP_SECRET
from denktank.models import Invitation, Role
from denktank.urls import urlpatterns as site_urlpatterns

from ..factories import UserFactory
from ..queries import flat


def bare(request):
    return HttpResponse("ok")


# The site plus the barest pages there are: what every request costs before the page's own work.
urlpatterns = [
    path("kaal/", bare, name="bare"),
    path("kaal/anoniem/", login_not_required(bare), name="bare_anonymous"),
    *site_urlpatterns,
]


def tables(queries) -> list[str]:
    """The table each query reads or writes first, in order."""
    found = (re.search(r'(?:FROM|INTO|UPDATE) "?(\w+)', query["sql"]) for query in queries.captured_queries)
    return [match.group(1) if match else "" for match in found]


@pytest.mark.urls(__name__)
def test_an_anonymous_request_reads_nothing(client, db):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/kaal/anoniem/").content == b"ok"

    assert len(queries) == 0


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("fixture", ["member_user", "mp_user", "recruiter_user", "board_user"])
def test_a_logged_in_request_reads_the_user_and_the_roles_once_then_from_the_cache(client_for, request, fixture):
    user = request.getfixturevalue(fixture)
    client = client_for(user)
    cache.delete(user_key(user.pk))
    with CaptureQueriesContext(connection) as first:
        client.get("/kaal/")  # a privileged session also stores its activity time once

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/kaal/").content == b"ok"

    assert tables(first)[:2] == ["denktank_user", "auth_group"]
    # The two-factor check of Bestuur and Werving was answered at login and kept in the session.
    assert tables(queries) == []


@pytest.mark.urls(__name__)
def test_a_deactivated_person_is_out_at_the_next_request(client_for, member_user, board_user):
    client = client_for(member_user)
    assert client.get("/kaal/").wsgi_request.user == member_user

    services.deactivate_person(person=member_user, by=board_user)

    assert not client.get("/kaal/").wsgi_request.user.is_authenticated


@pytest.mark.urls(__name__)
def test_a_reactivated_person_is_back_at_once(client_for, member_user, board_user):
    client = client_for(member_user)
    services.deactivate_person(person=member_user, by=board_user)
    assert not client.get("/kaal/").wsgi_request.user.is_authenticated
    client = client_for(member_user)

    services.reactivate_person(person=member_user, by=board_user)

    assert client.get("/kaal/").wsgi_request.user == member_user


@pytest.mark.parametrize("change", ["service", "group_side", "clear"])
def test_a_changed_role_counts_from_the_next_request(client_for, member_user, board_user, change):
    client = client_for(member_user)
    assert client.get(reverse("people")).status_code == 403

    if change == "service":
        services.set_roles(person=member_user, roles=[Role.DEELNEMER, Role.BESTUUR], by=board_user)
    elif change == "group_side":
        Group.objects.get(name=Role.BESTUUR).user_set.add(member_user)
    else:
        member_user.groups.clear()
        member_user.groups.add(Group.objects.get(name=Role.BESTUUR))

    # Bestuur must set up two-factor login first: the new role is seen.
    assert client.get(reverse("people")).url == reverse("mfa_activate_totp")


def test_a_refused_rule_reads_no_permission_tables_for_a_non_staff_person(member_user):
    assert member_user.roles == {Role.DEELNEMER}
    with CaptureQueriesContext(connection) as queries:
        assert not member_user.has_perm("denktank.manage_people")

    assert tables(queries) == []


@pytest.mark.urls(__name__)
def test_two_factor_is_looked_up_once_per_session_once_it_is_set_up(client_for, db):
    recruiter = UserFactory(roles=[Role.WERVING])
    client = client_for(recruiter)
    assert client.get("/kaal/").url == reverse("mfa_activate_totp")

    TOTP.activate(recruiter, DEMO_TOTP_SECRET)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/kaal/").status_code == 200
    with CaptureQueriesContext(connection) as later:
        assert client.get("/kaal/").status_code == 200

    assert "mfa_authenticator" in tables(first)
    assert "mfa_authenticator" not in tables(later)
    assert client.session[middleware.TWO_FACTOR_SEEN_KEY] == recruiter.pk


@pytest.mark.urls(__name__)
def test_a_new_login_looks_at_two_factor_again(client_for, board_user):
    client = client_for(board_user)
    assert client.get("/kaal/").status_code == 200

    Authenticator.objects.filter(user=board_user).delete()
    client.force_login(board_user)

    assert client.get("/kaal/").url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("fixture", ["member_user", "mp_user", "recruiter_user", "board_user"])
def test_the_dashboard_reads_the_roles_once(client_for, request, fixture):
    client = client_for(request.getfixturevalue(fixture))
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200

    # The roles of the user came from the cache with the user (other queries
    # may join the same table, e.g. to count people per role).
    own_roles = re.compile(r'"denktank_user_groups"\."user_id" = (%s|\d+)')
    reading_roles = [query for query in queries.captured_queries if own_roles.search(query["sql"])]
    assert len(reading_roles) == 0


def test_roles_follow_a_change_on_the_same_user(member_user, board_user):
    assert (rules.is_member(member_user), rules.is_board(member_user)) == (True, False)

    services.set_roles(person=member_user, roles=[Role.KAMERLID], by=board_user)

    assert (rules.is_member(member_user), rules.is_mp(member_user)) == (False, True)


def test_the_audit_log_queries_do_not_grow(client_for, board_user):
    from denktank.models import AuditEntry

    counts = flat(
        client_for(board_user),
        reverse("audit_log"),
        lambda: audit.record(action="invitation.sent", actor=board_user, target=UserFactory()),
        AuditEntry.objects.count,
    )
    assert counts[0] == counts[1]


def test_the_invitations_queries_do_not_grow(client_for, board_user):
    def make():
        Invitation.objects.create(
            user=UserFactory(),
            role=Role.DEELNEMER,
            token_hash=f"{Invitation.objects.count():064d}",
            invited_by=board_user,
            expires_at=timezone.now() + timedelta(days=7),
        )

    counts = flat(client_for(board_user), reverse("invite"), make, Invitation.objects.count)
    assert counts[0] == counts[1]
