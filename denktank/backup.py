"""Backups: one archive that holds everything needed to bring the platform back.

An archive is a ``.tar.gz`` with three parts:

- ``database/``: a consistent snapshot of the database, made with SQLite's
  online backup API or ``pg_dump --format=custom``;
- ``private/``: every file under ``PRIVATE_STORAGE_ROOT`` (CVs, meeting
  attachments, exported PDFs);
- ``manifest.json``: when and from which database vendor it was made, the
  latest applied migration per app, the row count of every table and the
  SHA-256 and size of every other file in the archive.

A restore checks every checksum before it changes anything. The checksums
detect a damaged archive, not a forged one: keep archives where only the
operators can write.
"""

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

# Defaults for the settings BACKUP_DIR (under VAR_DIR) and BACKUP_KEEP.
DEFAULT_DIR_NAME = "backups"
DEFAULT_KEEP = 14

ARCHIVE_PREFIX = "denktank-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
# Work in progress (a half-written archive, a database snapshot, an unpacked
# restore) lives under names with this prefix, which no archive, private
# file or retention rule ever matches.
TEMP_PREFIX = ".denktank-tmp-"
# A temporary file this old belongs to a run that died; the next prune removes it.
STALE_TEMP_SECONDS = 24 * 60 * 60
MANIFEST = "manifest.json"
FORMAT = 1
DATABASE_FILES = {"sqlite": "database/denktank.sqlite3", "postgresql": "database/denktank.pgdump"}
# How long pg_restore waits for a table another session holds, before it
# gives up (and, being one transaction, changes nothing) instead of hanging.
RESTORE_LOCK_TIMEOUT = "30s"

# The tables `migrate` fills on an empty database (post_migrate signals and
# the *_data migrations). A row in any other table means someone has used the
# site, so the database is not empty and a restore needs --force.
REFERENCE_MODELS = frozenset(
    {
        "auth.Group",
        "auth.Permission",
        "contenttypes.ContentType",
        "sites.Site",
        "documents.Direction",
        "documents.Question",
        "documents.Section",
        "documents.Source",
        "members.ExpertiseProfile",
        "members.MailTemplate",
        "members.Procedure",
        "sessions_app.Meeting",
        "sessions_app.Phase",
    }
)


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    private_files: int
    rows: int
    tables: int

    def summary(self) -> str:
        return (
            f"{format_size(self.size)}: the database ({self.rows:,} rows in {self.tables} tables) "
            f"and {count_files(self.private_files)}."
        )


@dataclass(frozen=True)
class RestoreResult:
    created_at: str
    vendor: str
    rows: int
    tables: int
    private_files: int
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Backup of {self.created_at} ({self.vendor}): {self.rows:,} rows in {self.tables} tables "
            f"and {count_files(self.private_files)}."
        )


def backup_dir() -> Path:
    return Path(getattr(settings, "BACKUP_DIR", Path(settings.VAR_DIR) / DEFAULT_DIR_NAME))


def backup_keep() -> int:
    return int(getattr(settings, "BACKUP_KEEP", DEFAULT_KEEP))


def count_files(count: int) -> str:
    return f"{count} private file" if count == 1 else f"{count} private files"


def format_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# Making a backup


def make_backup(*, out: Path) -> BackupResult:
    """Write one archive of the database and the private files.

    ``out`` is a directory (the archive gets a timestamped name inside it) or
    a file path. Side effects: creates the archive (mode 0600, it holds
    personal data) and the directory it goes in; a run that fails leaves no
    archive. The archive appears under its final name only when complete, so
    two runs at once, or a reader of the directory, never see half an archive.
    """
    _require_no_transaction()
    out = Path(out)
    target = out / archive_name() if out.is_dir() else out
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=TEMP_PREFIX) as work:
        snapshot = Path(work) / "snapshot"
        # The database first, then the files: a file uploaded in between is
        # in the archive without its row (harmless), not the other way round.
        counts, migrations = _snapshot_database(snapshot)
        partial = Path(work) / "archive.part"
        private_files = _write_archive(
            partial,
            database=(snapshot, DATABASE_FILES[connection.vendor]),
            private=_private_files(Path(settings.PRIVATE_STORAGE_ROOT)),
            manifest={
                "format": FORMAT,
                "created_at": timezone.now().isoformat(timespec="seconds"),
                "database": {"vendor": connection.vendor, "file": DATABASE_FILES[connection.vendor]},
                "migrations": migrations,
                "row_counts": counts,
            },
        )
        # Same directory, so the rename is atomic: the archive is whole or absent.
        os.replace(partial, target)
    _fsync_directory(target.parent)
    return BackupResult(
        path=target,
        size=target.stat().st_size,
        private_files=private_files,
        rows=sum(counts.values()),
        tables=len(counts),
    )


