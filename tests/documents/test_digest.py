from datetime import timedelta

from django.utils import timezone

from denktank.models import OutgoingMail
from documents import services
from documents.models import Comment, OwnerDigest


def test_owners_get_one_digest_a_day_about_others_comments_and_proposals(section, writers, member_user):
    services.add_comment(section=section, author=member_user, text="Kan dit korter?")
    services.add_comment(section=section, author=writers[0], text="Eigen notitie")
    services.propose_amendment(section=section, proposer=member_user, text="Korter.", reason="Bondiger")
    now = timezone.now() + timedelta(minutes=1)

    first = services.send_owner_digests(now=now)
    second = services.send_owner_digests(now=now + timedelta(hours=2))

    assert (first, second) == (2, 0)
    mails = {mail.to: mail for mail in OutgoingMail.objects.all()}
    assert sorted(mails) == ["a@example.nl", "b@example.nl"]
    assert "Kan dit korter?" in mails["a@example.nl"].body_text
    assert "Eigen notitie" not in mails["a@example.nl"].body_text
    assert "Eigen notitie" in mails["b@example.nl"].body_text
    assert "Bondiger" in mails["b@example.nl"].body_text
    assert OwnerDigest.objects.count() == 2


def test_no_news_no_mail(section, writers):
    assert services.send_owner_digests(now=timezone.now()) == 0
    assert OutgoingMail.objects.count() == 0


def test_next_day_only_new_items(section, writers, member_user):
    services.add_comment(section=section, author=member_user, text="Eerste dag")
    services.send_owner_digests(now=timezone.now() + timedelta(minutes=1))
    OutgoingMail.objects.all().delete()

    assert services.send_owner_digests(now=timezone.now() + timedelta(days=1)) == 0
    tomorrow = timezone.now() + timedelta(days=1)
    comment = services.add_comment(section=section, author=member_user, text="Tweede dag")
    Comment.objects.filter(pk=comment.pk).update(created_at=tomorrow)

    assert services.send_owner_digests(now=tomorrow + timedelta(minutes=1)) == 2
    assert all("Tweede dag" in m.body_text and "Eerste dag" not in m.body_text for m in OutgoingMail.objects.all())
