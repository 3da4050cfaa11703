from django.urls import reverse

from documents.citations import Numbering, describe
from documents.models import Source


def test_citations_are_numbered_in_order_of_first_use_and_repeats_share_a_number(db):
    numbering = Numbering.for_all_sources()

    first = numbering.cite("Zie [@hayek] en [@friedman1962]. Opnieuw [@hayek].")
    second = numbering.cite("Later [@atkinson] en [@friedman1962].")

    assert first == "Zie [\\[1\\]](#ref-1) en [\\[2\\]](#ref-2). Opnieuw [\\[1\\]](#ref-1)."
    assert second == "Later [\\[3\\]](#ref-3) en [\\[2\\]](#ref-2)."
    assert [(n, s.key) for n, s in numbering.references] == [(1, "hayek"), (2, "friedman1962"), (3, "atkinson")]


def test_unknown_keys_are_reported_and_stay_visible(db):
    numbering = Numbering.for_all_sources()

    text = numbering.cite("Volgens [@verzonnen2030] en [@hayek].")

    assert text == "Volgens **[@verzonnen2030?]** en [\\[1\\]](#ref-1)."
    assert numbering.unknown == ["verzonnen2030"]


def test_seeded_sources_hold_only_what_the_note_states(db):
    finland = Source.objects.get(key="fins-experiment")
    hayek = Source.objects.get(key="hayek")

    assert (finland.publisher, finland.year, finland.url) == ("American Economic Journal: Economic Policy", "2022", "")
    assert (hayek.title, hayek.year, hayek.url) == ("The Constitution of Liberty", "", "")
    assert Source.objects.exclude(url="").count() == 0
    assert Source.objects.count() == 15


def test_reference_line_uses_only_filled_fields(db):
    hyman = describe(Source.objects.get(key="hyman2025"))
    assert hyman == "Hyman et al. (2025). National Bureau of Economic Research (NBER)"
    assert describe(Source.objects.get(key="hayek")) == "Friedrich Hayek. The Constitution of Liberty"


def test_members_complete_a_source_and_the_kamerlid_cannot(client_for, member_user, mp_user):
    source = Source.objects.get(key="chang2024")
    url = reverse("documents:source_edit", args=[source.pk])
    data = {"key": "chang2024", "authors": "Chang et al.", "year": "2024", "title": "", "publisher": "", "url": ""}

    assert client_for(mp_user).post(url, {**data, "title": "Gekaapt"}).status_code == 403
    client_for(member_user).post(url, {**data, "publisher": "Een tijdschrift"})

    source.refresh_from_db()
    assert (source.title, source.publisher) == ("", "Een tijdschrift")
