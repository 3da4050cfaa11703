"""Query counts of list pages: the same for one item as for three."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def flat(client, url, make, count) -> list[int]:
    """The queries of the page with one item and with three: a list page must show them the same.

    ``make()`` adds an item, ``count()`` says how many there are. The page is
    opened once first: the session's first write and the first read of the
    person (afterwards from the cache) are not the page's cost.
    """
    client.get(url)
    counts = []
    for total in (1, 3):
        while count() < total:
            make()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts
