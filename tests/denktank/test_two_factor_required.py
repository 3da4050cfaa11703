"""Bestuur and Werving cannot switch off the two-factor login their role requires; members can."""

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from denktank.demo import DEMO_TOTP_SECRET
from denktank.models import Role

from ..conftest import PASSWORD
from ..factories import UserFactory
from ..pages import visible_text

REFUSAL = (
    "Je rol vraagt om tweestapsverificatie, dus je kunt die niet uitzetten. Telefoon of authenticator-app kwijt? "
    "Vraag het bestuur om je tweestapsverificatie te resetten; daarna stel je die opnieuw in met je nieuwe telefoon."
)


def reauthenticated(client_for, user):
    """Logged in, with the password asked again as allauth does before changing two-factor settings."""
    client = client_for(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return client


def authenticator_types(user):
    return sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True))


@pytest.mark.parametrize("fixture", ["recruiter_user", "board_user"])
def test_deactivate_page_explains_that_the_role_requires_two_factor(client_for, request, fixture):
    user = request.getfixturevalue(fixture)
    client = reauthenticated(client_for, user)

    response = client.get(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": [REFUSAL]}
    assert REFUSAL in visible_text(response)
    assert authenticator_types(user) == ["totp"]


@pytest.mark.parametrize("fixture", ["recruiter_user", "board_user"])
def test_deactivating_two_factor_is_refused_for_the_role(client_for, request, fixture):
    user = request.getfixturevalue(fixture)
    RecoveryCodes.activate(user)
    client = reauthenticated(client_for, user)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert REFUSAL in visible_text(response)
    assert authenticator_types(user) == ["recovery_codes", "totp"]
    # Still two-factor at the next login.
    client.logout()
    login = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert login.url == reverse("mfa_authenticate")


def test_member_with_totp_can_still_deactivate_it(client_for, db):
    member = UserFactory(roles=[Role.DEELNEMER], totp=True)
    RecoveryCodes.activate(member)
    client = reauthenticated(client_for, member)

    assert client.get(reverse("mfa_deactivate_totp")).context["form"].errors == {}
    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert response.url == reverse("mfa_index")
    # The recovery codes go with the last authenticator, as allauth does.
    assert authenticator_types(member) == []


def test_board_member_keeps_recovery_codes_that_are_their_only_second_factor(db):
    board = UserFactory(roles=[Role.BESTUUR])
    codes = RecoveryCodes.activate(board).instance

    assert get_adapter().can_delete_authenticator(codes) is False


def test_board_member_with_totp_may_replace_recovery_codes(db):
    board = UserFactory(roles=[Role.BESTUUR])
    totp = TOTP.activate(board, DEMO_TOTP_SECRET).instance
    codes = RecoveryCodes.activate(board).instance

    assert get_adapter().can_delete_authenticator(codes) is True
    assert get_adapter().can_delete_authenticator(totp) is False
