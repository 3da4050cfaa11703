"""The messages of the y-websocket protocol (lib0 encoding), and our own control message.

Message types, as y-websocket numbers them: 0 sync (step 1, step 2,
update), 1 awareness (cursors and who is here), 2 auth (permission denied),
3 query awareness. Type 100 is ours: a JSON control message (the access
mode, "saved" acknowledgements, revisions cut, "Versie vastleggen").
"""

import json
from dataclasses import dataclass

SYNC = 0
AWARENESS = 1
AUTH = 2
QUERY_AWARENESS = 3
CONTROL = 100

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

AUTH_PERMISSION_DENIED = 0

# An update that adds nothing: zero new structs and an empty delete set.
EMPTY_UPDATE = b"\x00\x00"


class ProtocolError(ValueError):
    """A message that is not well-formed: the connection is closed."""


def write_var_uint(number: int) -> bytes:
    out = bytearray()
    while number > 127:
        out.append(128 | (number & 127))
        number >>= 7
    out.append(number)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def write_var_string(text: str) -> bytes:
    return write_var_bytes(text.encode())


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.position = 0

    def var_uint(self) -> int:
        number, shift = 0, 0
        while True:
            if self.position >= len(self.data) or shift > 63:
                raise ProtocolError("truncated number")
            byte = self.data[self.position]
            self.position += 1
            number |= (byte & 127) << shift
            shift += 7
            if byte < 128:
                return number

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.position + length
        if end > len(self.data):
            raise ProtocolError("truncated data")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode()
        except UnicodeDecodeError as error:
            raise ProtocolError("bad text") from error


@dataclass(frozen=True)
class Message:
    kind: int
    sync_type: int | None = None
    payload: bytes = b""
    control: dict | None = None


def parse(data: bytes) -> Message:
    reader = Reader(data)
    kind = reader.var_uint()
    if kind == SYNC:
        sync_type = reader.var_uint()
        if sync_type not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ProtocolError("unknown sync message")
        return Message(kind, sync_type, reader.var_bytes())
    if kind == AWARENESS:
        return Message(kind, payload=reader.var_bytes())
    if kind == QUERY_AWARENESS:
        return Message(kind)
    if kind == AUTH:
        reader.var_uint()
        return Message(kind, payload=reader.var_string().encode())
    if kind == CONTROL:
        try:
            control = json.loads(reader.var_string())
        except ValueError as error:
            raise ProtocolError("bad control message") from error
        if not isinstance(control, dict):
            raise ProtocolError("bad control message")
        return Message(kind, control=control)
    raise ProtocolError(f"unknown message type {kind}")


def sync_step1(state_vector: bytes) -> bytes:
    return bytes([SYNC, SYNC_STEP1]) + write_var_bytes(state_vector)


def sync_step2(update: bytes) -> bytes:
    return bytes([SYNC, SYNC_STEP2]) + write_var_bytes(update)


def sync_update(update: bytes) -> bytes:
    return bytes([SYNC, SYNC_UPDATE]) + write_var_bytes(update)


def awareness_message(update: bytes) -> bytes:
    return bytes([AWARENESS]) + write_var_bytes(update)


def permission_denied(reason: str) -> bytes:
    return bytes([AUTH, AUTH_PERMISSION_DENIED]) + write_var_string(reason)


def control_message(**fields) -> bytes:
    return bytes([CONTROL]) + write_var_string(json.dumps(fields))


# --- Awareness (y-protocols/awareness) -------------------------------------------------


@dataclass
class AwarenessEntry:
    client_id: int
    clock: int
    state: dict | None  # None: the client left


def parse_awareness(update: bytes) -> list[AwarenessEntry]:
    reader = Reader(update)
    entries = []
    for _ in range(reader.var_uint()):
        client_id, clock = reader.var_uint(), reader.var_uint()
        try:
            state = json.loads(reader.var_string())
        except ValueError as error:
            raise ProtocolError("bad awareness state") from error
        if state is not None and not isinstance(state, dict):
            raise ProtocolError("bad awareness state")
        entries.append(AwarenessEntry(client_id, clock, state))
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    out = [write_var_uint(len(entries))]
    for entry in entries:
        out += [
            write_var_uint(entry.client_id),
            write_var_uint(entry.clock),
            write_var_string(json.dumps(entry.state, separators=(",", ":"))),
        ]
    return b"".join(out)
