"""An export always ends: a dead worker or database never leaves it running, nor a file without a row."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError, connection
from django.db.models.query import QuerySet
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import ReportExport

from ..concurrency import requires_postgresql


def exports_dir() -> Path:
    return Path(ReportExport._meta.get_field("file").storage.path("exports"))


def running_export(board_user, *, heartbeat_age: timedelta) -> ReportExport:
    return ReportExport.objects.create(
        requested_by=board_user,
        status=ReportExport.Status.RUNNING,
        progress=50,
        heartbeat_at=timezone.now() - heartbeat_age,
    )


def test_a_running_export_whose_heartbeat_stopped_ends_failed(client_for, board_user):
    stale = running_export(board_user, heartbeat_age=timedelta(seconds=91))
    alive = running_export(board_user, heartbeat_age=timedelta(seconds=5))

    assert services.sweep_exports() == 1

    stale.refresh_from_db()
    alive.refresh_from_db()
    assert (stale.status, alive.status) == ("failed", "running")
    assert stale.error == "Het maken van de pdf is onderbroken: de worker of de database stopte. Probeer het opnieuw."
    row = client_for(board_user).get(reverse("documents:export_status", args=[stale.pk])).content.decode()
    assert "hx-trigger" not in row
    assert f'name="retry" value="{stale.pk}"' in row


def test_try_again_starts_the_same_export_anew(client_for, board_user, section, django_capture_on_commit_callbacks):
    failed = ReportExport.objects.create(requested_by=board_user, status=ReportExport.Status.FAILED, error="x")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(board_user).post(reverse("documents:exports"), {"retry": failed.pk})

    assert response.status_code == 302
    newest = ReportExport.objects.exclude(pk=failed.pk).get()
    assert (newest.status, newest.version, newest.pages is not None) == ("done", None, True)


@pytest.mark.parametrize("retry", ["²", "abc", "", str(2**70)])
def test_a_retry_of_no_export_is_not_found_and_starts_nothing(client_for, board_user, retry):
    response = client_for(board_user).post(reverse("documents:exports"), {"retry": retry})

    assert response.status_code == 404
    assert ReportExport.objects.count() == 0


def test_a_failed_final_write_leaves_no_file(board_user, section, monkeypatch, django_capture_on_commit_callbacks):
    real_update = QuerySet.update

    def update(self, **kwargs):
        if kwargs.get("status") == ReportExport.Status.DONE:
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)
    before = set(os.listdir(exports_dir())) if exports_dir().exists() else set()

    # The task's error is logged by the robust on-commit hook; the row tells the board.
    with django_capture_on_commit_callbacks(execute=True):
        services.start_export(by=board_user)

    export = ReportExport.objects.get()
    assert (export.status, export.file.name) == ("failed", "")
    assert export.error == "OperationalError: server closed the connection unexpectedly"
    assert set(os.listdir(exports_dir())) == before


def test_the_sweep_removes_old_files_no_export_points_to(board_user):
    storage = ReportExport._meta.get_field("file").storage
    kept = ReportExport.objects.create(requested_by=board_user, status=ReportExport.Status.DONE)
    kept.file.save("einddocument.pdf", ContentFile(b"%PDF-1.7 bewaard"))
    orphan = storage.save("exports/wees-oud.pdf", ContentFile(b"%PDF-1.7 wees"))
    young = storage.save("exports/wees-nieuw.pdf", ContentFile(b"%PDF-1.7 net geschreven"))
    old = time.time() - 3600
    os.utime(storage.path(orphan), (old, old))
    os.utime(storage.path(kept.file.name), (old, old))

    services.sweep_exports()

    assert storage.exists(kept.file.name)
    assert not storage.exists(orphan)
    assert storage.exists(young)
    storage.delete(young)


KILLED_RENDER = """
import os, sys, time
import django
django.setup()
from documents import services
def stuck(**kwargs):
    kwargs["progress"](50, "Laying out the pages")
    time.sleep(600)
services.render_pdf = stuck
services.run_export(export_id=int(sys.argv[1]))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_leaves_a_failed_export_and_no_file(board_user):
    requires_postgresql()
    export = ReportExport.objects.create(requested_by=board_user)
    settings_dict = connection.settings_dict
    url = f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "denktank.settings_test"}
    worker = subprocess.Popen([sys.executable, "-c", KILLED_RENDER, str(export.pk)], env=env)
    try:
        for _ in range(150):
            export.refresh_from_db()
            if export.progress == 50:
                break
            time.sleep(0.1)
        assert (export.status, export.progress) == ("running", 50)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    # Nothing ends it until the sweep finds the heartbeat silent.
    services.sweep_exports()
    export.refresh_from_db()
    assert export.status == "running"
    services.sweep_exports(now=timezone.now() + services.EXPORT_STALE_AFTER + timedelta(seconds=1))
    export.refresh_from_db()
    assert (export.status, export.file.name) == ("failed", "")
