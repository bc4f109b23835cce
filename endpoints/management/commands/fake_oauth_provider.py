"""Serve the fake OAuth 2.0 provider on 127.0.0.1, for the demo only."""

from django.conf import settings
from django.core.management.base import BaseCommand

from endpoints.auth.oauth.connect import redirect_uri
from endpoints.testing.fake_oauth import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    LISTEN_HOST,
    FakeOAuthProvider,
)


class Command(BaseCommand):
    help = (
        "Serve a fake OAuth 2.0 provider on 127.0.0.1 for the demo and manual "
        "tries: a consent page, a token endpoint and /api/me, and fakes of "
        "Slack, Microsoft, Salesforce, ServiceNow, BMC Remedy and Zoom under "
        "/slack/, /microsoft/, /salesforce/, /servicenow/, /remedy/ and "
        "/zoom/. It keeps everything in memory. Never use it for real "
        "endpoints."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=settings.DEMO_OAUTH_PROVIDER_PORT,
            help="Port on 127.0.0.1 (default DEMO_OAUTH_PROVIDER_PORT, %(default)s).",
        )
        parser.add_argument(
            "--rotate-refresh-tokens",
            action="store_true",
            help="Issue a new refresh token on every refresh and accept each once.",
        )
        parser.add_argument(
            "--expires-in",
            type=int,
            default=3600,
            help="Lifetime of access tokens in seconds (default %(default)s).",
        )

    def handle(self, *args, port, rotate_refresh_tokens, expires_in, **options):
        provider = FakeOAuthProvider()
        provider.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, (redirect_uri(),))
        provider.add_user(DEMO_USERNAME, DEMO_PASSWORD)
        provider.switches.rotate_refresh_tokens = rotate_refresh_tokens
        provider.switches.expires_in = expires_in
        # The vendor fakes get the demo's users and apps of their own.
        for fake in provider.vendors.values():
            fake.seed_demo()
        self.stdout.write(
            f"Fake OAuth 2.0 provider on http://{LISTEN_HOST}:{port}/ (client "
            f"{DEMO_CLIENT_ID}, user {DEMO_USERNAME}). Stop it with Ctrl+C."
        )
        self.stdout.flush()
        try:
            provider.serve_forever(port)
        except KeyboardInterrupt:
            self.stdout.write("Fake OAuth 2.0 provider stopped.")
