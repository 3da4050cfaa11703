"""The live text of a section over its WebSocket: who may connect, what is stored, revisions cut from it."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone
from pycrdt import Doc, Text

from denktank import middleware
from denktank.models import Role
from documents import services as document_services
from documents.live import protocol, rooms
from documents.live import services as live
from documents.models import LiveText, LiveUpdate, ReportVersion, Revision, RevisionWriter, Section
from documents.routing import websocket_application

from ..conftest import session_cookie
from ..factories import UserFactory
from .conftest import FOUR

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORIGIN = "http://127.0.0.1"


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield
    for room in list(rooms._rooms.values()):
        if room._idle_handle is not None:
            room._idle_handle.cancel()
    rooms._rooms.clear()


class Writer:
    """A browser in miniature: a pycrdt document that speaks y-websocket to the consumer."""

    def __init__(self, section_id, user=None, origin=ORIGIN):
        self.section_id, self.user, self.origin = section_id, user, origin
        self.communicator = None
        self.doc = Doc()
        self.text = self.doc.get("text", type=Text)
        self.controls: list[dict] = []
        self.awareness: list[protocol.AwarenessEntry] = []
        self.denied = 0
        self.updates_received = 0
        self.close_code = None

    async def connect(self):
        headers = [(b"origin", self.origin.encode())] if self.origin else []
        if self.user is not None:
            # The login writes a session: in the test's own thread, with its database connection.
            cookie = await sync_to_async(session_cookie)(self.user)
            headers.append((b"cookie", f"{cookie['name']}={cookie['value']}".encode()))
        self.communicator = WebsocketCommunicator(
            websocket_application(), f"/ws/einddocument/{self.section_id}/", headers=headers
        )
        connected, _ = await self.communicator.connect()
        return connected

    async def sync(self):
        """Send our state vector; read until the server's step 2 arrived (and answer its step 1)."""
        await self.communicator.send_to(bytes_data=protocol.sync_step1(self.doc.get_state()))
        while True:
            message = await self.next()
            if message is None:
                raise AssertionError("closed before the text arrived")
            if message.kind == protocol.SYNC and message.sync_type == protocol.SYNC_STEP2:
                return

    async def next(self, timeout=3):
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code")
            return None
        message = protocol.parse(output["bytes"])
        if message.kind == protocol.SYNC:
            if message.sync_type == protocol.SYNC_STEP1:
                await self.communicator.send_to(bytes_data=protocol.sync_step2(self.doc.get_update(message.payload)))
            else:
                self.doc.apply_update(message.payload)
                self.updates_received += message.sync_type == protocol.SYNC_UPDATE
        elif message.kind == protocol.CONTROL:
            self.controls.append(message.control)
        elif message.kind == protocol.AWARENESS:
            self.awareness += protocol.parse_awareness(message.payload)
        elif message.kind == protocol.AUTH:
            self.denied += 1
        return message

    async def drain(self, timeout=0.3):
        """Read everything the server sends within ``timeout`` (a timeout in receive_output would end the app)."""
        while not await self.communicator.receive_nothing(timeout):
            if await self.next() is None:
                return

    async def edit(self, index: int, value: str) -> bytes:
        before = self.doc.get_state()
        self.text.insert(len(str(self.text)[:index].encode()), value)
        update = self.doc.get_update(before)
        await self.communicator.send_to(bytes_data=protocol.sync_update(update))
        return update

    async def wait_saved(self, handled: int):
        while not any(c["type"] == "saved" and c["handled"] >= handled for c in self.controls):
            if await self.next() is None:
                raise AssertionError(f"closed with {self.close_code} before saved")

    async def control(self, **fields):
        await self.communicator.send_to(bytes_data=protocol.control_message(**fields))

    def mode(self) -> dict:
        return [c for c in self.controls if c["type"] == "mode"][-1]

    async def close(self):
        await self.communicator.disconnect()


