"""One open section per process: its Yjs document, its connections, who is here.

A room holds the live text in memory for the writers connected to this
process. Their updates are stored (``services.store_updates``, in batches
when several arrive at once) before the room applies them and passes them
on: to the other connections here directly, to the same section's rooms
in other processes through the channel layer (Redis when configured).

When the writers have been idle for ``services.IDLE_CUT``, the room cuts a
numbered revision; a room whose last writer left stays open until then.
"""

import asyncio
import logging
import time
import uuid

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from pycrdt import merge_updates

from .. import services as documents_services
from ..exceptions import ReportFrozen
from ..forms import SECTION_MAX_CHARS
from . import protocol, services

logger = logging.getLogger(__name__)

# Awareness states not renewed for this long belong to clients that are gone
# (y-protocols renews every 15 seconds and times out after 30).
AWARENESS_TIMEOUT = 30.0
# How often an open room renews its place in the channel layer's group.
GROUP_RENEWAL = 600.0

_rooms: dict[int, "Room"] = {}


class TextTooLong(Exception):
    """An edit would make the text longer than a section may be."""


async def join(consumer) -> "Room":
    """The section's room in this process, opened (loaded from the database) if needed."""
    section_id = consumer.access.section_id
    loop = asyncio.get_running_loop()
    room = _rooms.get(section_id)
    if room is None or room.loop is not loop or room.closed:
        room = _rooms[section_id] = Room(section_id, loop)
    await room.open()
    room.connections.add(consumer)
    return room