def make_nightly_backup() -> Path:
    """Write an archive into BACKUP_DIR and keep only the newest BACKUP_KEEP.

    Side effects: see ``make_backup`` and ``prune_backups``.
    """
    directory = backup_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = make_backup(out=directory)
    prune_backups(directory=directory, keep=backup_keep())
    return result.path


def archive_name() -> str:
    # UTC with microseconds: names sort by age (retention relies on it) and
    # two runs at once do not pick the same name.
    return f"{ARCHIVE_PREFIX}{timezone.now():%Y%m%d-%H%M%S-%f}{ARCHIVE_SUFFIX}"


def prune_backups(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in ``directory``.

    Side effects: deletes older archives and temporary files of runs that
    died more than a day ago. Files that are not our archives are left
    alone, and so is the work in progress of a run going on now.
    """
    if keep < 1:
        raise BackupError(f"BACKUP_KEEP must be at least 1, not {keep}.")
    archives = sorted(directory.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}"))
    removed = archives[:-keep]
    for path in removed:
        # Another run may be pruning at the same moment.
        path.unlink(missing_ok=True)
    for path in directory.glob(f"{TEMP_PREFIX}*"):
        try:
            if time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                _remove(path)
        except FileNotFoundError:
            pass
    return removed


def _snapshot_database(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    if connection.vendor == "sqlite":
        return _snapshot_sqlite(path)
    if connection.vendor == "postgresql":
        return _snapshot_postgresql(path)
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


def _snapshot_sqlite(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        # pages=-1 copies the whole database in one step under one read
        # lock: a consistent snapshot while the site keeps writing (WAL).
        connection.connection.backup(target, pages=-1)
        # Counted in the copy, so the manifest describes exactly what is archived.
        tables = {row[0] for row in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return _database_state(target.cursor(), tables)
    finally:
        target.close()


def _snapshot_postgresql(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_connection_args()
    with transaction.atomic(), connection.cursor() as cursor:
        # pg_dump imports this transaction's snapshot, so the dump and the
        # row counts in the manifest describe the same moment.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        _run([pg_dump, "--format=custom", f"--file={path}", f"--snapshot={snapshot_id}", *args], env=env)
        return _database_state(cursor, set(connection.introspection.table_names(cursor)))


def _database_state(cursor, tables: set[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Row count per model and latest applied migration per app, read through any DB-API cursor."""
    counts = {}
    for model in _table_models():
        if model._meta.db_table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")
            counts[model._meta.label] = cursor.fetchone()[0]
    migrations: dict[str, str] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            # Migration names start with their number, so the largest is the latest.
            migrations[app] = max(migrations.get(app, name), name)
    return dict(sorted(counts.items())), dict(sorted(migrations.items()))


def _table_models():
    # Auto-created many-to-many tables too: group memberships and an
    # applicant's profiles are data. Proxies share their model's table.
    return [
        model for model in apps.get_models(include_auto_created=True) if model._meta.managed and not model._meta.proxy
    ]


def _private_files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    skip = backup_dir().resolve()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        # Not our own work in progress, not archives should BACKUP_DIR lie
        # inside the private root, and only regular files (a link would not
        # come back as a link).
        if any(part.startswith(TEMP_PREFIX) for part in relative.parts) or path.resolve().is_relative_to(skip):
            continue
        if path.is_file() and not path.is_symlink():
            yield path, f"private/{relative.as_posix()}"


def _write_archive(
    path: Path, *, database: tuple[Path, str], private: Iterator[tuple[Path, str]], manifest: dict
) -> int:
    """Write the archive to ``path`` and return how many private files went in."""
    checksums = {}
    # 0600 from the start: the archive holds personal data.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        # Level 6: the dump and the PDFs compress little, level 9 only costs time.
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            for source, arcname in [database, *private]:
                checksums[arcname] = _add_file(tar, source, arcname)
            data = json.dumps({**manifest, "files": checksums}, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
        raw.flush()
        os.fsync(raw.fileno())
    return len(checksums) - 1


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict:
    info = tar.gettarinfo(path, arcname)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        # Hash what goes into the archive while it goes in: one read per file.
        tar.addfile(info, _HashingReader(handle, digest))
    return {"sha256": digest.hexdigest(), "size": info.size}


class _HashingReader:
    def __init__(self, handle, digest):
        self.handle, self.digest = handle, digest

    def read(self, size=-1):
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


# Restoring


def restore_backup(*, archive: Path, force: bool = False) -> RestoreResult:
    """Replace the database and the private files with those in ``archive``.

    Refuses (BackupError, nothing changed) an archive that cannot be read,
    whose checksums do not match, that comes from another database vendor,
    or, without ``force``, a database that holds data. Side effects:
    replaces every table in the archive (SQLite: the whole database) and the
    whole content of PRIVATE_STORAGE_ROOT; clears the content-type cache.
    Afterwards the row counts are checked against the manifest: a difference
    raises BackupError, with the restore done.
    """
    _require_no_transaction()
    archive = Path(archive)
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    # Unpacked inside the private root, so the files move into place by
    # rename (same file system) instead of being copied a second time.
    with tempfile.TemporaryDirectory(dir=root, prefix=TEMP_PREFIX) as work:
        work = Path(work)
        manifest = _unpack(archive, work)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                f"This archive holds a {vendor} database and this site runs on {connection.vendor}: "
                f"restore it on a {vendor} installation."
            )
        if not force and (holding := models_holding_data()):
            raise BackupError(
                "The database holds data (rows in "
                + ", ".join(f"{label} ({count})" for label, count in holding[:5])
                + (", …" if len(holding) > 5 else "")
                + "). Use --force to replace it."
            )
        _restore_database(work / manifest["database"]["file"])
        ContentType.objects.clear_cache()
        # Sessions and rendered pages in the caches belong to the database that was replaced.
        for each in caches.all():
            each.clear()
        private_files = _replace_private_files(work / "private", root, keep=work)
    counts = live_row_counts()
    differ = sorted(
        f"{label}: {expected} in the archive, {counts[label]} restored"
        for label, expected in manifest["row_counts"].items()
        if label in counts and counts[label] != expected
    )
    if differ:
        raise BackupError("The restored database does not match the manifest: " + "; ".join(differ))
    restored = {label: counts[label] for label in manifest["row_counts"] if label in counts}
    return RestoreResult(
        created_at=manifest["created_at"],
        vendor=vendor,
        rows=sum(restored.values()),
        tables=len(restored),
        private_files=private_files,
        notes=_migration_notes(),
    )


def _require_no_transaction() -> None:
    # pg_dump and pg_restore are other sessions that only see committed
    # data, and SQLite cannot restore into a connection inside a transaction.
    if connection.in_atomic_block:
        raise BackupError("A backup or restore cannot run inside a database transaction.")


def live_row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _database_state(cursor, set(connection.introspection.table_names(cursor)))[0]


def models_holding_data() -> list[tuple[str, int]]:
    """The tables outside the reference data that have rows, with their counts."""
    return [(label, count) for label, count in live_row_counts().items() if count and label not in REFERENCE_MODELS]


def _unpack(archive: Path, into: Path) -> dict:
    """Unpack into ``into`` and return the manifest, once every checksum is checked."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist.")
    checksums = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                name = _member_name(member, seen=checksums)
                destination = into / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                # Our own copy loop instead of extract(): names are checked
                # above, and the hash comes with the one read.
                with tar.extractfile(member) as source, open(destination, "wb") as target:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        target.write(chunk)
                checksums[name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(f"{archive} is damaged or not a backup archive ({error}).") from error
    if MANIFEST not in checksums:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not a backup archive of this platform.")
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        expected = {name: entry["sha256"] for name, entry in manifest["files"].items()}
        database = manifest["database"]["file"]
        if missing := {"created_at", "row_counts"} - manifest.keys() or {"vendor"} - manifest["database"].keys():
            raise KeyError(", ".join(sorted(missing)))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"The {MANIFEST} of {archive} is damaged ({error!s}).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} has backup format {manifest.get('format')}; this version reads {FORMAT}.")
    del checksums[MANIFEST]
    problems = sorted(
        [f"{name}: checksum differs" for name in expected if name in checksums and checksums[name] != expected[name]]
        + [f"{name}: missing" for name in expected if name not in checksums]
        + [f"{name}: not in the manifest" for name in checksums if name not in expected]
    )
    if database not in checksums:
        problems.append(f"{database}: missing")
    if problems:
        raise BackupError(f"{archive} is damaged, nothing was changed: " + "; ".join(problems[:5]))
    return manifest


def _member_name(member: tarfile.TarInfo, *, seen: dict) -> str:
    # Only the names we write: a crafted archive must not place files
    # outside the restore directory or smuggle in links.
    path = PurePosixPath(member.name)
    allowed = path.as_posix() == MANIFEST or (len(path.parts) > 1 and path.parts[0] in ("database", "private"))
    if (
        not member.isreg()
        or not allowed
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in path.parts)
        or member.name in seen
    ):
        raise BackupError(f"The archive holds an unexpected entry {member.name!r}; nothing was changed.")
    return member.name


def _restore_database(snapshot: Path) -> None:
    if connection.vendor == "sqlite":
        _restore_sqlite(snapshot)
    else:
        _restore_postgresql(snapshot)


def _restore_sqlite(snapshot: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(snapshot)
    try:
        # Into the live database through Django's own connection: one write
        # transaction, so other processes see the old database or the new
        # one, never a mix, and a failure leaves the old one.
        source.backup(connection.connection, pages=-1)
    finally:
        source.close()


def _restore_postgresql(dump: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_connection_args()
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    # --clean drops every table in the dump: no connection of ours may hold
    # a lock on one. The web server and the worker should be stopped too.
    connection.close()
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            # Owners and grants of the source server's roles need not exist here.
            "--no-owner",
            "--no-privileges",
            # All or nothing: a failure rolls back to the database as it was.
            "--single-transaction",
            *args,
            str(dump),
        ],
        env=env,
    )


def _replace_private_files(source: Path, root: Path, *, keep: Path) -> int:
    """Make ``root`` hold exactly the files under ``source``; ``keep`` (the work dir) stays."""
    for child in list(root.iterdir()):
        if child != keep:
            _remove(child)
    restored = 0
    if source.is_dir():
        restored = sum(1 for path in source.rglob("*") if path.is_file())
        for child in list(source.iterdir()):
            child.rename(root / child.name)
    return restored


def _migration_notes() -> list[str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied, known = set(loader.applied_migrations), set(loader.graph.nodes)
    notes = []
    if unknown := sorted(applied - known):
        notes.append(
            "The archive was made by a newer version of the platform (unknown migrations: "
            + ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            + "): deploy that version."
        )
    if known - applied:
        notes.append("The archive was made by an older version of the platform: run `python manage.py migrate`.")
    return notes


# PostgreSQL client programs


def _pg_tool(name: str) -> str:
    """The path of pg_dump or pg_restore that fits the server's major version.

    The server's own version first; otherwise the nearest newer one, which
    still reads and writes an older server's dumps. An older one refuses.
    """
    server = connection.pg_version // 10000
    found: dict[int, str] = {}
    # Debian's and Red Hat's versioned directories before PATH: on Debian
    # PATH has a wrapper that picks a version by its own rules.
    for path in [
        *sorted(glob(f"/usr/lib/postgresql/*/bin/{name}")),
        *sorted(glob(f"/usr/pgsql-*/bin/{name}")),
        shutil.which(name),
    ]:
        if path and (major := _tool_major_version(path)) is not None:
            found.setdefault(major, path)
    usable = sorted(major for major in found if major >= server)
    if not usable:
        raise BackupError(
            f"No {name} for PostgreSQL {server} found (found: {sorted(found) or 'none'}): install the PostgreSQL "
            f"{server} client programs, on Debian the package postgresql-client-{server}."
        )
    return found[usable[0]]


def _tool_major_version(path: str) -> int | None:
    try:
        output = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", output)
    return int(match.group(1)) if match else None


def _pg_connection_args() -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment that reach the configured database.

    The password goes in the environment, never on the command line where
    other users of the machine could read it; Django's own helper sets it and
    the SSL and service options.
    """
    settings_dict = connection.settings_dict
    _, extra_env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    args = [
        f"{option}={settings_dict[key]}"
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER"), ("--dbname", "NAME"))
        if settings_dict.get(key)
    ]
    return args, {**os.environ, **(extra_env or {})}


def _run(command: list[str], *, env: dict[str, str]) -> None:
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {completed.stderr.strip()}")


# Files


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _fsync_directory(path: Path) -> None:
    # Makes the rename itself survive a power cut.
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