def run(coroutine_function):
    # In a thread of its own: Playwright's sync API may have left an event loop
    # running in this one (browser tests run earlier in the same session).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(async_to_sync(coroutine_function)).result()


# --- Who may connect ----------------------------------------------------------------------


def test_anonymous_connection_is_refused_at_the_handshake(section):
    async def scenario():
        writer = Writer(section.pk)
        assert await writer.connect() is False

    run(scenario)
    assert not LiveText.objects.exists()


def test_other_origin_and_missing_origin_are_refused(section, writers):
    async def scenario():
        assert await Writer(section.pk, writers[0], origin="https://elders.example").connect() is False
        assert await Writer(section.pk, writers[0], origin=None).connect() is False

    run(scenario)
    assert not LiveText.objects.exists()


def test_unseen_or_missing_section_closes_with_4403_before_anything_is_sent(section, mp_user):
    assert section.shared is False

    async def scenario():
        for section_id in (section.pk, 999_999):
            writer = Writer(section_id, mp_user)
            assert await writer.connect() is True
            output = await writer.communicator.receive_output(2)
            assert output == {"type": "websocket.close", "code": 4403}
            await writer.close()

    run(scenario)
    assert not LiveText.objects.exists()


def test_kamerlid_follows_a_shared_section_read_only_and_cannot_send_edits(section, writers, mp_user):
    section.shared = True
    section.save()

    async def scenario():
        owner = Writer(section.pk, writers[0])
        assert await owner.connect()
        await owner.sync()
        follower = Writer(section.pk, mp_user)
        assert await follower.connect()
        await follower.sync()
        assert follower.mode()["readonly"] is True
        assert str(follower.text) == FOUR
        await follower.edit(0, "Gekaapt. ")
        await follower.drain()
        assert follower.denied == 1
        await owner.drain()
        assert str(owner.text) == FOUR
        assert owner.updates_received == 0
        await owner.close()
        await follower.close()

    run(scenario)
    assert LiveUpdate.objects.filter(section=section).count() == 1  # the start from the head revision
    assert live.live_text(section_id=section.pk) == FOUR


def test_published_report_is_read_only_for_its_owners(section, writers):
    ReportVersion.objects.create(number=1)

    async def scenario():
        owner = Writer(section.pk, writers[0])
        assert await owner.connect()
        await owner.sync()
        assert owner.mode()["readonly"] is True
        assert owner.mode()["frozen"] is True
        await owner.edit(0, "Na publicatie. ")
        await owner.drain()
        assert owner.denied == 1
        await owner.close()

    run(scenario)
    assert live.live_text(section_id=section.pk) == FOUR


def test_publishing_while_writing_stops_the_next_edit(section, writers):
    async def scenario():
        owner = Writer(section.pk, writers[0])
        assert await owner.connect()
        await owner.sync()
        assert owner.mode()["readonly"] is False
        await ReportVersion.objects.acreate(number=1)
        await owner.edit(0, "Te laat. ")
        await owner.drain()
        assert owner.mode() == {**owner.mode(), "readonly": True, "frozen": True}
        assert not any(c["type"] == "saved" and c["handled"] >= 2 for c in owner.controls)
        await owner.close()

    run(scenario)
    assert live.live_text(section_id=section.pk) == FOUR


def test_a_member_who_does_not_own_the_section_follows_read_only(section):
    other = UserFactory(name="Niet Eigenaar", roles=[Role.DEELNEMER])

    async def scenario():
        reader = Writer(section.pk, other)
        assert await reader.connect()
        await reader.sync()
        assert reader.mode()["readonly"] is True
        await reader.edit(0, "Niet van mij. ")
        await reader.drain()
        assert reader.denied == 1
        await reader.close()

    run(scenario)
    assert live.live_text(section_id=section.pk) == FOUR


