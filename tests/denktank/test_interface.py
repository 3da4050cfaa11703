"""The platform's own pages in a real browser: keyboard focus, contrast, axe, phone width."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from denktank import audit
from denktank.models import OutgoingMail, Role
from denktank.services import invite_person

from ..conftest import log_in_by_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = (Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text()
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def busy_platform(board_user):
    """Rows with long content: failed mails with long addresses, invitations, audit entries."""
    for number in range(3):
        mail = OutgoingMail.objects.create(
            to=f"een.heel.lang.adres.nummer{number}@ministerie-van-economische-zaken.example.nl",
            subject="Herinnering: digitale sessie 5 over de toekomst van werk en kunstmatige intelligentie",
            body_text="Tekst",
            idempotency_key=f"test:{number}",
            status=OutgoingMail.Status.FAILED,
            last_error="SMTPServerDisconnected: Connection unexpectedly closed by the receiving mail server",
        )
        audit.record(action="mail.resent", actor=board_user, target=mail)
    for number in range(2):
        invite_person(
            name=f"Annemarie van der Velde-Hoogendoorn {number}",
            email=f"annemarie.vandervelde{number}@voorbeeld-organisatie.example.nl",
            role=Role.KAMERLID,
            invited_by=board_user,
        )
    audit.record(action="application.viewed", actor=board_user)
    return board_user


OFF_SCREEN = """() => {
    const clipped = e => { for (let a = e; a; a = a.parentElement) {
        const s = getComputedStyle(a); if (s.clip !== 'auto' || s.clipPath !== 'none') return true; } return false; };
    return Array.from(document.querySelectorAll('main *'))
        .filter(e => e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().right > innerWidth + 0.5)
        .filter(e => !clipped(e))
        .map(e => e.tagName + '.' + e.className);
}"""
AXE_RUN = """async () => {
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
    return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""


def axe_violations(page) -> list[str]:
    page.evaluate(AXE)
    return page.evaluate(AXE_RUN)


@pytest.mark.parametrize("url", ["/outbox/", "/logboek/", "/uitnodigen/"])
def test_board_pages_fit_a_phone_screen(page, live_server, busy_platform, url):
    page.set_viewport_size(PHONE)
    log_in_by_cookie(page.context, live_server.url, busy_platform)

    page.goto(f"{live_server.url}{url}")

    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # Nothing visible sits off screen to the right (clipped, visually hidden
    # table headers for screen readers do not count).
    assert page.evaluate(OFF_SCREEN) == []


def test_outbox_on_a_phone_shows_status_and_resend_button_on_screen(page, live_server, busy_platform):
    page.set_viewport_size(PHONE)
    log_in_by_cookie(page.context, live_server.url, busy_platform)
    page.goto(f"{live_server.url}/outbox/")

    button = page.get_by_role("button", name=re.compile("Nieuw exemplaar versturen")).first
    status = page.locator("td .badge.status-failed").first

    for element in (button, status):
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize("width", [1280, 360])
def test_board_pages_have_no_serious_accessibility_violations(page, live_server, busy_platform, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in_by_cookie(page.context, live_server.url, busy_platform)
    found = {}

    for url in [
        "/",
        "/outbox/",
        "/logboek/",
        "/uitnodigen/",
        "/account/email/",
        "/account/password/change/",
        "/account/2fa/",
    ]:
        page.goto(f"{live_server.url}{url}")
        found[url] = axe_violations(page)
    # The invite form with errors.
    page.goto(f"{live_server.url}/uitnodigen/")
    page.get_by_role("button", name="Uitnodigingen versturen").click()
    found["/uitnodigen/ (errors)"] = axe_violations(page)

    assert found == {url: [] for url in found}


@pytest.mark.parametrize("width", [1280, 360])
def test_public_and_login_pages_have_no_serious_accessibility_violations(page, live_server, db, width):
    page.set_viewport_size({"width": width, "height": 900})
    found = {}

    for url in ["/", "/account/login/", "/account/password/reset/"]:
        page.goto(f"{live_server.url}{url}")
        found[url] = axe_violations(page)
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_role("button", name="Inloggen").last.click()
    found["/account/login/ (errors)"] = axe_violations(page)

    assert found == {url: [] for url in found}


def relative_luminance(rgb: str) -> float:
    channels = [int(value) / 255 for value in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted([relative_luminance(foreground), relative_luminance(background)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_brand_mark_has_enough_contrast(page, live_server, db):
    page.goto(f"{live_server.url}/")

    colours = page.locator(".brand-mark").evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )

    assert contrast(*colours) >= 4.5


def focus_by_keyboard(page, selector: str, limit: int = 40):
    """Press Tab until the element matching selector has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                    return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"""
            )
    raise AssertionError(f"{selector} never got the keyboard focus")


def test_keyboard_focus_is_visible_on_orange_and_blue_buttons(page, live_server, db):
    page.goto(f"{live_server.url}/")

    # The orange login button in the dark blue bar, then the one in the hero.
    assert focus_by_keyboard(page, ".site-nav .btn-accent") == ["solid", "3px", "rgb(242, 116, 5)"]
    assert focus_by_keyboard(page, ".hero .btn-accent") == ["solid", "3px", "rgb(242, 116, 5)"]

    page.goto(f"{live_server.url}{reverse('account_login')}")
    assert focus_by_keyboard(page, "main .btn-primary") == ["solid", "3px", "rgb(178, 79, 0)"]
    # A focus ring on a light page is the dark orange, 5.3:1 against white.
    assert contrast("rgb(178, 79, 0)", "rgb(255, 255, 255)") >= 4.5
