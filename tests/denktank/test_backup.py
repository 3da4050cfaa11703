"""Backups: the drill (demo data → backup → wipe → restore → everything equal) and every refusal.

The tests are transactional: on PostgreSQL ``pg_dump`` and ``pg_restore``
run in other processes and only see committed data.
"""

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from denktank import backup, tasks
from denktank.models import User
from denktank.storage import private_storage
from documents.models import ReportExport
from members.models import Application
from sessions_app.models import Attachment, Meeting
from tests.factories import UserFactory

# serialized_rollback, as in the other transactional tests: afterwards the reference data
# comes back without post_migrate, so a later serialized test finds no duplicate content types.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
OTHER_VENDOR = {"sqlite": "postgresql", "postgresql": "sqlite"}


@pytest.fixture
def private_root(settings, tmp_path):
    # A private root of this test's own: the drill deletes everything in it.
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT.mkdir()
    return settings.PRIVATE_STORAGE_ROOT


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def file_checksums(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def save_private_file(name: str, content: bytes) -> str:
    # The model fields' storage was built with the real root at import;
    # one made now writes under this test's root.
    return private_storage().save(name, ContentFile(content))


def make_archive(tmp_path: Path) -> Path:
    return backup.make_backup(out=tmp_path).path


def repack(archive: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data)`` applied to each member's bytes."""
    copy = archive.with_name("changed-" + archive.name)
    with tarfile.open(archive, "r:gz") as source, tarfile.open(copy, "w:gz") as target:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


@pytest.fixture
def small_site(private_root):
    """A used site: one member and one CV."""
    UserFactory(email="lid@example.nl")
    save_private_file("cv/lid.pdf", TINY_PDF)


def test_backup_restore_drill_brings_back_every_row_and_private_file(private_root, settings, tmp_path):
    settings.DEBUG = True  # demo_data only runs in development
    call_command("demo_data", stdout=io.StringIO())
    applicant = Application.objects.order_by("pk").first()
    Application.objects.filter(pk=applicant.pk).update(cv=save_private_file("cv/aanmelding.pdf", TINY_PDF + b"cv"))
    Attachment.objects.create(
        meeting=Meeting.objects.order_by("pk").first(),
        title="Presentatie",
        file=save_private_file("meetings/presentatie.pdf", TINY_PDF + b"presentatie"),
    )
    ReportExport.objects.create(
        status=ReportExport.Status.DONE, progress=100, file=save_private_file("exports/einddocument.pdf", TINY_PDF)
    )
    rows_before, files_before = row_counts(), file_checksums(private_root)
    assert rows_before["denktank.User"] == 15
    assert rows_before["members.Application"] == 40
    assert sorted(files_before) == ["cv/aanmelding.pdf", "exports/einddocument.pdf", "meetings/presentatie.pdf"]

    out = io.StringIO()
    # A trailing slash: a directory that does not exist yet.
    call_command("backup", str(tmp_path / "backups") + os.sep, stdout=out)
    (archive,) = (tmp_path / "backups").glob("denktank-backup-*.tar.gz")
    rows = sum(rows_before.values())
    assert out.getvalue().splitlines() == [
        f"Backup written to {archive}",
        f"{backup.format_size(archive.stat().st_size)}: the database ({rows:,} rows in {len(rows_before)} tables) "
        "and 3 private files.",
    ]
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"] == {"vendor": connection.vendor, "file": backup.DATABASE_FILES[connection.vendor]}
    assert manifest["row_counts"] == rows_before
    applied = MigrationRecorder(connection).applied_migrations()
    assert manifest["migrations"] == {
        app: max(name for other, name in applied if other == app) for app in {app for app, _ in applied}
    }
    assert {name: entry["sha256"] for name, entry in manifest["files"].items() if name.startswith("private/")} == {
        f"private/{name}": checksum for name, checksum in files_before.items()
    }

    # The wipe: an empty database (flush keeps only what migrate puts back) and no private files.
    call_command("flush", interactive=False, verbosity=0)
    for child in private_root.iterdir():
        backup._remove(child)
    assert User.objects.count() == 0
    assert backup.models_holding_data() == []
    assert file_checksums(private_root) == {}

    out = io.StringIO()
    call_command("restore", str(archive), stdout=out, stderr=io.StringIO())

    assert row_counts() == rows_before
    assert file_checksums(private_root) == files_before
    assert out.getvalue().splitlines() == [
        f"Restored {archive}",
        f"Backup of {manifest['created_at']} ({connection.vendor}): {rows:,} rows in {len(rows_before)} tables "
        "and 3 private files.",
    ]
    # The restored rows still point at the restored files.
    assert Application.objects.get(pk=applicant.pk).cv.name == "cv/aanmelding.pdf"
    assert User.objects.filter(email="bestuur@denktank.test").exists()


def test_restore_into_database_with_data_is_refused_without_force(small_site, private_root, tmp_path):
    archive = make_archive(tmp_path)
    UserFactory(email="later@example.nl")
    save_private_file("cv/later.pdf", TINY_PDF + b"later")
    rows, files = row_counts(), file_checksums(private_root)

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive))

    assert str(refused.value) == (
        "The database holds data (rows in account.EmailAddress (2), denktank.User (2)). Use --force to replace it."
    )
    assert row_counts() == rows
    assert file_checksums(private_root) == files
    assert sorted(os.listdir(private_root)) == ["cv"]