def test_publishing_makes_open_editors_read_only_at_once(section, writers):
    async def scenario():
        owner = Writer(section.pk, writers[0])
        assert await owner.connect()
        await owner.sync()
        assert owner.mode()["readonly"] is False

        def publish():
            ReportVersion.objects.create(number=1)
            live.access_changed()

        await sync_to_async(publish)()
        while owner.mode()["readonly"] is False:
            assert await owner.next() is not None
        assert owner.mode()["frozen"] is True
        await owner.close()

    run(scenario)


def test_a_section_no_longer_shared_disconnects_the_kamerlid(section, mp_user):
    section.shared = True
    section.save()

    async def scenario():
        follower = Writer(section.pk, mp_user)
        assert await follower.connect()
        await follower.sync()

        def unshare():
            Section.objects.filter(pk=section.pk).update(shared=False)
            live.access_changed(section_id=section.pk)

        await sync_to_async(unshare)()
        while await follower.next() is not None:
            pass
        assert follower.close_code == 4403

    run(scenario)


def test_an_owner_removed_while_writing_continues_read_only(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[1])
        assert await writer.connect()
        await writer.sync()
        assert writer.mode()["readonly"] is False

        def remove_owner():
            section.owners.remove(writers[1])
            live.access_changed(section_id=section.pk)

        await sync_to_async(remove_owner)()
        while writer.mode()["readonly"] is False:
            assert await writer.next() is not None
        await writer.edit(0, "Niet meer. ")
        await writer.drain()
        assert writer.denied == 1
        await writer.close()

    run(scenario)
    assert live.live_text(section_id=section.pk) == FOUR


def test_a_deactivated_account_is_disconnected(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[1])
        assert await writer.connect()
        await writer.sync()

        def deactivate():
            type(writers[1]).objects.filter(pk=writers[1].pk).update(is_active=False)
            live.access_changed(section_id=section.pk)

        await sync_to_async(deactivate)()
        while await writer.next() is not None:
            pass
        assert writer.close_code == 4403

    run(scenario)


# --- Storing, passing on, converging ----------------------------------------------------


