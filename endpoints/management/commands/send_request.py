"""Send a request through an endpoint from a shell and print the response.

What it prints is scrubbed of the endpoint's secrets and of the credentials
that the request carried, as on the "Send a test request" page, since a
target may echo them.
"""

import argparse
import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from endpoints.redaction import redact
from endpoints.responses import response_secrets
from endpoints.runtime import EndpointError, resolve_endpoint, send_through
from endpoints.runtime.api import check_timeout_seconds
from endpoints.validators import validate_header_name, validate_header_value

# The exit status when the target responded with a status of 400 or more.
HTTP_ERROR_EXIT_STATUS = 2


class Command(BaseCommand):
    help = (
        "Send a request through an endpoint of a workflow and print the "
        "response's status line, headers and body. Exits with 1 when no response "
        f"was received and with {HTTP_ERROR_EXIT_STATUS} when the status is 400 "
        "or more."
    )

    def add_arguments(self, parser):
        parser.add_argument("workflow", help="The workflow's name.")
        parser.add_argument(
            "endpoint", help="The endpoint's name, or a label its steps use."
        )
        parser.add_argument("method", help="The HTTP method, such as GET or POST.")
        parser.add_argument(
            "path", nargs="?", default="", help="The path below the base URL."
        )
        parser.add_argument(
            "--header",
            action="append",
            default=[],
            metavar="NAME:VALUE",
            help="A request header; repeat for more.",
        )
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A query parameter, appended to the path's query; repeat for more.",
        )
        body = parser.add_mutually_exclusive_group()
        body.add_argument("--json", help="A JSON request body.")
        body.add_argument("--data", help="A request body, sent as UTF-8 text.")
        parser.add_argument(
            "--timeout",
            type=timeout_seconds,
            help="Seconds for each connect, read and write; default "
            "ENDPOINT_REQUEST_TIMEOUT.",
        )
        parser.add_argument(
            "--raise-api-errors",
            action="store_true",
            help="Fail, with exit status 1, when the target reports an error in "
            'the body of a successful response (Slack\'s "ok": false).',
        )
        parser.add_argument(
            "--as-user",
            metavar="USERNAME",
            help="The user on whose behalf the request runs.",
        )

    def handle(self, *args, **options):
        headers = [parse_header(value) for value in options["header"]]
        params = [parse_param(value) for value in options["param"]]
        body = parse_json(options["json"]) if options["json"] is not None else None
        user = find_user(options["as_user"]) if options["as_user"] else None
        data = options["data"]

        try:
            endpoint = resolve_endpoint(options["workflow"], options["endpoint"])
            response = send_through(
                endpoint,
                options["method"],
                options["path"],
                params=params or None,
                headers=headers or None,
                json=body,
                content=data.encode() if data is not None else None,
                timeout=options["timeout"],
                acting_user=user,
                actor=user,
                raise_api_errors=options["raise_api_errors"],
            )
        except EndpointError as error:
            raise CommandError(
                f"The request failed at the {error.stage_label} stage. {error}"
            ) from None

        secrets = response_secrets(response, endpoint.auth.type.secret_values())
        status = redact(
            f"{response.status_code} {response.reason_phrase}".rstrip(), secrets
        )
        self.stdout.write(f"HTTP {status}")
        for name, value in response.headers.raw:
            # Names too: a target may echo a credential as a header's name.
            shown_name = redact(name.decode("latin-1"), secrets)
            shown = redact(value.decode("latin-1"), secrets)
            self.stdout.write(f"{shown_name}: {shown}")
        self.stdout.write("")
        body = response.content.decode("utf-8", errors="replace")
        self.stdout.write(redact(body, secrets))
        if response.status_code >= 400:
            raise CommandError(
                f"The target responded with {status}.",
                returncode=HTTP_ERROR_EXIT_STATUS,
            )


def timeout_seconds(text: str) -> float:
    """Parse --timeout: a positive, finite number of seconds."""
    try:
        seconds = float(text)
        check_timeout_seconds(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive number of seconds."
        ) from None
    return seconds


def parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not name:
        raise CommandError(f"--header {text!r} is not NAME:VALUE.")
    try:
        validate_header_name(name)
        validate_header_value(value)
    except ValidationError as error:
        raise CommandError(f"--header {name!r}: {' '.join(error.messages)}") from None
    return name, value


def parse_param(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise CommandError(f"--param {text!r} is not NAME=VALUE.")
    return name, value


def parse_json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"--json is not valid JSON: {error}.") from None


def find_user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"There is no user {username!r}.")
    return user
