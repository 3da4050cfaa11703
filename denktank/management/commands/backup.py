import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from denktank import backup


class Command(BaseCommand):
    help = "Write one archive with a consistent snapshot of the database, the private files and a manifest."

    def add_arguments(self, parser):
        parser.add_argument(
            "out",
            nargs="?",
            help="a directory (the archive gets a timestamped name inside it) or a file path; default: BACKUP_DIR",
        )

    def handle(self, *args, out=None, **options):
        path = Path(out) if out else backup.backup_dir()
        if out is None or out.endswith(os.sep):
            # A directory that does not exist yet (Path() drops the trailing slash).
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            result = backup.make_backup(out=path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written to {result.path}")
        self.stdout.write(result.summary())
