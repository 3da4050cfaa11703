"""Read pages come from the cache until something they show changes (denktank.page_cache).

These tests commit for real (``transaction=True``): the data versions change
when a write commits, which never happens inside a test's own transaction.
"""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from denktank import audit, page_cache
from denktank.cache import FallbackRedisCache, FileCache
from denktank.models import AuditEntry
from documents import selectors
from documents.models import Comment, Section

from ..concurrency import requires_postgresql
from ..conftest import PASSWORD, session_cookie
from ..members.conftest import ApplicationFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def member(client_for, member_user):
    return client_for(member_user)


def warm(client, url):
    """Open a page as a browser does: the first answer sets the CSRF cookie, the second is kept."""
    client.get(url)
    return client.get(url).content.decode()


def view(client, url, **headers):
    """The page and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def first_section():
    return Section.objects.order_by("position", "pk").first()


def test_a_page_seen_before_comes_from_the_cache_without_queries(member):
    report = reverse("documents:report")
    kept = warm(member, report)

    page, queries = view(member, report)

    assert (page, queries) == (kept, 0)


def rename_with_save(section):
    section.title = "Werk in verandering"
    section.save()


def rename_with_update(section):
    # QuerySet.update() sends no signal: the write is noticed where the SQL runs.
    Section.objects.filter(pk=section.pk).update(title="Werk in verandering")


def rename_with_sql(section):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE documents_section SET title = %s WHERE id = %s", ["Werk in verandering", section.pk])


def rename_in_a_transaction(section):
    with transaction.atomic():
        Section.objects.filter(pk=section.pk).update(title="Tijdelijk")
        Section.objects.filter(pk=section.pk).update(title="Werk in verandering")


@pytest.mark.parametrize("rename", [rename_with_save, rename_with_update, rename_with_sql, rename_in_a_transaction])
def test_every_kind_of_committed_write_shows_on_the_next_view(member, rename):
    report = reverse("documents:report")
    warm(member, report)

    rename(first_section())
    page, queries = view(member, report)

    assert "Werk in verandering" in page
    assert queries > 0


def test_a_rolled_back_write_or_one_that_changes_no_row_keeps_the_page(member):
    report = reverse("documents:report")
    kept = warm(member, report)
    before = page_cache.versions([page_cache.DATA])

    with pytest.raises(RuntimeError), transaction.atomic():
        Section.objects.filter(pk=first_section().pk).update(title="Nooit gebeurd")
        raise RuntimeError
    Section.objects.filter(pk=-1).update(title="Niemand")

    assert page_cache.versions([page_cache.DATA]) == before
    assert view(member, report) == (kept, 0)


def test_a_new_comment_and_its_message_show_at_once(member):
    section = first_section()
    url = reverse("documents:section", args=[section.pk])
    warm(member, url)

    posted = member.post(reverse("documents:comment", args=[section.pk]), {"text": "Eerst de cijfers."}, follow=True)
    page = posted.content.decode()

    assert Comment.objects.get().text == "Eerst de cijfers."
    assert "Eerst de cijfers." in page
    assert "Reactie geplaatst." in page
    # The page with the message was not kept: the next view has the comment and no message.
    assert "Reactie geplaatst." not in warm(member, url)


def test_every_person_gets_their_own_page(client, member_user, mp_user):
    """Two people in one browser (same CSRF cookie), with no write in between: each gets their own page."""
    karin = session_cookie(mp_user)  # logged in before, so her login writes nothing now
    client.force_login(member_user)
    warm(client, "/")

    client.cookies[karin["name"]] = karin["value"]
    page, queries = view(client, "/")

    assert "Karin" in page and "Dirk" not in page
    assert queries > 0


def test_a_browser_without_csrf_cookie_is_answered_afresh(member):
    report = reverse("documents:report")
    warm(member, report)

    del member.cookies["csrftoken"]
    _, queries = view(member, report)

    assert queries > 0


def test_an_htmx_request_is_answered_afresh(member):
    report = reverse("documents:report")
    warm(member, report)

    _, queries = view(member, report, headers={"HX-Request": "true"})

    assert queries > 0


def test_a_new_minute_renders_the_page_afresh(member, monkeypatch):
    report = reverse("documents:report")
    warm(member, report)
    now = page_cache.time.time()

    monkeypatch.setattr(page_cache.time, "time", lambda: now + 60)
    _, queries = view(member, report)

    assert queries > 0


def test_looking_at_an_applicant_is_logged_every_time_and_leaves_other_pages_cached(client, recruiter_user):
    client.force_login(recruiter_user)
    application = ApplicationFactory()
    detail = reverse("members:detail", args=[application.pk])
    applicants = reverse("members:list")
    kept = warm(client, applicants)
    warm(client, detail)
    data = page_cache.versions([page_cache.DATA])

    page, queries = view(client, detail)

    assert application.name in page
    assert AuditEntry.objects.filter(action="application.viewed").count() == 3
    assert queries == 2  # the applicant and the audit entry; the page from the cache
    assert page_cache.versions([page_cache.DATA]) == data
    assert view(client, applicants) == (kept, 0)


def test_the_audit_log_shows_a_new_entry_at_once(client, board_user):
    client.force_login(board_user)
    warm(client, reverse("audit_log"))

    audit.record(action="application.viewed", actor=board_user)
    page, queries = view(client, reverse("audit_log"))

    assert "Aanmelding bekeken" in page
    assert queries > 0


def request_with_csrf_cookie(user):
    """A GET request as the page cache sees it: past the middleware that reads the data versions."""
    request = RequestFactory().get("/einddocument/")
    request.user = user
    request.META["CSRF_COOKIE"] = "a" * 32
    page_cache.VersionsMiddleware(lambda request: None)(request)
    return request


def test_no_page_is_kept_while_the_request_has_uncommitted_writes(member_user):
    request = request_with_csrf_cookie(member_user)
    assert page_cache.page_key(request, [page_cache.DATA]) is not None

    with transaction.atomic():
        Section.objects.filter(pk=first_section().pk).update(title="Nog niet vastgelegd")
        assert page_cache.page_key(request, [page_cache.DATA]) is None


def test_no_page_is_kept_while_the_shared_cache_is_away(monkeypatch, member_user):
    unreachable = FallbackRedisCache("redis://127.0.0.1:1/0", {})
    monkeypatch.setattr(page_cache, "store", lambda: unreachable)

    request = request_with_csrf_cookie(member_user)

    assert page_cache.page_key(request, [page_cache.DATA]) is None


def test_a_write_committed_after_the_view_read_its_data_shows_on_the_next_view(member, monkeypatch):
    """The versions are read as the request comes in: the section page loads its section before the key is made."""
    section = first_section()
    url = reverse("documents:section", args=[section.pk])
    warm(member, url)
    page_cache.changed(page_cache.DATA)
    make_key = page_cache.page_key

    def rename_then_make_key(request, areas):
        Section.objects.filter(pk=section.pk).update(title="Werk in verandering")
        return make_key(request, areas)

    monkeypatch.setattr(page_cache, "page_key", rename_then_make_key)
    rendered_before_the_write = member.get(url).content.decode()
    monkeypatch.undo()

    page, queries = view(member, url)

    assert "Werk in verandering" not in rendered_before_the_write
    assert "Werk in verandering" in page
    assert queries > 0


def test_a_page_asked_for_as_json_is_not_kept_and_not_served(client):
    """allauth answers its pages in JSON to a JSON request; the browser's next HTML view is not that answer."""
    login = reverse("account_login")
    kept = warm(client, login)

    as_json = client.get(login, headers={"Accept": "application/json"})
    page = client.get(login)
    again = client.get(login)

    assert as_json["Content-Type"] == "application/json"
    assert page["Content-Type"].startswith("text/html")
    assert again.content.decode() == page.content.decode() == kept


