"""Middleware, settings, templates and commands that guard the platform as a whole."""

import os
import subprocess
import sys

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.template import Context, Template
from django.template.base import Origin
from django.template.loader import render_to_string
from django.urls import include, path, reverse

from denktank.models import User
from denktank.urls import urlpatterns as site_urlpatterns


def other_app_page(request):
    return HttpResponse("personal data")


# The site plus a page in another app's namespace that happens to share its
# name with a page the two-factor middleware lets through.
urlpatterns = [
    *site_urlpatterns,
    path("other/", include(([path("logout/", other_app_page, name="account_logout")], "other"))),
]


@pytest.mark.urls(__name__)
def test_two_factor_exemption_matches_the_full_view_name(client_for, board_user):
    Authenticator.objects.filter(user=board_user).delete()
    client = client_for(board_user)

    response = client.get("/other/logout/")

    assert (response.status_code, response.url) == (302, reverse("mfa_activate_totp"))
    # allauth's own page of that name stays reachable.
    assert client.get(reverse("account_logout")).status_code == 200


def production_setting(name, **env):
    """Import the settings as production would (DEBUG off) and return one value."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "TRUSTED_PROXY_COUNT")}
    environ.update(DEBUG="false", SECRET_KEY="x" * 50, DENKTANK_VAR_DIR=os.environ["DENKTANK_VAR_DIR"], **env)
    result = subprocess.run(
        [sys.executable, "-c", f"import denktank.settings as s; print(repr(getattr(s, {name!r}, None)))"],
        cwd=settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_production_trusts_one_proxy_by_default_and_more_when_configured():
    assert production_setting("ALLAUTH_TRUSTED_PROXY_COUNT") == "1"
    assert production_setting("ALLAUTH_TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="2") == "2"


def test_demo_data_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError) as error:
        call_command("demo_data")

    assert str(error.value) == (
        "demo_data creates accounts with a published password and only runs with DEBUG=true (development)."
    )
    assert User.objects.count() == 0


def test_error_page_renders_without_a_static_files_manifest(settings, tmp_path):
    # In production the manifest storage raises for any {% static %} it cannot
    # find; the 500 page must not depend on it.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    html = render_to_string("500.html")

    assert '<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.min.css">' in html
    assert '<link rel="stylesheet" href="/static/css/denktank.css">' in html
    assert all(
        (settings.BASE_DIR / "static" / name).is_file()
        for name in ("vendor/bootstrap/bootstrap.min.css", "css/denktank.css")
    )


def render_field(attributes):
    source = (
        "{% load allauth %}{% element field " + attributes + " %}"
        "{% slot label %}Code{% endslot %}{% slot help_text %}Six digits.{% endslot %}{% endelement %}"
    )
    return Template(source, origin=Origin("test", template_name="test.html")).render(Context({}))


def test_field_links_errors_and_help_text_to_the_input():
    html = render_field('id="id_code" name="code" type="text" errors="Wrong code."')

    assert 'type="text" aria-invalid="true" aria-describedby="id_code-errors id_code-help">' in html
    assert '<div class="invalid-feedback d-block" id="id_code-errors">Wrong code.</div>' in html
    assert '<div class="form-text" id="id_code-help">Six digits.</div>' in html


def test_field_without_errors_points_to_its_help_text_only():
    html = render_field('id="id_code" name="code" type="text"')

    assert 'type="text" aria-describedby="id_code-help">' in html
    assert "id_code-errors" not in html
