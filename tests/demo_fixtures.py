"""The demo data as test data, for the tests that walk the whole product.

``load_demo_data`` loads what ``manage.py demo_data`` loads (the accounts of
every role, forty applicants, the calendar with answers and minutes, a
partial report). ``add_walk_objects`` adds the few things the demo lacks but a
URL needs (a CV, an attachment, a PDF export, a pending invitation) and
returns the objects every ``<pk>``, ``<token>``, ``<key>`` and ``<number>`` of
the URL patterns is taken from.
"""

import hashlib
import io
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings

from denktank import services as denktank_services
from denktank.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from denktank.models import Invitation, OutgoingMail, Role, User
from documents.models import Amendment, Comment, ReportExport, Section, Source
from members.models import Application, ExpertiseProfile, MailTemplate
from sessions_app import selectors as sessions_selectors
from sessions_app.links import make_answer_token
from sessions_app.models import Attachment, Meeting

ANONYMOUS = "anonymous"
# The roles in the order of the tables: anonymous first, then from least to most rights.
ROLES = [ANONYMOUS, "kamerlid", "deelnemer", "werving", "bestuur"]
ROLE_GROUPS = {"kamerlid": Role.KAMERLID, "deelnemer": Role.DEELNEMER, "werving": Role.WERVING, "bestuur": Role.BESTUUR}
DEMO_EMAILS = {role: next(a.email for a in DEMO_ACCOUNTS if a.role == group) for role, group in ROLE_GROUPS.items()}
TWO_FACTOR_ROLES = {
    role for role, group in ROLE_GROUPS.items() if any(a.two_factor for a in DEMO_ACCOUNTS if a.role == group)
}
PASSWORD = DEMO_PASSWORD

# A known token for the pending invitation (the service stores only its hash).
INVITATION_TOKEN = "uitnodiging-voor-de-url-matrix-0123456789"
# The smallest file a PDF reader accepts as one: the download views only stream it.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def load_demo_data() -> None:
    """Load every app's demo data through the real command.

    The command refuses to run without DEBUG (its accounts have a published
    password); the test database is thrown away, so it may run here.
    """
    with override_settings(DEBUG=True):
        call_command("demo_data", stdout=io.StringIO())


@dataclass
class WalkObjects:
    users: dict[str, User]
    # Inleiding: owned by the demo Deelnemer, shared with the Kamerlid, with a board comment.
    own_section: Section
    # Vraag 2: neither owned by the demo Deelnemer nor shared, with an open proposal of another member.
    other_section: Section
    own_revision_number: int
    own_comment: Comment
    other_amendment: Amendment
    # Session 5 (1 December 2026): the next meeting, online.
    next_meeting: Meeting
    # The kick-off: held, physical, with answers and attendance.
    past_meeting: Meeting
    application: Application
    profile: ExpertiseProfile
    mail_template: MailTemplate
    source: Source
    invitation_token: str
    outbox_mail: OutgoingMail
    feed_token: str
    answer_token: str
    attachment: Attachment
    concept_export: ReportExport
    files: list = field(default_factory=list)

    def delete_files(self) -> None:
        """Uploaded files outlive a rolled-back transaction: remove them."""
        for file in self.files:
            file.storage.delete(file.name)


def add_walk_objects() -> WalkObjects:
    users = {role: User.objects.get(email=email) for role, email in DEMO_EMAILS.items()}
    member, board = users["deelnemer"], users["bestuur"]
    own_section = Section.objects.get(title="Inleiding", owners=member)
    other_section = Section.objects.exclude(owners=member).get(title="Vraag 2 — De empirische vraag", shared=False)
    next_meeting = Meeting.objects.get(kind=Meeting.Kind.ONLINE, number=5)
    past_meeting = Meeting.objects.get(kind=Meeting.Kind.KICKOFF)

    # A waitlisted applicant: not a member, so selecting or erasing is a real question.
    application = Application.objects.filter(stage=Application.Stage.WAITLIST).order_by("pk").first()
    application.cv.save("cv.pdf", ContentFile(TINY_PDF), save=True)

    attachment = Attachment.objects.create(meeting=past_meeting, title="Presentatie kick-off", uploaded_by=board)
    attachment.file.save("presentatie.pdf", ContentFile(TINY_PDF), save=True)

    concept_export = ReportExport.objects.create(
        requested_by=board, status=ReportExport.Status.DONE, progress=100, pages=4
    )
    concept_export.file.save("concept.pdf", ContentFile(TINY_PDF), save=True)

    invitation = denktank_services.invite_person(
        name="Nieuw Kamerlid", email="nieuw-kamerlid@denktank.test", role=Role.KAMERLID, invited_by=board
    )
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hashlib.sha256(INVITATION_TOKEN.encode()).hexdigest())

    return WalkObjects(
        users=users,
        own_section=own_section,
        other_section=other_section,
        own_revision_number=own_section.revisions.order_by("number").first().number,
        own_comment=Comment.objects.filter(section=own_section).first(),
        other_amendment=Amendment.objects.filter(section=other_section).first(),
        next_meeting=next_meeting,
        past_meeting=past_meeting,
        application=application,
        profile=ExpertiseProfile.objects.order_by("order").first(),
        mail_template=MailTemplate.objects.order_by("key").first(),
        source=Source.objects.order_by("pk").first(),
        invitation_token=INVITATION_TOKEN,
        outbox_mail=OutgoingMail.objects.filter(to="nieuw-kamerlid@denktank.test").get(),
        feed_token=sessions_selectors.feed_for(member).token,
        answer_token=make_answer_token(meeting=next_meeting, user=member),
        attachment=attachment,
        concept_export=concept_export,
        files=[application.cv, attachment.file, concept_export.file],
    )
