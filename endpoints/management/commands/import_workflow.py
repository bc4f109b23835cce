"""Import a workflow from an export file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize
from django.urls import reverse

from endpoints.importer import ImportFileError, import_workflow, read_import_file


class Command(BaseCommand):
    help = (
        "Create a workflow from a file written by the console's export. Its "
        "endpoints arrive with No Authorization, awaiting configuration."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The exported JSON file.")
        parser.add_argument(
            "--name",
            help="Import the workflow under this name instead of the file's, "
            "for example when a workflow of that name exists already.",
        )

    def handle(self, *args, file: Path, name: str | None = None, **options):
        try:
            content = read_import_file(file)
            result = import_workflow(content, name=name, source=file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except ImportFileError as error:
            lines = [f"{file} was not imported; nothing was changed:"]
            lines += [f"  - {message}" for message in error.messages]
            if "name_clash" in error.codes:
                lines.append("Run the command again with --name NEW_NAME.")
            raise CommandError("\n".join(lines)) from error

        workflow = result.workflow
        self.stdout.write(
            f"Imported workflow “{workflow.name}” with {result.endpoint_count} "
            f"endpoint{pluralize(result.endpoint_count)} and {result.step_count} "
            f"step{pluralize(result.step_count)}."
        )
        if result.endpoint_count:
            page = reverse("endpoints:workflow_detail", args=[workflow.pk])
            self.stdout.write(
                "Its endpoints have no authentication yet; choose an auth type for "
                f"each on the workflow's page, {page}"
            )