class Room:
    def __init__(self, section_id: int, loop):
        self.section_id = section_id
        self.loop = loop
        self.uid = uuid.uuid4().hex
        self.group = services.group_name(section_id)
        self.doc = None
        self.epoch = ""
        self.head_id = None
        self.head_number = None
        self.connections: set = set()
        # client id → [clock, state, connection (None: another process), last seen]
        self.awareness: dict[int, list] = {}
        self.closed = False
        self.has_uncut = False
        self._opening = None
        self._early: list[dict] = []
        self._queue: list = []
        self._flusher = None
        self._listener = None
        self._membership = None
        self._channel = None
        self._idle_handle = None
        self._last_write = 0.0

    # --- Opening and closing -----------------------------------------------------------

    async def open(self):
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
        await asyncio.shield(self._opening)

    async def _open(self):
        layer = get_channel_layer()
        try:
            if layer is not None:
                # Listen before loading, so nothing stored meanwhile by another process is missed
                # (an update that arrives twice changes nothing).
                # The layer's default prefix: channels-redis receives all of a
                # process's channels with that prefix in one loop; a channel of
                # another prefix waits for that loop's 5-second poll to end.
                self._channel = await layer.new_channel()
                await layer.group_add(self.group, self._channel)
                self._listener = asyncio.ensure_future(self._listen(layer))
                self._membership = asyncio.ensure_future(self._keep_membership(layer))
            opened = await database_sync_to_async(services.open_live)(section_id=self.section_id)
        except BaseException:
            await self.close()
            raise
        doc = services.new_doc()
        doc.get(services.TEXT, type=services.Text)
        with doc.transaction():
            for update in opened.updates:
                doc.apply_update(update)
        self.doc = doc
        self.epoch = opened.epoch
        self.head_id, self.head_number = opened.head_id, opened.head_number
        for event in self._early:
            await self._on_event(event)
        self._early = []
        if opened.uncut_since is not None:
            self.has_uncut = True
            self._schedule_idle_cut()

    async def close(self):
        if self.closed:
            return
        self.closed = True
        if _rooms.get(self.section_id) is self:
            del _rooms[self.section_id]
        if self._idle_handle is not None:
            self._idle_handle.cancel()
        for task in (self._listener, self._membership):
            if task is not None:
                task.cancel()
        layer = get_channel_layer()
        if layer is not None and self._channel is not None:
            await layer.group_discard(self.group, self._channel)

    async def leave(self, connection):
        self.connections.discard(connection)
        gone = [client for client, entry in self.awareness.items() if entry[2] is connection]
        if gone:
            entries = []
            for client in gone:
                clock = self.awareness.pop(client)[0]
                entries.append(protocol.AwarenessEntry(client, clock + 1, None))
            await self._share_awareness(protocol.encode_awareness(entries))
        if not self.connections and not self.has_uncut:
            await self.close()
        # With changes not in a revision yet, the room stays open until the idle cut.

    # --- The text ------------------------------------------------------------------------

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def update_since(self, state_vector: bytes) -> bytes:
        return self.doc.get_update(state_vector)

    def text(self) -> str:
        return services.doc_text(self.doc)

    def would_be_too_long(self, update: bytes) -> bool:
        """Whether the update makes the text longer than a section may be (as in the form)."""
        current = len(self.text())
        # An update holds at least one byte per character it inserts: far from the
        # limit, no update can cross it, and no copy of the document is needed.
        if current + len(update) <= SECTION_MAX_CHARS:
            return False
        trial = services.build_doc([self.doc.get_update(), update])
        return len(services.doc_text(trial)) > max(current, SECTION_MAX_CHARS)

    async def submit(self, connection, update: bytes, *, author_id: int | None = None) -> None:
        """Store a writer's update, then apply it and pass it on; returns once it is stored.

        ``connection`` None: an edit the server makes for ``author_id`` (a
        draft inserted), passed on to every connection.
        """
        future = self.loop.create_future()
        author = author_id if connection is None else connection.access.user_id
        self._queue.append((update, author, connection, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await future

    async def _flush(self):
        # Updates that arrive while a batch is being stored wait for the next
        # batch: one transaction stores what several writers typed meanwhile.
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await database_sync_to_async(services.store_updates)(
                    section_id=self.section_id, items=[(update, author) for update, author, _, _ in batch]
                )
            except BaseException as error:
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(error if isinstance(error, Exception) else RuntimeError())
                if not isinstance(error, Exception):
                    raise
                continue
            updates = [update for update, *_ in batch]
            for update, _author, connection, future in batch:
                self.doc.apply_update(update)
                message = protocol.sync_update(update)
                for other in list(self.connections):
                    if other is not connection:
                        await other.send_safely(message)
                if not future.done():
                    future.set_result(None)
            self._wrote()
            await self._publish(
                {"type": "live.update", "update": merge_updates(*updates), "origin": self.uid, "writer": True}
            )

    def _wrote(self):
        self.has_uncut = True
        self._last_write = time.monotonic()
        self._schedule_idle_cut()

    async def apply_draft(self, user_id: int) -> int | None:
        """Insert the writer's private draft into the live text as an edit, then drop the draft.

        Returns the number of places where both versions were kept (see
        ``services.merge_draft``), or None when there is no draft (any more).
        Raises ``TextTooLong`` when the result would be longer than a section may be.
        """
        found = await database_sync_to_async(services.draft_for)(section_id=self.section_id, user_id=user_id)
        if found is None:
            return None
        draft, base = found
        target, both = services.merge_draft(base=base, draft=draft, live=self.text())
        if len(target) > SECTION_MAX_CHARS:
            raise TextTooLong
        # Edits computed on a copy: the room's document changes only once they are stored.
        scratch = services.build_doc([self.doc.get_update()])
        update = services.set_text(scratch, target)
        if update is not None:
            await self.submit(None, update, author_id=user_id)
        await database_sync_to_async(documents_services.discard_draft)(section_id=self.section_id, user_id=user_id)
        return both

    # --- Revisions --------------------------------------------------------------------

    def _schedule_idle_cut(self):
        if self._idle_handle is not None:
            self._idle_handle.cancel()
        delay = services.IDLE_CUT.total_seconds()
        self._idle_handle = self.loop.call_later(delay, lambda: asyncio.ensure_future(self._idle_cut()))

    async def _idle_cut(self):
        from django.utils import timezone

        started = time.monotonic()
        try:
            await database_sync_to_async(services.cut_revision)(
                section_id=self.section_id, idle_since=timezone.now() - services.IDLE_CUT
            )
        except (ReportFrozen, services.SectionGone):
            pass
        except Exception:
            logger.exception("Live section %s: idle revision failed", self.section_id)
            self._schedule_idle_cut()
            return
        if self._last_write <= started:
            self.has_uncut = False
        if not self.connections and not self.has_uncut:
            await self.close()

    async def commit(self, user_id: int, note: str):
        """'Versie vastleggen': a revision of the live text now, by this writer."""
        return await database_sync_to_async(services.commit_live)(
            section_id=self.section_id, user_id=user_id, note=note
        )

    # --- Awareness: cursors and who is here ------------------------------------------------

    async def awareness_from(self, connection, payload: bytes):
        entries = []
        now = time.monotonic()
        for entry in protocol.parse_awareness(payload):
            known = self.awareness.get(entry.client_id)
            if known is not None and known[2] is not None and known[2] is not connection:
                continue  # another connection's client: not this one's to change
            if entry.state is not None:
                # The name and colour come from the account, not from the browser.
                entry.state["user"] = connection.identity()
                self.awareness[entry.client_id] = [entry.clock, entry.state, connection, now]
            else:
                self.awareness.pop(entry.client_id, None)
            entries.append(entry)
        if entries:
            await self._share_awareness(protocol.encode_awareness(entries))

    async def _share_awareness(self, update: bytes):
        # Everyone here, the sender too (its own state coming back keeps y-websocket's
        # connection watchdog quiet), and the other processes.
        message = protocol.awareness_message(update)
        for connection in list(self.connections):
            await connection.send_safely(message)
        await self._publish({"type": "live.awareness", "update": update, "origin": self.uid})

    def awareness_message(self) -> bytes | None:
        now = time.monotonic()
        for client, entry in list(self.awareness.items()):
            if entry[2] is None and now - entry[3] > AWARENESS_TIMEOUT:
                del self.awareness[client]
        entries = [protocol.AwarenessEntry(c, e[0], e[1]) for c, e in self.awareness.items()]
        return protocol.awareness_message(protocol.encode_awareness(entries)) if entries else None

    # --- Other processes ---------------------------------------------------------------

    async def _publish(self, event: dict):
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            await layer.group_send(self.group, event)
        except Exception:
            # Stored already: the other processes' writers get it on their next sync.
            logger.exception("Live section %s: could not reach the other processes", self.section_id)

    async def _keep_membership(self, layer):
        # Channel layers forget group members after a while (channels-redis:
        # a day); a room open that long joins its group again.
        while True:
            await asyncio.sleep(GROUP_RENEWAL)
            try:
                await layer.group_add(self.group, self._channel)
            except Exception:
                logger.exception("Live section %s: could not renew the group", self.section_id)

    async def _listen(self, layer):
        while True:
            event = await layer.receive(self._channel)
            try:
                if self.doc is None:
                    self._early.append(event)
                else:
                    await self._on_event(event)
            except Exception:
                logger.exception("Live section %s: bad event %r", self.section_id, event.get("type"))

    async def _on_event(self, event: dict):
        if event.get("origin") == self.uid:
            return
        kind = event.get("type")
        if kind == "live.update":
            update = bytes(event["update"])
            self.doc.apply_update(update)
            message = protocol.sync_update(update)
            for connection in list(self.connections):
                await connection.send_safely(message)
            if event.get("writer"):
                self._wrote()
        elif kind == "live.awareness":
            update = bytes(event["update"])
            now = time.monotonic()
            for entry in protocol.parse_awareness(update):
                if entry.state is None:
                    self.awareness.pop(entry.client_id, None)
                else:
                    self.awareness[entry.client_id] = [entry.clock, entry.state, None, now]
            message = protocol.awareness_message(update)
            for connection in list(self.connections):
                await connection.send_safely(message)
        elif kind == "live.recheck":
            for connection in list(self.connections):
                await connection.recheck()
        elif kind == "live.control":
            message = event["message"]
            if message.get("type") == "revision":
                self.head_id, self.head_number = message["id"], message["number"]
            encoded = protocol.control_message(**message)
            for connection in list(self.connections):
                await connection.send_safely(encoded)
