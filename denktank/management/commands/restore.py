from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from denktank import backup


class Command(BaseCommand):
    help = (
        "Restore the database and the private files from an archive made by `backup`. Stop the web server, "
        "the worker and beat first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="an archive made by `manage.py backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that holds data (it is lost unless backed up)"
        )

    def handle(self, *args, archive, force, **options):
        try:
            result = backup.restore_backup(archive=Path(archive), force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {archive}")
        self.stdout.write(result.summary())
        for note in result.notes:
            self.stderr.write(self.style.WARNING(note))
