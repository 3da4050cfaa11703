"""Reading a CSV file of people to invite, for the preview the board checks before anything is written.

The file is what a spreadsheet writes: UTF-8 (with or without the byte
order mark Excel puts in front), a comma or a semicolon between the
columns (Excel with Dutch settings writes semicolons), and a first line
naming the columns in Dutch or English. Nothing here touches the database.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Role, User
from .selectors import accounts_by_email
from .services import PersonToInvite

MAX_FILE_BYTES = 200 * 1024
MAX_ROWS = 500
MAX_NAME_LENGTH = 150

# Column names as people write them, lower-cased: Dutch and English.
COLUMNS = {
    "email": {"e-mail", "email", "e-mailadres", "emailadres", "e-mail address", "email address"},
    "name": {"naam", "name"},
    "role": {"rol", "role"},
    "profiles": {"profielen", "profiles", "profiel", "profile", "expertiseprofielen", "expertise profiles"},
}
REQUIRED_COLUMNS = ("email", "name", "role")
SEPARATORS = (";", ",", "\t")


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why, for the board."""


@dataclass
class ImportRow:
    line: int
    email: str
    name: str
    role: str  # a Role value once valid; what the file said otherwise
    profiles: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


@dataclass
class ParsedImport:
    rows: list[ImportRow]
    # Whether any row names expertise profiles: they are not stored (see the preview).
    has_profiles: bool


def role_names() -> dict[str, str]:
    """Every way to write a role in the file (its name, its Dutch and English label), lower-cased, to the role."""
    names = {}
    for role in Role:
        names[role.value.lower()] = role.value
        for language in ("nl", "en"):
            with translation.override(language):
                names[str(role.label).lower()] = role.value
    return names


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is not UTF-8 text. In Excel choose “Save as” and then “CSV UTF-8 (comma delimited)”.")
        ) from None


def _separator(header_line: str) -> str:
    """The separator the header line uses most; a comma when it uses none (a single column)."""
    counts = {separator: header_line.count(separator) for separator in SEPARATORS}
    best = max(counts, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _columns(header: list[str]) -> dict[str, int]:
    positions = {}
    for index, cell in enumerate(header):
        name = cell.strip().lower()
        for key, spellings in COLUMNS.items():
            if name in spellings and key not in positions:
                positions[key] = index
    missing = [key for key in REQUIRED_COLUMNS if key not in positions]
    if missing:
        raise ImportFileError(
            _(
                "The first line must name the columns: e-mail, name and role (in Dutch: e-mail, naam, rol), "
                "optionally profiles. The first line of this file is: “%(header)s”."
            )
            % {"header": " | ".join(cell.strip() for cell in header)[:200]}
        )
    return positions


def parse_people_csv(data: bytes) -> ParsedImport:
    """Read the file into rows, each with its own errors; raise ``ImportFileError`` if the file cannot be read.

    Row errors: no or a malformed e-mail address, no or too long a name, no
    or an unknown role, an address that appeared on an earlier line.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than %(kb)d KB.") % {"kb": MAX_FILE_BYTES // 1024})
    text = _decode(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ImportFileError(_("The file is empty."))
    reader = csv.reader(io.StringIO(text), delimiter=_separator(first))
    try:
        header = next(row for row in reader if any(cell.strip() for cell in row))
        columns = _columns(header)
        roles = role_names()
        rows: list[ImportRow] = []
        seen: dict[str, int] = {}
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(max)d people. Split it into several files.") % {"max": MAX_ROWS}
                )

            def cell(key, cells=cells):
                index = columns.get(key)
                return cells[index].strip() if index is not None and index < len(cells) else ""

            row = ImportRow(
                line=reader.line_num,
                email=cell("email").lower(),
                name=" ".join(cell("name").split()),
                role=cell("role"),
                profiles=cell("profiles"),
            )
            _check(row, roles=roles, seen=seen)
            rows.append(row)
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)d of the file cannot be read (%(error)s).") % {"line": reader.line_num, "error": error}
        ) from None
    if not rows:
        raise ImportFileError(_("The file names its columns but has no people under them."))
    return ParsedImport(rows=rows, has_profiles=any(row.profiles for row in rows))


def _check(row: ImportRow, *, roles: dict[str, str], seen: dict[str, int]) -> None:
    if not row.email:
        row.errors.append(_("No e-mail address."))
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("“%(email)s” is not a valid e-mail address.") % {"email": row.email})
        else:
            if row.email in seen:
                row.errors.append(_("This address is already on line %(line)d.") % {"line": seen[row.email]})
            else:
                seen[row.email] = row.line
    if not row.name:
        row.errors.append(_("No name."))
    elif len(row.name) > MAX_NAME_LENGTH:
        row.errors.append(_("The name is longer than %(max)d characters.") % {"max": MAX_NAME_LENGTH})
    if not row.role:
        row.errors.append(_("No role."))
    elif row.role.lower() in roles:
        row.role = roles[row.role.lower()]
    else:
        row.errors.append(
            _("Unknown role “%(role)s”: write Bestuur, Werving, Deelnemer or Kamerlid.") % {"role": row.role}
        )


@dataclass
class ImportPreview:
    """What confirming an import would do: each row with the account its address has already, if any."""

    rows: list[tuple[ImportRow, User | None]]
    to_invite: list[PersonToInvite]

    @property
    def existing(self) -> int:
        return sum(1 for _row, account in self.rows if account is not None)

    @property
    def with_errors(self) -> int:
        return sum(1 for row, _account in self.rows if not row.is_valid)


def preview(parsed: ParsedImport) -> ImportPreview:
    """Who would be invited: the valid rows whose address has no account yet. Nothing is written."""
    existing = accounts_by_email(emails=[row.email for row in parsed.rows if row.is_valid])
    rows = [(row, existing.get(row.email) if row.is_valid else None) for row in parsed.rows]
    to_invite = [
        PersonToInvite(email=row.email, name=row.name, role=row.role)
        for row, account in rows
        if row.is_valid and account is None
    ]
    return ImportPreview(rows=rows, to_invite=to_invite)
