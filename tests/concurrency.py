"""Run the same call from several threads at once, each on its own database connection."""

import threading

import pytest
from django.db import connection, connections


def requires_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only real on PostgreSQL (the test command provides it)")


def run_concurrently(function, times: int = 2) -> list[tuple[str, object]]:
    """Call ``function`` from ``times`` threads released together.

    Returns ``("ok", result)`` or ``("error", exception)`` per thread.
    """
    barrier = threading.Barrier(times)
    results = []
    lock = threading.Lock()

    def target():
        try:
            barrier.wait()
            outcome = ("ok", function())
        except Exception as error:
            outcome = ("error", error)
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=target) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
