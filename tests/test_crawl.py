"""Each role walks the product in a browser, from the dashboard through every link it can reach.

On the demo data (what ``./scripts/run`` shows after ``demo_data``), every page
must load without a server error or broken link, log no console error, make
no failed request and no request to another host, cause no
Content-Security-Policy violation, have no serious or critical WCAG 2 A/AA
violation according to axe-core, and not scroll sideways at 360 px. All
problems of one role are collected and reported together; see tests/walk.py
for how the walk works and what it skips.
"""

import pytest

from .demo_fixtures import ANONYMOUS, DEMO_EMAILS, PASSWORD, ROLES, TWO_FACTOR_ROLES, load_demo_data
from .walk import log_in, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MAX_PAGES = 110
# Where each walk starts: the dashboard (the public page for visitors). A
# visitor also gets the application form and the privacy statement, which the
# public page links to only while applications are open (they are closed in
# the demo).
START = {ANONYMOUS: ("/", "/aanmelden/", "/privacy/")}


@pytest.fixture
def demo_site(_reference_data, asgi_server):
    """The demo data on the stack ``./scripts/run`` serves: HTTP and the live editor's WebSockets."""
    load_demo_data()
    return asgi_server.url


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_works_for(role, demo_site, browser):
    login = None
    if role != ANONYMOUS:

        def login(page):
            log_in(page, demo_site, DEMO_EMAILS[role], PASSWORD, two_factor=role in TWO_FACTOR_ROLES)

    result = walk(browser, demo_site, role, login=login, start=START.get(role, ("/",)), max_pages=MAX_PAGES)
    assert result.visited[:1] == ["/"]
    if result.problems:
        pytest.fail(result.summary(), pytrace=False)
    print(result.summary())  # with -rP: which pages the walk saw


BAD_PAGE = """<!doctype html><html lang="nl"><head><title>Fout</title><script src="/bad.js"></script></head>
<body><main><h1>Fout</h1><img src="/pixel.png"><img src="http://elders.test/pixel.png" alt="elders">
<script>document.title = "inline";</script><div style="width: 500px">breed</div>
<a href="/ontbreekt/">weg</a> <a href="/kapot/">kapot</a> <a href="/uitloggen.ics">agenda</a></main></body></html>"""


def serve_bad_site(context):
    """A site with one of each problem, at an address no real server has."""
    pages = {
        "/": (
            200,
            "text/html",
            '<!doctype html><html lang="nl"><head><title>Start</title></head><body><main>'
            '<h1>Start</h1><a href="/slecht/">slecht</a></main></body></html>',
        ),
        "/slecht/": (200, "text/html", BAD_PAGE),
        "/bad.js": (200, "text/javascript", 'console.error("stuk"); fetch("/api/weg/");'),
        "/pixel.png": (200, "image/png", ""),
        "/kapot/": (500, "text/html", '<!doctype html><html lang="nl"><title>500</title><p>Serverfout</p>'),
    }

    not_found = (404, "text/html", '<!doctype html><html lang="nl"><title>404</title>')
    policies = {"/slecht/": "script-src 'self'", "/ontbreekt/": "script-src 'self' 'unsafe-inline'"}

    def handle(route):
        url = route.request.url
        path = url.split("walk.test", 1)[1] if "walk.test" in url else "/pixel.png"
        status, content_type, body = pages.get(path, not_found)
        csp = policies.get(path, "default-src 'self'; style-src 'self' 'unsafe-inline'")
        route.fulfill(status=status, content_type=content_type, body=body, headers={"Content-Security-Policy": csp})

    context.route("http://walk.test/**", handle)
    context.route("http://elders.test/**", handle)


def test_the_walk_reports_each_kind_of_problem(browser):
    """The walk itself: without this, a walk that checks nothing would pass as well."""
    result = walk(browser, "http://walk.test", "test", prepare_context=serve_bad_site)

    assert result.visited == ["/", "/slecht/", "/ontbreekt/", "/kapot/"]
    problems = {kind: sorted(details) for kind, details in result.problems.items()}
    assert problems["server error"] == ["HTTP 500"]
    assert problems["broken link"] == ["HTTP 404"]
    assert problems["console error"] == ["stuk"]
    assert problems["failed request"] == ["GET http://walk.test/api/weg/: HTTP 404"]
    assert problems["request to another host"] == ["http://elders.test/pixel.png"]
    assert problems["CSP violation"] == ["script-src-elem blocked inline at http://walk.test/slecht/:3"]
    assert [detail.split(" ")[0] for detail in problems["axe (serious/critical WCAG 2 A/AA)"]] == ["image-alt"]
    assert problems["wider than 360 px (sideways scroll)"] == [
        "508 px wide; sticking out: main > div (right edge at 508 px)"
    ]
    assert problems["Content-Security-Policy header"] == ["script sources allow 'unsafe-inline'"]
    assert len(problems) == 9, sorted(problems)
