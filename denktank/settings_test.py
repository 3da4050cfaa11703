"""Test settings: the real settings with fast hashing, in-process mail and
tasks run eagerly unless a test starts a real worker."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DENKTANK_VAR_DIR", os.path.join(tempfile.gettempdir(), "denktank-test-var"))

from .settings import *  # noqa: F403
from .settings import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Local memory, cleared between tests so rate limits and used TOTP codes
# never carry over from one test to the next.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
SITE_URL = "http://testserver"
# Close connections after each request and task, so a worker thread leaves
# none open when the test database is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
