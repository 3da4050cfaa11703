"""Content-Security-Policy: sent on every response, and the shared script works under it."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import RequestContext, Template
from django.urls import path, reverse
from playwright.sync_api import expect

from denktank.urls import urlpatterns as site_urlpatterns

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def parse_policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    ("fixture", "url", "status"),
    [
        (None, "/", 200),
        (None, "/account/login/", 200),
        (None, "/outbox/", 302),
        (None, "/bestaat-niet/", 404),
        ("board_user", "/outbox/", 200),
        ("member_user", "/outbox/", 403),
    ],
)
def test_every_response_carries_the_content_security_policy(client, client_for, request, fixture, url, status):
    if fixture:
        client = client_for(request.getfixturevalue(fixture))

    response = client.get(url)

    assert response.status_code == status
    assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY


def test_policy_allows_no_inline_or_eval_script(client, db):
    policy = parse_policy(client.get("/")["Content-Security-Policy"])

    script_sources = policy["script-src"] + policy["default-src"]
    assert "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources
    assert all(
        source in ("'self'", "'none'", "data:", "'unsafe-inline'") for values in policy.values() for source in values
    )


def test_base_page_configures_htmx_without_eval_or_injected_styles(client, db):
    html = client.get("/").content.decode()

    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in html
    assert html.index('name="htmx-config"') < html.index("vendor/htmx/htmx.min.js")
    assert '<script src="/static/js/denktank.js"></script>' in html


# --- In the browser --------------------------------------------------------

submitted = []

PAGE = Template(
    """{% extends "base.html" %}{% block content %}
    {% if request.GET.ontvangen %}<p id="done">ontvangen</p>{% endif %}
    <form method="post" action="/probe/" data-confirm="Weet je het zeker?">{% csrf_token %}
      <button type="submit" name="choice" value="remove">Verwijderen</button>
    </form>
    <label for="feed">Adres</label>
    <input id="feed" value="https://example.nl/agenda.ics" readonly data-select-on-focus>
    {% endblock %}"""
)


@login_not_required
def probe(request):
    if request.method == "POST":
        submitted.append(request.POST["choice"])
        return redirect("/probe/?ontvangen=1")
    return HttpResponse(PAGE.render(RequestContext(request, {})))


urlpatterns = [*site_urlpatterns, path("probe/", probe)]


@pytest.fixture
def browser_page(page):
    """A page that records CSP violations and console errors."""
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    return page


@pytest.mark.browser
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_confirmation_is_asked_and_a_no_cancels_the_submit(browser_page, live_server):
    submitted.clear()
    page = browser_page
    page.goto(f"{live_server.url}/probe/")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Verwijderen").click()
    page.wait_for_timeout(300)
    assert (questions, submitted, page.url) == (["Weet je het zeker?"], [], f"{live_server.url}/probe/")

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Verwijderen").click()
    expect(page.locator("#done")).to_have_text("ontvangen")
    assert (questions, submitted) == (["Weet je het zeker?", "Weet je het zeker?"], ["remove"])
    assert page.problems == []


@pytest.mark.browser
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_field_text_is_selected_on_focus_and_click(browser_page, live_server):
    page = browser_page
    page.goto(f"{live_server.url}/probe/")
    selection = (
        "() => { const f = document.getElementById('feed'); return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )

    page.get_by_label("Adres").click()
    assert page.evaluate(selection) == "https://example.nl/agenda.ics"

    page.evaluate("() => document.getElementById('feed').setSelectionRange(0, 0)")
    page.get_by_label("Adres").click()
    assert page.evaluate(selection) == "https://example.nl/agenda.ics"
    assert page.problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_public_and_login_pages_run_under_the_policy_without_violations(browser_page, live_server):
    page = browser_page

    for url in ("/", reverse("account_login"), reverse("account_reset_password")):
        page.goto(f"{live_server.url}{url}")
        # Bootstrap's script ran (the menu toggler works), htmx loaded with our config.
        assert page.evaluate("() => typeof bootstrap === 'object' && htmx.config.allowEval === false") is True
        assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False

    assert page.problems == []
