"""Only the export worker loads WeasyPrint, and exports run on their own queue."""

import os
import subprocess
import sys

from denktank.celery import app

WEB_PROCESS = """
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import documents.services, documents.tasks, documents.views, denktank.tasks, members.tasks, sessions_app.tasks
import sys
print(sorted(name for name in sys.modules if name.split(".")[0] == "weasyprint"))
"""


def test_web_and_beat_processes_do_not_load_weasyprint():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "denktank.settings_test"}
    result = subprocess.run([sys.executable, "-c", WEB_PROCESS], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_exports_go_to_their_own_queue():
    route = app.amqp.router.route({}, "documents.tasks.export_report")
    mail_route = app.amqp.router.route({}, "denktank.tasks.send_mail_task")
    assert (route["queue"].name, mail_route["queue"].name) == ("exports", "celery")