def test_restore_with_force_replaces_database_and_private_files(small_site, private_root, tmp_path):
    archive = make_archive(tmp_path)
    rows, files = row_counts(), file_checksums(private_root)
    UserFactory(email="later@example.nl")
    save_private_file("exports/later.pdf", TINY_PDF)

    call_command("restore", str(archive), force=True, stdout=io.StringIO())

    assert row_counts() == rows
    assert list(User.objects.values_list("email", flat=True)) == ["lid@example.nl"]
    assert file_checksums(private_root) == files
    assert sorted(os.listdir(private_root)) == ["cv"]


def flip_cv_byte(name, data):
    return data[:-1] + bytes([data[-1] ^ 1]) if name == "private/cv/lid.pdf" else data


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("checksum", "is damaged, nothing was changed: private/cv/lid.pdf: checksum differs"),
        ("truncated", "is damaged or not a backup archive"),
        ("escaping entry", "holds an unexpected entry '../escaped.pdf'; nothing was changed."),
        ("extra file", "is damaged, nothing was changed: private/cv/extra.pdf: not in the manifest"),
        ("no manifest", "has no manifest.json: it is not a backup archive of this platform."),
    ],
)
def test_damaged_archive_is_refused_and_changes_nothing(small_site, private_root, tmp_path, damage, message):
    archive = make_archive(tmp_path)
    if damage == "checksum":
        archive = repack(archive, flip_cv_byte)
    elif damage == "truncated":
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    else:
        with tarfile.open(archive) as tar:
            members = [(member, tar.extractfile(member).read()) for member in tar]
        with tarfile.open(archive, "w:gz") as tar:
            for member, data in members:
                if damage == "no manifest" and member.name == "manifest.json":
                    continue
                tar.addfile(member, io.BytesIO(data))
            extra = tarfile.TarInfo("../escaped.pdf" if damage == "escaping entry" else "private/cv/extra.pdf")
            extra.size = len(TINY_PDF)
            if damage != "no manifest":
                tar.addfile(extra, io.BytesIO(TINY_PDF))
    UserFactory(email="later@example.nl")
    rows, files = row_counts(), file_checksums(private_root)

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), force=True)

    assert message in str(refused.value)
    assert row_counts() == rows
    assert file_checksums(private_root) == files
    # Nothing unpacked is left behind, inside or outside the private root.
    assert sorted(os.listdir(private_root)) == ["cv"]
    assert not (private_root.parent / "escaped.pdf").exists()


def test_archive_of_another_database_vendor_is_refused(small_site, private_root, tmp_path):
    other = OTHER_VENDOR[connection.vendor]

    def claim_other_vendor(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"]["vendor"] = other
        return json.dumps(manifest).encode()

    archive = repack(make_archive(tmp_path), claim_other_vendor)
    rows, files = row_counts(), file_checksums(private_root)

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), force=True)

    assert str(refused.value) == (
        f"This archive holds a {other} database and this site runs on {connection.vendor}: "
        f"restore it on a {other} installation."
    )
    assert row_counts() == rows
    assert file_checksums(private_root) == files


def test_nightly_backup_keeps_the_newest_archives(small_site, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEEP = 2
    settings.BACKUP_DIR.mkdir()
    unrelated = settings.BACKUP_DIR / "notes.txt"
    unrelated.write_text("not an archive")
    # Work in progress of a run going on now, and leftovers of a run that died two days ago.
    running = settings.BACKUP_DIR / f"{backup.TEMP_PREFIX}running"
    running.mkdir()
    dead = settings.BACKUP_DIR / f"{backup.TEMP_PREFIX}dead"
    dead.mkdir()
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    os.utime(dead, (two_days_ago, two_days_ago))

    paths = [Path(tasks.backup_nightly.delay().get()) for _ in range(3)]

    assert sorted(os.listdir(settings.BACKUP_DIR)) == sorted([paths[1].name, paths[2].name, "notes.txt", running.name])
    assert [path.parent for path in paths] == [settings.BACKUP_DIR] * 3
    assert paths == sorted(paths)
    assert oct(paths[2].stat().st_mode & 0o777) == "0o600"


def test_failed_backup_leaves_no_archive_behind(small_site, monkeypatch, tmp_path):
    def fail(tar, path, arcname):
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_add_file", fail)
    out = tmp_path / "backups"
    out.mkdir()

    with pytest.raises(OSError, match="disk full"):
        backup.make_backup(out=out)

    assert os.listdir(out) == []
