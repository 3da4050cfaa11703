"""``scripts/run`` as a developer uses it: started on another port, stopped with Ctrl-C.

The script runs for real (migrations, demo data, web server, Celery worker
and beat) on SQLite and the filesystem broker in a temporary directory. Its
mail goes to an SMTP server that accepts connections and never answers, as
a hanging mail server does: the worker is then busy sending when Ctrl-C
comes, which is when it used to keep running for minutes.
"""

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

READY_LINE = "Press Ctrl-C to stop."
# Variables that would point the script at the test run's own services.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER", "PORT"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SilentSMTPServer:
    """Accepts connections and never sends a greeting: smtplib waits for its timeout."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = []

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.sock.close()
        for connection in self.connections:
            connection.close()


def process_table() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, state) for every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may contain spaces: split after it.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        table[int(entry.name)] = (int(ppid), state)
    return table


def descendants(pid: int) -> set[int]:
    table = process_table()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _) in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    table = process_table()
    return {pid for pid in pids if pid in table and table[pid][1] != "Z"}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def wait_for(condition, timeout: float, what: str, output: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}. Output of scripts/run:\n{output.read_text()[-3000:]}")


@dataclass
class RunResult:
    port: int
    site_urls: dict[str, str] = field(default_factory=dict)
    mail_bodies: list[str] = field(default_factory=list)
    stop_seconds: float | None = None
    left_running: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def run_and_interrupt(tmp_path_factory):
    """Start scripts/run on a free port, make the worker hang on a mail, press Ctrl-C."""
    tmp = tmp_path_factory.mktemp("run")
    port = free_port()
    smtp = SilentSMTPServer()
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        PORT=str(port),
        DEBUG="true",
        DENKTANK_VAR_DIR=str(tmp / "var"),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_USE_TLS="false",
    )
    output = tmp / "output.log"
    result = RunResult(port=port)
    with output.open("w") as out:
        # A session of its own, like a terminal's foreground job; SIGINT as the
        # shell would get it from a terminal (not ignored).
        script = subprocess.Popen(
            ["bash", str(settings.BASE_DIR / "scripts" / "run")],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    # Started after the fork: preexec_fn is only safe without other threads.
    smtp.start()
    started = set()
    try:
        wait_for(lambda: READY_LINE in output.read_text() or script.poll() is not None, 600, "start-up", output)
        assert script.poll() is None, output.read_text()[-3000:]
        started = descendants(script.pid)
        for pid in started:
            command = cmdline(pid)
            for name, marker in (("worker", "worker"), ("beat", " beat"), ("web", "runserver")):
                if marker in command and name not in result.site_urls:
                    result.site_urls[name] = environ_of(pid).get("SITE_URL", "")

        # Give the worker a mail to send; it hangs on the silent server.
        subprocess.run(
            [sys.executable, "manage.py", "send_test_mail", "probe@example.nl"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
        wait_for(lambda: smtp.connections, 60, "the worker to connect to the mail server", output)

        started = descendants(script.pid)
        start = time.monotonic()
        os.killpg(script.pid, signal.SIGINT)
        deadline = start + 60
        while time.monotonic() < deadline and (script.poll() is None or alive(started)):
            time.sleep(0.1)
        result.stop_seconds = time.monotonic() - start
        result.left_running = {cmdline(pid) for pid in alive(started)}

        with sqlite3.connect(tmp / "var" / "denktank.sqlite3") as db:
            result.mail_bodies = [row[0] for row in db.execute("SELECT body_text FROM denktank_outgoingmail")]
    finally:
        for pid in alive(started | {script.pid}):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        smtp.close()
    return result


def test_run_script_points_mail_links_at_its_port(run_and_interrupt):
    url = f"http://127.0.0.1:{run_and_interrupt.port}"

    assert run_and_interrupt.site_urls == {"worker": url, "beat": url, "web": url}
    bodies = run_and_interrupt.mail_bodies
    links = {match for body in bodies for match in re.findall(r"https?://(?:127\.0\.0\.1|localhost)[:\d]*", body)}
    assert links <= {url}


def test_run_script_stops_everything_within_ten_seconds_of_ctrl_c(run_and_interrupt):
    assert run_and_interrupt.left_running == set()
    assert run_and_interrupt.stop_seconds < 10