def test_first_visit_starts_the_live_text_from_the_head_revision(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        assert str(writer.text) == FOUR
        assert writer.mode()["head"] == {"id": section.head_id, "number": 1}
        await writer.close()

    run(scenario)
    live_text = LiveText.objects.get(section=section)
    assert live_text.revision_id == section.head_id
    assert list(LiveUpdate.objects.filter(section=section).values_list("in_revision", "author")) == [(True, None)]


def test_update_is_stored_with_its_writer_before_the_saved_message(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        update = await writer.edit(len("Eerste alinea"), ", aangevuld")
        await writer.wait_saved(2)  # the step 2 answer, then this update
        row = await LiveUpdate.objects.filter(section=section, in_revision=False).aget()
        assert bytes(row.data) == update
        assert row.author_id == writers[0].pk
        await writer.close()

    run(scenario)
    assert live.live_text(section_id=section.pk) == FOUR.replace("Eerste alinea", "Eerste alinea, aangevuld")


def test_update_that_cannot_be_stored_is_neither_acknowledged_nor_passed_on(section, writers, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("database away")

    async def scenario():
        first, second = Writer(section.pk, writers[0]), Writer(section.pk, writers[1])
        for writer in (first, second):
            assert await writer.connect()
            await writer.sync()
        await first.drain()
        await second.drain()
        monkeypatch.setattr(live, "store_updates", broken)
        await first.edit(0, "Verloren? ")
        await first.drain()
        assert first.close_code == 4500  # the browser reconnects and sends it again
        assert not [c for c in first.controls if c["type"] == "saved" and c["handled"] >= 2]
        await second.drain()
        assert second.updates_received == 0
        assert str(second.text) == FOUR
        await second.close()

    run(scenario)
    assert not LiveUpdate.objects.filter(in_revision=False).exists()


def test_two_writers_in_the_same_paragraph_converge_with_both_words(section, writers):
    async def scenario():
        first, second = Writer(section.pk, writers[0]), Writer(section.pk, writers[1])
        for writer in (first, second):
            assert await writer.connect()
            await writer.sync()
        end_of_first = len("Eerste alinea")
        # Both type at the same place before either sees the other's change.
        await first.edit(end_of_first, " door A")
        await second.edit(end_of_first, " door B")
        await first.wait_saved(2)
        await second.wait_saved(2)
        await first.drain()
        await second.drain()
        assert str(first.text) == str(second.text)
        await first.close()
        await second.close()
        return str(first.text)

    text = run(scenario)
    assert text in (
        FOUR.replace("Eerste alinea", "Eerste alinea door A door B"),
        FOUR.replace("Eerste alinea", "Eerste alinea door B door A"),
    )
    assert live.live_text(section_id=section.pk) == text


def test_a_late_joiner_and_a_restarted_server_see_every_stored_change(section, writers):
    async def type_and_leave():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.edit(len(FOUR), "\n\nVijfde alinea.")
        await writer.wait_saved(2)
        await writer.close()

    run(type_and_leave)
    # A restart: the process's rooms are gone, only the database remains.
    for room in list(rooms._rooms.values()):
        room._idle_handle.cancel()
    rooms._rooms.clear()

    async def join_later():
        late = Writer(section.pk, writers[1])
        assert await late.connect()
        await late.sync()
        await late.close()
        return str(late.text)

    assert run(join_later) == FOUR + "\n\nVijfde alinea."


def test_offline_changes_merge_on_reconnect(section, writers):
    async def scenario():
        first, second = Writer(section.pk, writers[0]), Writer(section.pk, writers[1])
        for writer in (first, second):
            assert await writer.connect()
            await writer.sync()
        await first.close()
        # Offline: the first writer keeps typing in its own document.
        first.text.insert(0, "Offline geschreven. ")
        await second.edit(len(FOUR), " Online erbij.")
        await second.wait_saved(2)
        reconnected = Writer(section.pk, writers[0])
        reconnected.doc, reconnected.text = first.doc, first.text
        assert await reconnected.connect()
        await reconnected.sync()
        await reconnected.drain()
        await second.drain()
        assert str(reconnected.text) == str(second.text)
        await reconnected.close()
        await second.close()
        return str(second.text)

    text = run(scenario)
    assert text == "Offline geschreven. " + FOUR + " Online erbij."
    assert live.live_text(section_id=section.pk) == text


def test_names_and_colours_of_cursors_come_from_the_accounts(section, writers):
    async def scenario():
        first, second = Writer(section.pk, writers[0]), Writer(section.pk, writers[1])
        for writer in (first, second):
            assert await writer.connect()
            await writer.sync()
        state = {"user": {"name": "Iemand Anders", "color": "#000000"}, "cursor": None}
        await first.communicator.send_to(
            bytes_data=protocol.awareness_message(
                protocol.encode_awareness([protocol.AwarenessEntry(first.doc.client_id, 1, state)])
            )
        )
        await second.drain()
        seen = [e for e in second.awareness if e.client_id == first.doc.client_id]
        assert seen[-1].state["user"] == {
            "id": writers[0].pk,
            "name": "Schrijver A",
            "color": live.writer_colour(writers[0].pk),
            "colorLight": live.writer_colour(writers[0].pk) + "33",
            "readonly": False,
        }
        await first.close()
        await second.drain()
        assert second.awareness[-1].client_id == first.doc.client_id
        assert second.awareness[-1].state is None  # left
        await second.close()

    run(scenario)


def test_a_malformed_message_closes_the_connection_and_stores_nothing(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.communicator.send_to(bytes_data=protocol.sync_update(b"\x05\x07kapot"))
        await writer.drain()
        assert writer.close_code == 4400

    run(scenario)
    assert not LiveUpdate.objects.filter(in_revision=False).exists()


def test_an_update_past_the_section_limit_is_refused(writers):
    from documents.forms import SECTION_MAX_CHARS

    section = Section.objects.get(title="Inleiding")
    section.owners.set(writers)
    almost_full = "x" * (SECTION_MAX_CHARS - 5)
    document_services.save_revision(section=section, author=writers[0], text=almost_full, base_id=None)

    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.edit(0, "abcd")  # up to the limit: fine
        await writer.wait_saved(2)
        await writer.edit(0, "efghij")
        await writer.drain()
        assert writer.close_code == 4400

    run(scenario)
    assert live.live_text(section_id=section.pk) == "abcd" + almost_full


# --- Revisions from the live text ------------------------------------------------------


def test_save_version_cuts_a_revision_crediting_every_writer(section, writers):
    async def scenario():
        first, second = Writer(section.pk, writers[0]), Writer(section.pk, writers[1])
        for writer in (first, second):
            assert await writer.connect()
            await writer.sync()
        await first.edit(len("Eerste alinea"), ", van A")
        await first.wait_saved(2)
        await second.drain()
        await second.edit(len(str(second.text)), "\n\nVan B.")
        await second.wait_saved(2)
        await second.control(type="commit", note="Samen geschreven")
        while not any(c["type"] == "committed" for c in second.controls):
            assert await second.next() is not None
        await first.drain()
        await first.close()
        await second.close()
        return next(c for c in second.controls if c["type"] == "committed"), first.controls

    committed, first_controls = run(scenario)
    revision = Revision.objects.get(section=section, number=2)
    assert committed == {"type": "committed", "id": revision.pk, "number": 2, "unchanged": False}
    assert {"type": "revision", "id": revision.pk, "number": 2} in first_controls
    assert revision.text == FOUR.replace("Eerste alinea", "Eerste alinea, van A") + "\n\nVan B."
    assert revision.author == writers[1]
    assert revision.note == "Samen geschreven"
    assert sorted(RevisionWriter.objects.filter(revision=revision).values_list("user__name", flat=True)) == [
        "Schrijver A",
        "Schrijver B",
    ]
    # Compacted: one row holds everything the revisions contain.
    assert list(LiveUpdate.objects.filter(section=section).values_list("in_revision", flat=True)) == [True]
    assert live.live_text(section_id=section.pk) == revision.text
    assert Section.objects.get(pk=section.pk).head == revision


def test_save_version_with_nothing_new_makes_no_revision(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.control(type="commit", note="")
        while not any(c["type"] == "committed" for c in writer.controls):
            assert await writer.next() is not None
        await writer.close()
        return next(c for c in writer.controls if c["type"] == "committed")

    assert run(scenario) == {"type": "committed", "id": section.head_id, "number": 1, "unchanged": True}
    assert Revision.objects.filter(section=section).count() == 1


def test_idle_writers_get_a_revision_from_the_room(section, writers, monkeypatch):
    monkeypatch.setattr(live, "IDLE_CUT", timedelta(seconds=0.3))

    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.edit(0, "Stil daarna. ")
        await writer.wait_saved(2)
        while not any(c["type"] == "revision" for c in writer.controls):
            assert await writer.next(timeout=5) is not None
        await writer.close()

    run(scenario)
    revision = Revision.objects.get(section=section, number=2)
    assert revision.text == "Stil daarna. " + FOUR
    assert revision.author == writers[0]
    assert list(revision.writers.values_list("user", flat=True)) == [writers[0].pk]


def test_idle_sweep_cuts_revisions_left_behind_and_only_once(section, writers):
    live.open_live(section_id=section.pk)
    doc = live.build_doc(LiveUpdate.objects.filter(section=section).values_list("data", flat=True))
    update = live.set_text(doc, FOUR + "\n\nNa een herstart.")
    live.store_updates(section_id=section.pk, items=[(update, writers[1].pk)])

    assert live.cut_idle_revisions(now=timezone.now()) == 0  # not idle yet
    assert live.cut_idle_revisions(now=timezone.now() + timedelta(seconds=61)) == 1
    assert live.cut_idle_revisions(now=timezone.now() + timedelta(seconds=122)) == 0
    revision = Section.objects.get(pk=section.pk).head
    assert (revision.number, revision.text, revision.author) == (2, FOUR + "\n\nNa een herstart.", writers[1])


def test_revision_saved_through_the_form_arrives_in_the_live_text(section, writers):
    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.edit(len(FOUR), " Live erbij.")  # the fourth paragraph, not in a revision yet
        await writer.wait_saved(2)

        def save_through_form():
            document_services.save_revision(
                section=section,
                author=writers[1],
                text=FOUR.replace("Tweede alinea.", "Tweede alinea, via het formulier."),
                base_id=section.head_id,
            )
            live.revision_saved(section_id=section.pk)

        from channels.db import database_sync_to_async

        await database_sync_to_async(save_through_form)()
        while "via het formulier" not in str(writer.text):
            assert await writer.next() is not None
        await writer.close()
        return str(writer.text)

    expected = FOUR.replace("Tweede alinea.", "Tweede alinea, via het formulier.") + " Live erbij."
    assert run(scenario) == expected
    assert live.live_text(section_id=section.pk) == expected
    assert LiveText.objects.get(section=section).revision.number == 2


# --- Pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", "Nieuw."),
        ("Weg.", ""),
        ("Een twee drie.", "Een 2 drie."),
        ("Café 😀 en thee.", "Café 😀 of 🍵 thee."),
        (FOUR, FOUR.replace("Derde", "Vierde").replace("Eerste alinea.", "")),
    ],
)
def test_set_text_reaches_the_target_in_small_edits(old, new):
    doc = live.new_doc()
    doc.get(live.TEXT, type=Text).insert(0, old)
    update = live.set_text(doc, new)
    assert live.doc_text(doc) == new
    assert (update is None) == (old == new)


def test_a_revision_change_keeps_what_live_writers_changed_in_other_paragraphs():
    old = FOUR
    new = FOUR.replace("Eerste alinea.", "Eerste alinea, hersteld.")
    current = FOUR.replace("Vierde alinea.", "Vierde alinea, live.")
    assert live.merge_into_live(old=old, new=new, live=current) == (
        "Eerste alinea, hersteld.\n\nTweede alinea.\n\nDerde alinea.\n\nVierde alinea, live."
    )
    # The same paragraph: the live wording stays (the revision is in the history).
    same = FOUR.replace("Eerste alinea.", "Eerste alinea, live.")
    assert live.merge_into_live(old=old, new=new, live=same) == same


def test_compaction_keeps_the_text_and_each_writers_credit(section, writers):
    live.open_live(section_id=section.pk)
    doc = live.build_doc(LiveUpdate.objects.filter(section=section).values_list("data", flat=True))
    for number in range(live.COMPACT_UNCUT_AT):
        update = live.set_text(doc, live.doc_text(doc) + f" {number}")
        live.store_updates(section_id=section.pk, items=[(update, writers[number % 2].pk)])
    before = live.live_text(section_id=section.pk)
    live.compact(section_id=section.pk)
    assert LiveUpdate.objects.filter(section=section).count() == 1 + live.COMPACT_UNCUT_AT  # under the limit per writer
    for number in range(live.COMPACT_UNCUT_AT):
        update = live.set_text(doc, live.doc_text(doc) + f" {number}")
        live.store_updates(section_id=section.pk, items=[(update, writers[0].pk)])
    live.compact(section_id=section.pk)
    rows = list(LiveUpdate.objects.filter(section=section).values_list("author", "in_revision"))
    assert sorted(rows, key=str) == sorted(
        [(None, True), (writers[0].pk, False)] + [(writers[1].pk, False)] * (live.COMPACT_UNCUT_AT // 2), key=str
    )
    assert live.live_text(section_id=section.pk).startswith(before)
    cut = live.cut_revision(section_id=section.pk)
    assert sorted(cut.writers) == sorted([writers[0].pk, writers[1].pk])


def test_protocol_round_trip():
    entries = [protocol.AwarenessEntry(7, 3, {"user": {"name": "É"}}), protocol.AwarenessEntry(2**40, 1, None)]
    assert protocol.parse_awareness(protocol.encode_awareness(entries)) == entries
    message = protocol.parse(protocol.control_message(type="commit", note="ok"))
    assert message.control == {"type": "commit", "note": "ok"}
    assert json.loads(protocol.control_message(a=1)[2:]) == {"a": 1}
    with pytest.raises(protocol.ProtocolError):
        protocol.parse(b"\x00\x01\x09ab")


# --- Proposals and private drafts arrive as edits --------------------------------------------


def test_an_accepted_proposal_arrives_in_an_open_room(section, writers, member_user):
    from documents.models import Amendment

    proposed = FOUR.replace("Tweede alinea.", "Tweede alinea, voorgesteld.")
    amendment = document_services.propose_amendment(
        section=section, proposer=member_user, text=proposed, reason="Beter"
    )

    async def scenario():
        writer = Writer(section.pk, writers[1])
        assert await writer.connect()
        await writer.sync()
        await writer.edit(len(FOUR), " Live erbij.")  # another paragraph, not in a revision yet
        await writer.wait_saved(2)

        def accept_on_the_page():
            client = Client()
            client.force_login(writers[0])
            url = f"/einddocument/{section.pk}/voorstel/{amendment.pk}/besluit/"
            response = client.post(url, {"decision": "accept"})
            assert response.status_code == 302

        from channels.db import database_sync_to_async

        await database_sync_to_async(accept_on_the_page)()
        while "voorgesteld" not in str(writer.text):
            assert await writer.next() is not None
        await writer.close()
        return str(writer.text)

    expected = proposed + " Live erbij."
    assert run(scenario) == expected
    assert live.live_text(section_id=section.pk) == expected
    head = Section.objects.get(pk=section.pk).head
    assert (head.number, head.text, head.author, head.credited_to) == (3, expected, writers[0], member_user)
    assert Amendment.objects.get(pk=amendment.pk).status == "accepted"


def make_draft(section, user, text, base):
    from documents.models import Draft

    return Draft.objects.create(section=section, user=user, text=text, base=base)


def draft_scenario(section, writers, action):
    """Writer A asks to insert or throw away their draft while B is on the page; both texts and A's answer."""

    async def scenario():
        first, second = Writer(section.pk, writers[0]), Writer(section.pk, writers[1])
        for writer in (first, second):
            assert await writer.connect()
            await writer.sync()
        await first.drain()
        await second.drain()
        await first.control(type="draft", action=action)
        while not any(c["type"] == "draft" for c in first.controls):
            assert await first.next() is not None
        await first.drain()
        await second.drain()
        await first.close()
        await second.close()
        return str(first.text), str(second.text), next(c for c in first.controls if c["type"] == "draft")

    return run(scenario)


def test_a_private_draft_is_inserted_as_an_edit_of_the_live_text(section, writers):
    from documents.models import Draft

    first = section.head
    make_draft(section, writers[0], FOUR.replace("Derde alinea.", "Derde alinea, uit mijn concept."), first)
    # Meanwhile B changed another paragraph.
    document_services.save_revision(
        section=section, author=writers[1], text=FOUR.replace("Eerste alinea.", "Eerste, door B."), base_id=first.pk
    )

    text_a, text_b, answer = draft_scenario(section, writers, "apply")

    expected = "Eerste, door B.\n\nTweede alinea.\n\nDerde alinea, uit mijn concept.\n\nVierde alinea."
    assert (text_a, text_b, answer) == (expected, expected, {"type": "draft", "result": "applied", "both": 0})
    assert live.live_text(section_id=section.pk) == expected
    assert not Draft.objects.exists()
    # The insertion is A's writing: the next revision credits A.
    cut = live.cut_revision(section_id=section.pk)
    assert cut.writers == [writers[0].pk]


def test_a_draft_in_a_paragraph_changed_meanwhile_keeps_both_versions(section, writers):
    first = section.head
    make_draft(section, writers[0], FOUR.replace("Tweede alinea.", "Tweede, mijn concept."), first)
    document_services.save_revision(
        section=section, author=writers[1], text=FOUR.replace("Tweede alinea.", "Tweede, door B."), base_id=first.pk
    )

    text_a, text_b, answer = draft_scenario(section, writers, "apply")

    expected = "Eerste alinea.\n\nTweede, door B.\n\nTweede, mijn concept.\n\nDerde alinea.\n\nVierde alinea."
    assert (text_a, text_b, answer) == (expected, expected, {"type": "draft", "result": "applied", "both": 1})


def test_a_draft_thrown_away_leaves_the_live_text_alone(section, writers):
    from documents.models import Draft

    make_draft(section, writers[0], FOUR + " Niet meer nodig.", section.head)

    text_a, text_b, answer = draft_scenario(section, writers, "discard")

    assert (text_a, text_b, answer) == (FOUR, FOUR, {"type": "draft", "result": "discarded"})
    assert not Draft.objects.exists()
    assert live.live_text(section_id=section.pk) == FOUR


def test_a_draft_used_elsewhere_is_reported_gone(section, writers):
    text_a, _text_b, answer = draft_scenario(section, writers, "apply")

    assert (text_a, answer) == (FOUR, {"type": "draft", "result": "gone", "both": 0})


def test_a_reader_cannot_insert_a_draft(section):
    from documents.models import Draft

    other = UserFactory(name="Oud Eigenaar", roles=[Role.DEELNEMER])
    make_draft(section, other, FOUR + " Van vroeger.", section.head)

    async def scenario():
        reader = Writer(section.pk, other)
        assert await reader.connect()
        await reader.sync()
        await reader.control(type="draft", action="apply")
        while not any(c["type"] == "draft" for c in reader.controls):
            assert await reader.next() is not None
        await reader.close()
        return next(c for c in reader.controls if c["type"] == "draft")

    assert run(scenario) == {"type": "draft", "result": "failed"}
    assert live.live_text(section_id=section.pk) == FOUR
    assert Draft.objects.filter(user=other).count() == 1


def test_save_version_keeps_the_writers_private_draft(section, writers):
    from documents.models import Draft

    make_draft(section, writers[0], FOUR + " Nog beslissen.", section.head)

    async def scenario():
        writer = Writer(section.pk, writers[0])
        assert await writer.connect()
        await writer.sync()
        await writer.edit(0, "Live. ")
        await writer.wait_saved(2)
        await writer.control(type="commit", note="")
        while not any(c["type"] == "committed" for c in writer.controls):
            assert await writer.next() is not None
        await writer.close()

    run(scenario)
    assert Section.objects.get(pk=section.pk).head.text == "Live. " + FOUR
    assert Draft.objects.get(user=writers[0]).text == FOUR + " Nog beslissen."


# --- Two-factor roles on the socket ---------------------------------------------------


@pytest.mark.parametrize(
    ("two_factor", "idle_minutes", "connects"),
    [(True, 0, True), (True, 29, True), (True, 31, False), (False, 0, False)],
)
def test_the_board_connects_only_with_two_factor_and_a_session_that_did_not_idle_out(
    section, two_factor, idle_minutes, connects
):
    board = UserFactory(roles=[Role.BESTUUR], totp=two_factor)
    session = {middleware.LAST_ACTIVITY_KEY: int(middleware.clock()) - idle_minutes * 60}

    access = live.connection_access(user=board, section_id=section.pk, session=session)

    assert (access is not None) is connects
    if connects:
        assert access.can_edit is True
