"""Re-encrypt every stored secret with the first key of FERNET_KEYS.

To rotate: put the new key first in FERNET_KEYS and keep the old ones,
restart the console, run this command, and once it reports no unreadable
value, remove the old keys.
"""

from django.core.management.base import BaseCommand, CommandError

from ...rotation import DEFAULT_BATCH_SIZE, ColumnReport, rotate_secrets


def batch_size(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of FERNET_KEYS, in "
        "batches of rows, each batch in its own transaction. Exits with status 1 "
        "when a stored value cannot be decrypted with any key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be re-encrypted and which values no key "
            "decrypts, and change nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=batch_size,
            default=DEFAULT_BATCH_SIZE,
            help="Rows per transaction (default: %(default)s).",
        )

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        read = {}

        def progress(column: ColumnReport, rows: int) -> None:
            read[column.label] = read.get(column.label, 0) + rows
            self.stdout.write(
                f"{column.label}: rows read {read[column.label]}, {verb} "
                f"{column.rotated}, already current {column.current}, unreadable "
                f"{len(column.unreadable)}"
            )

        report = rotate_secrets(
            dry_run=dry_run, batch_size=batch_size, progress=progress
        )

        for value in report.unreadable:
            self.stderr.write(f"Unreadable with every key: {value}")
        summary = (
            f"{'Dry run: ' if dry_run else ''}{verb} {report.rotated} value(s), "
            f"{report.current} already encrypted with the first key, "
            f"{len(report.unreadable)} unreadable."
        )
        if report.unreadable:
            raise CommandError(
                f"{summary} Unreadable values were left unchanged. Find the key that "
                "encrypted them and add it to FERNET_KEYS, or enter those secrets "
                "again on their endpoints' pages; keep the old keys until this "
                "command reports none."
            )
        self.stdout.write(self.style.SUCCESS(summary))
