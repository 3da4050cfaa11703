"""Demo accounts: one per role, with known passwords, for trying the platform.

Other apps add their demo data in a ``demo.py`` with a ``load(stdout)``
function; the ``demo_data`` command runs them all, each idempotent.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import encrypt
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .models import Role, User

DEMO_PASSWORD = "denktank-demo-2026"
# A fixed secret, so `demo_totp` and the browser tests compute the same codes.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    two_factor: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("bestuur@denktank.test", "Marieke van den Berg", Role.BESTUUR, two_factor=True),
    DemoAccount("werving@denktank.test", "Joost Hendriks", Role.WERVING, two_factor=True),
    DemoAccount("deelnemer@denktank.test", "Sanne Visser", Role.DEELNEMER),
    DemoAccount("kamerlid@denktank.test", "Thomas Bakker", Role.KAMERLID),
]


# The other eleven members of the demo think tank (fictional people).
DEMO_MEMBERS = [
    ("lid01@denktank.test", "Fatima el Amrani"),
    ("lid02@denktank.test", "Pieter de Graaf"),
    ("lid03@denktank.test", "Lotte Jansen"),
    ("lid04@denktank.test", "Ruben Smit"),
    ("lid05@denktank.test", "Eva Mulder"),
    ("lid06@denktank.test", "Daan Vermeulen"),
    ("lid07@denktank.test", "Noor Hoekstra"),
    ("lid08@denktank.test", "Bram de Wit"),
    ("lid09@denktank.test", "Iris van Dijk"),
    ("lid10@denktank.test", "Mehmet Yilmaz"),
    ("lid11@denktank.test", "Anouk Peters"),
]


def current_totp_counter() -> int:
    return int(time.time()) // 30


def ensure_account(*, email: str, name: str, role: str, password: str, two_factor: bool = False) -> User:
    """Create or update an active account with a verified address and a role.

    Side effects: creates or updates the user, its allauth e-mail address,
    its group membership and, with ``two_factor``, a TOTP authenticator with
    the demo secret.
    """
    with transaction.atomic():
        user, _ = User.objects.update_or_create(email=email, defaults={"name": name, "is_active": True})
        user.set_password(password)
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if two_factor:
            totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if totp is None:
                TOTP.activate(user, DEMO_TOTP_SECRET)
            else:
                totp.data = {"secret": encrypt(DEMO_TOTP_SECRET)}
                totp.save(update_fields=["data"])
    return user


def load(stdout) -> None:
    for account in DEMO_ACCOUNTS:
        ensure_account(
            email=account.email,
            name=account.name,
            role=account.role,
            password=DEMO_PASSWORD,
            two_factor=account.two_factor,
        )
    for email, name in DEMO_MEMBERS:
        ensure_account(email=email, name=name, role=Role.DEELNEMER, password=DEMO_PASSWORD)
    stdout.write(f"Demo accounts ready ({len(DEMO_ACCOUNTS) + len(DEMO_MEMBERS)}, twelve of them members).")


# A fixed token: loading the demo twice finds the update it sent the first time.
DEMO_UPDATE_TOKEN = uuid.UUID("6b1f8a52-4c0e-4d3b-9a51-2f0c7e9d1a01")
DEMO_UPDATE_TEXT = """Beste Kamerleden,

De denktank zit op de helft. In de laatste sessies ging het over **omscholing** en over wat AI
betekent voor de sociale zekerheid. De eerste onderdelen van het einddocument zijn af; hieronder
staat wat er verder is gebeurd.

Op 1 december praten de deelnemers online verder. We zien jullie graag bij de eindpresentatie."""


def load_after_apps(stdout) -> None:
    """A Kamerlid update the demo board sent nine days ago, with the facts of the other apps' demo data.

    Runs after every app's demo data (see ``demo_data``): the facts name
    their sections, meetings, recommendations and minutes.
    """
    from . import selectors, services
    from .models import BEGINNING, KamerlidUpdate

    if KamerlidUpdate.objects.filter(token=DEMO_UPDATE_TOKEN).exists():
        return
    board = User.objects.get(email=DEMO_ACCOUNTS[0].email)
    sent_at = timezone.now() - timedelta(days=9)
    facts = selectors.kamerlid_update_facts(since=BEGINNING, until=sent_at)
    update = services.send_kamerlid_update(
        title="De denktank op de helft",
        text=DEMO_UPDATE_TEXT,
        facts=facts,
        facts_since=BEGINNING,
        facts_until=sent_at,
        token=DEMO_UPDATE_TOKEN,
        by=board,
    )
    KamerlidUpdate.objects.filter(pk=update.pk).update(sent_at=sent_at)
    stdout.write("Demo Kamerlid update sent.")
