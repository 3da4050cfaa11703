"""Private file storage: uploads are personal or internal, never under a public URL."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    # A callable, so migrations do not record a machine's path.
    return FileSystemStorage(location=settings.PRIVATE_STORAGE_ROOT, base_url=None)


def random_upload_name(folder: str, filename: str) -> str:
    """A random file name that keeps only the extension of what was uploaded."""
    return f"{folder}/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"