def test_the_login_page_of_a_login_waiting_for_its_two_factor_code_is_not_the_kept_form(client, board_user):
    login = reverse("account_login")
    warm(client, login)

    sent = client.post(login, {"login": board_user.email, "password": PASSWORD})
    again = client.get(login)

    assert sent.status_code == 302 and sent["Location"] == reverse("mfa_authenticate")
    assert (again.status_code, again["Location"]) == (302, reverse("mfa_authenticate"))


def test_a_broken_page_cache_neither_fails_a_write_nor_stops_the_other_commit_work(member, monkeypatch):
    class Broken:
        shared = True

        def __getattr__(self, name):
            raise OSError("disk full")

    monkeypatch.setattr(page_cache, "store", lambda: Broken())
    after_commit = []

    with transaction.atomic():
        Section.objects.filter(pk=first_section().pk).update(title="Werk in verandering")
        transaction.on_commit(lambda: after_commit.append("ran"))
    Section.objects.filter(pk=first_section().pk).update(title="Werk en AI")
    page = member.get(reverse("documents:report"))

    assert first_section().title == "Werk en AI"
    assert after_commit == ["ran"]
    assert page.status_code == 200 and "Werk en AI" in page.content.decode()


def test_kept_pages_whose_time_is_up_leave_the_file_cache(tmp_path):
    pages = FileCache(tmp_path, {})
    pages.set("page:old", "Aanmelder 0001, 06 12345678", -1)
    pages.set("page:new", "Aanmelder 0002", 120)

    removed = pages.delete_expired()

    assert removed == 1
    assert [pages.get("page:old"), pages.get("page:new")] == [None, "Aanmelder 0002"]
    assert len(list(tmp_path.iterdir())) == 1


def test_a_write_committed_while_a_page_renders_shows_on_the_next_view(member, monkeypatch):
    """The page rendered from the old data is kept under the old version, which no one asks for again."""
    requires_postgresql()
    report = reverse("documents:report")
    warm(member, report)
    section = first_section()
    data_read, renamed = threading.Event(), threading.Event()
    read_sections = selectors.section_tree

    def section_tree_then_wait(**kwargs):
        tree = read_sections(**kwargs)
        data_read.set()
        renamed.wait(timeout=10)
        return tree

    def rename():
        data_read.wait(timeout=10)
        Section.objects.filter(pk=section.pk).update(title="Werk in verandering")
        renamed.set()

    monkeypatch.setattr(selectors, "section_tree", section_tree_then_wait)
    page_cache.changed(page_cache.DATA)  # the report is rendered, not read from the cache
    writer = threading.Thread(target=lambda: (rename(), connections.close_all()))
    writer.start()
    rendered_before_the_write = member.get(report).content.decode()
    writer.join(timeout=10)
    monkeypatch.undo()

    page, queries = view(member, report)

    assert section.title in rendered_before_the_write
    assert "Werk in verandering" not in rendered_before_the_write
    assert "Werk in verandering" in page
    assert queries > 0
