"""The WebSocket of one section's live text: ``/ws/einddocument/<pk>/``.

Who may do what holds here as on the pages. Anonymous connections are
refused at the handshake (and other origins before they reach this
consumer, see ``documents.routing``). Someone who may not see the section
is accepted and closed at once with 4403 (the same for a section that does
not exist), before anything of it is sent; y-websocket does not retry a
4400–4499 close. Someone who may see but not change it (a Kamerlid on a
shared section, everyone while the report is published) follows read-only:
their updates are refused and never stored.

The writer learns that an update is stored from a ``saved`` control
message that counts the sync messages handled on this connection.
"""

import dataclasses
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .. import services as documents_services
from ..exceptions import NotAllowedToEdit, ReportFrozen
from . import protocol, rooms, services

logger = logging.getLogger(__name__)

# Permissions are looked up again before an edit at most this often: an owner
# removed from the section stops writing within this many seconds.
RECHECK_SECONDS = 10
# Larger than any section can be (100,000 characters, 4 bytes each, twice over).
MAX_MESSAGE_BYTES = 1_000_000

CLOSE_NOT_ALLOWED = 4403
CLOSE_GONE = 4404
CLOSE_BAD_MESSAGE = 4400
CLOSE_TRY_AGAIN = 4500


class LiveSectionConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room = None
        self.access = None
        self.handled = 0
        self.closing = False
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # refused at the handshake: HTTP 403
            return
        section_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.access = await database_sync_to_async(services.connection_access)(
            user=user, section_id=section_id, session=self.scope.get("session")
        )
        self.checked_at = time.monotonic()
        await self.accept()
        if self.access is None:
            await self._close(CLOSE_NOT_ALLOWED)
            return
        try:
            self.room = await rooms.join(self)
        except services.SectionGone:
            await self._close(CLOSE_GONE)
            return
        except Exception:
            logger.exception("Live section %s: could not open", section_id)
            await self._close(CLOSE_TRY_AGAIN)
            return
        await self._send_mode()
        await self.send(bytes_data=protocol.sync_step1(self.room.state_vector()))
        awareness = self.room.awareness_message()
        if awareness is not None:
            await self.send(bytes_data=awareness)

    async def disconnect(self, code):
        if self.room is not None:
            room, self.room = self.room, None
            await room.leave(self)

    async def receive(self, text_data=None, bytes_data=None):
        if self.room is None or self.closing:
            return
        if bytes_data is None or len(bytes_data) > MAX_MESSAGE_BYTES:
            await self._close(CLOSE_BAD_MESSAGE)
            return
        try:
            message = protocol.parse(bytes_data)
            await self._handle(message)
        except protocol.ProtocolError:
            await self._close(CLOSE_BAD_MESSAGE)

    async def _handle(self, message: protocol.Message):
        if message.kind == protocol.SYNC:
            if message.sync_type == protocol.SYNC_STEP1:
                try:
                    update = self.room.update_since(message.payload)
                except ValueError as error:
                    raise protocol.ProtocolError("bad state vector") from error
                await self.send(bytes_data=protocol.sync_step2(update))
            else:
                await self._receive_update(message.payload)
        elif message.kind == protocol.AWARENESS:
            await self.room.awareness_from(self, message.payload)
        elif message.kind == protocol.QUERY_AWARENESS:
            awareness = self.room.awareness_message()
            if awareness is not None:
                await self.send(bytes_data=awareness)
        elif message.kind == protocol.CONTROL and message.control.get("type") == "commit":
            await self._commit(str(message.control.get("note", "")))
        elif message.kind == protocol.CONTROL and message.control.get("type") == "draft":
            await self._draft(str(message.control.get("action", "")))

    async def _receive_update(self, update: bytes):
        self.handled += 1
        if update == protocol.EMPTY_UPDATE:
            await self._saved()
            return
        if time.monotonic() - self.checked_at > RECHECK_SECONDS:
            await self._recheck()
            if self.room is None or self.closing:
                return
        if not self.access.can_edit:
            # Not stored, not passed on; the browser is told it is read-only.
            await self.send(bytes_data=protocol.permission_denied("read-only"))
            await self._send_mode()
            return
        if not services.is_valid_update(update):
            raise protocol.ProtocolError("bad update")
        if self.room.would_be_too_long(update):
            # The editor itself stops at the limit; only another client sends this.
            raise protocol.ProtocolError("text too long")
        try:
            await self.room.submit(self, update)
        except ReportFrozen:
            self.access = _read_only(self.access, frozen=True)
            await self._send_mode()
            return
        except services.SectionGone:
            await self._close(CLOSE_GONE)
            return
        except Exception:
            # Not stored: close, so the browser reconnects and sends it again.
            logger.exception("Live section %s: update not stored", self.access.section_id)
            await self._close(CLOSE_TRY_AGAIN)
            return
        await self._saved()

    async def _commit(self, note: str):
        if not self.access.can_edit:
            await self._send_mode()
            return
        try:
            result = await self.room.commit(self.access.user_id, note)
        except ReportFrozen:
            self.access = _read_only(self.access, frozen=True)
            await self._send_mode()
            await self._control(type="commit-failed", reason="frozen")
            return
        except NotAllowedToEdit:
            self.access = _read_only(self.access, frozen=False)
            await self._send_mode()
            await self._control(type="commit-failed", reason="not-allowed")
            return
        except Exception:
            logger.exception("Live section %s: revision not made", self.access.section_id)
            await self._control(type="commit-failed", reason="error")
            return
        await self._control(type="committed", **result)

    async def _draft(self, action: str):
        """The writer's private draft of the form editor: inserted into the live text, or thrown away."""
        if action not in ("apply", "discard"):
            raise protocol.ProtocolError("unknown draft action")
        if time.monotonic() - self.checked_at > RECHECK_SECONDS:
            await self._recheck()
            if self.room is None or self.closing:
                return
        if not self.access.can_edit:
            await self._send_mode()
            await self._control(type="draft", result="failed")
            return
        user_id = self.access.user_id
        try:
            if action == "discard":
                await database_sync_to_async(documents_services.discard_draft)(
                    section_id=self.access.section_id, user_id=user_id
                )
                await self._control(type="draft", result="discarded")
                return
            both = await self.room.apply_draft(user_id)
        except ReportFrozen:
            self.access = _read_only(self.access, frozen=True)
            await self._send_mode()
            await self._control(type="draft", result="failed")
            return
        except services.SectionGone:
            await self._close(CLOSE_GONE)
            return
        except rooms.TextTooLong:
            await self._control(type="draft", result="too-long")
            return
        except Exception:
            logger.exception("Live section %s: draft not inserted", self.access.section_id)
            await self._control(type="draft", result="failed")
            return
        await self._control(type="draft", result="gone" if both is None else "applied", both=both or 0)

    async def recheck(self):
        """Rights changed (the report published or reopened, owners, sharing): look them up now."""
        if self.room is not None and not self.closing:
            await self._recheck()

    async def _recheck(self):
        access = await database_sync_to_async(services.connection_access)(
            user=self.scope["user"], section_id=self.access.section_id, session=self.scope.get("session"), reload=True
        )
        self.checked_at = time.monotonic()
        if access is None:
            await self._close(CLOSE_NOT_ALLOWED)
            return
        changed = (access.can_edit, access.frozen) != (self.access.can_edit, self.access.frozen)
        self.access = access
        if changed:
            await self._send_mode()

    # --- Sending --------------------------------------------------------------------------

    def identity(self) -> dict:
        """How this writer appears to the others (y-codemirror.next reads name and colours)."""
        access = self.access
        return {
            "id": access.user_id,
            "name": access.name,
            "color": access.colour,
            "colorLight": access.colour + "33",
            "readonly": not access.can_edit,
        }

    async def send_safely(self, message: bytes):
        if self.closing:
            return
        try:
            await self.send(bytes_data=message)
        except Exception:  # the connection went away meanwhile
            logger.debug("Live: send to a closed connection skipped")

    async def _saved(self):
        await self._control(type="saved", handled=self.handled)

    async def _send_mode(self):
        room = self.room
        await self._control(
            type="mode",
            readonly=not self.access.can_edit,
            frozen=self.access.frozen,
            epoch=room.epoch if room else "",
            head={"id": room.head_id, "number": room.head_number} if room else None,
        )

    async def _control(self, **fields):
        await self.send_safely(protocol.control_message(**fields))

    async def _close(self, code: int):
        self.closing = True
        await self.close(code=code)
        if self.room is not None:
            room, self.room = self.room, None
            await room.leave(self)


def _read_only(access: services.Access, *, frozen: bool) -> services.Access:
    return dataclasses.replace(access, can_edit=False, frozen=frozen or access.frozen)
