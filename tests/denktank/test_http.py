from django.test import RequestFactory

from denktank.http import over_rate_limit


def test_rate_limits_count_per_form_and_per_client(db):
    office = RequestFactory().post("/", REMOTE_ADDR="10.1.1.1")
    elsewhere = RequestFactory().post("/", REMOTE_ADDR="10.2.2.2")

    applications = [over_rate_limit(office, scope="apply", limit=2, window=60) for _ in range(3)]
    registration = over_rate_limit(office, scope="register", limit=2, window=60)
    other_client = over_rate_limit(elsewhere, scope="apply", limit=2, window=60)

    assert (applications, registration, other_client) == ([False, False, True], False, False)
