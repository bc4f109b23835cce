"""Create the demo logins and a demo workflow with endpoints of each type."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from endpoints.auth.basic import encode_credential
from endpoints.models import Endpoint, Step, StepUsage, Workflow
from endpoints.testing import fake_remedy, fake_salesforce, fake_servicenow, fake_zoom
from endpoints.testing.fake_oauth import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    LISTEN_HOST,
)

DEMO_WORKFLOW = "Incident response (demo)"
MANAGERS = "Endpoint managers"
VIEWERS = "Workflow viewers"

# Each demo endpoint: name, base URL, auth type, params, secrets. The hosts
# are under .test, a name reserved for testing that never resolves, so the
# demo sends nothing to a real system.
DEMO_ENDPOINTS = [
    ("Status page", "https://status.example.test/api/v2", "none", {}, {}),
    (
        "Ticketing",
        "https://tickets.example.test/rest",
        "basic",
        {"username": "demo-integration", "preemptive": True},
        {"password": "demo-password"},
    ),
    (
        "Chat webhook",
        "https://chat.example.test/hooks",
        "token",
        {"header": "authorization", "prefix": "Bearer"},
        {"token": "demo-token"},
    ),
    (
        "Paging API",
        "https://paging.example.test/v1",
        "token",
        {"header": "custom", "header_name": "X-Api-Key", "id_header_name": "X-Account"},
        {"token": "demo-api-key", "id_value": "demo-account"},
    ),
]


def oauth_demo_endpoints() -> list[tuple[str, str, str, dict, dict]]:
    """Return the demo's OAuth 2.0 endpoints, at the fake provider.

    `make demo` starts the fake provider on DEMO_OAUTH_PROVIDER_PORT of
    127.0.0.1; its client and user exist only there.
    """
    provider = f"http://{LISTEN_HOST}:{settings.DEMO_OAUTH_PROVIDER_PORT}"
    client = {
        "token_url": f"{provider}/token",
        "client_id": DEMO_CLIENT_ID,
        "token_endpoint_auth_method": "client_secret_basic",
        "expired_status": 401,
    }
    return [
        (
            "Asset inventory",
            f"{provider}/api",
            "oauth2_password",
            {**client, "username": DEMO_USERNAME, "scope": "assets:read"},
            {"password": DEMO_PASSWORD, "client_secret": DEMO_CLIENT_SECRET},
        ),
        (
            "CRM",
            f"{provider}/api",
            "oauth2_authorization_code",
            {
                **client,
                "authorization_url": f"{provider}/authorize",
                "scope": "contacts:read offline_access",
                "token_prefix": "Bearer",
            },
            {"client_secret": DEMO_CLIENT_SECRET},
        ),
    ]


def connect_vendor_demo_endpoints() -> list[tuple[str, str, str, dict, dict]]:
    """Return the demo's Slack and Microsoft Graph endpoints, at the fakes.

    The fake provider serves the Slack and Microsoft fakes under /slack and
    /microsoft. These types connect with the console's own apps, so they
    work once SLACK_* and MICROSOFT_* point at the fakes' demo apps, as
    make demo sets them.
    """
    provider = f"http://{LISTEN_HOST}:{settings.DEMO_OAUTH_PROVIDER_PORT}"
    return [
        ("Team chat", f"{provider}/slack/api", "slack", {}, {}),
        ("Team chat (old app)", f"{provider}/slack/api", "slack_legacy", {}, {}),
        ("Meetings", f"{provider}/microsoft/graph", "microsoft_graph", {}, {}),
    ]


def login_vendor_demo_endpoints() -> list[tuple[str, str, str, dict, dict]]:
    """Return the demo's Salesforce, ServiceNow, Remedy and Zoom endpoints.

    Each points at its vendor's fake, which the fake provider serves under
    a path prefix; their users and apps exist only there. Zoom's token URL
    is a setting, ZOOM_TOKEN_URL, which `make demo` points at the fake.
    """
    provider = f"http://{LISTEN_HOST}:{settings.DEMO_OAUTH_PROVIDER_PORT}"
    return [
        (
            "Sales CRM",
            f"{provider}/salesforce",
            "salesforce",
            {
                "environment": "custom",
                "token_url": f"{provider}/salesforce/services/oauth2/token",
                "username": fake_salesforce.DEMO_USERNAME,
                "client_id": fake_salesforce.DEMO_CLIENT_ID,
            },
            {
                "password": fake_salesforce.DEMO_PASSWORD,
                "security_token": fake_salesforce.DEMO_SECURITY_TOKEN,
                "client_secret": fake_salesforce.DEMO_CLIENT_SECRET,
            },
        ),
        (
            "Service desk",
            f"{provider}/servicenow",
            "servicenow",
            {"method": "basic", "username": fake_servicenow.DEMO_USERNAME},
            {"password": fake_servicenow.DEMO_PASSWORD},
        ),
        (
            "Remedy incidents",
            f"{provider}/remedy",
            "remedy",
            {"username": fake_remedy.DEMO_USERNAME},
            {"password": fake_remedy.DEMO_PASSWORD},
        ),
        (
            "Bridge meetings",
            f"{provider}/zoom/v2",
            "zoom",
            {
                "account_id": fake_zoom.DEMO_ACCOUNT_ID,
                "client_id": fake_zoom.DEMO_CLIENT_ID,
            },
            {"client_secret": fake_zoom.DEMO_CLIENT_SECRET},
        ),
    ]


def vendor_settings_problem() -> str | None:
    """Return why some vendor demo endpoints cannot reach the fakes, or None.

    These vendors' URLs are settings rather than endpoint fields, and
    `make demo` points them at the fake provider.
    """
    provider = f"http://{LISTEN_HOST}:{settings.DEMO_OAUTH_PROVIDER_PORT}"
    # Each setting, its URL at the fakes, and the endpoints that need it.
    expected = [
        ("SLACK_API_URL", f"{provider}/slack/api", "Team chat, Team chat (old app)"),
        ("MICROSOFT_GRAPH_URL", f"{provider}/microsoft/graph", "Meetings"),
        ("ZOOM_TOKEN_URL", f"{provider}/zoom/oauth/token", "Bridge meetings"),
    ]
    wrong = [
        (name, endpoints)
        for name, url, endpoints in expected
        if str(getattr(settings, name)).rstrip("/") != url
    ]
    if not wrong:
        return None
    names = " and ".join(name for name, _ in wrong)
    endpoints = ", ".join(endpoints for _, endpoints in wrong)
    return (
        f"{names} do not point at the fakes on {provider}, so {endpoints} cannot "
        "work. Start the demo with make demo, which sets them and the demo app "
        "credentials."
    )


DEMO_STEPS = [
    ("Open ticket", Step.Kind.FLOW_STEP, [("Ticketing", "tickets")]),
    (
        "Notify on-call",
        Step.Kind.INTEGRATION_SCRIPT,
        [("Paging API", "pager"), ("Chat webhook", "chat")],
    ),
    ("Check status page", Step.Kind.CUSTOM_STEP, [("Status page", "status")]),
    ("Look up responder", Step.Kind.FLOW_STEP, [("Console", "console")]),
    (
        "Find affected customer",
        Step.Kind.INTEGRATION_SCRIPT,
        [("CRM", "crm"), ("Asset inventory", "assets")],
    ),
    (
        "Post incident channel",
        Step.Kind.INTEGRATION_SCRIPT,
        [("Team chat", "slack"), ("Team chat (old app)", "slack_old")],
    ),
    ("Schedule review meeting", Step.Kind.CUSTOM_STEP, [("Meetings", "graph")]),
    (
        "Escalate to vendors",
        Step.Kind.INTEGRATION_SCRIPT,
        [
            ("Sales CRM", "crm_accounts"),
            ("Service desk", "servicenow"),
            ("Remedy incidents", "remedy"),
            ("Bridge meetings", "zoom"),
        ],
    ),
]


class Command(BaseCommand):
    help = (
        "Create the demo logins (manager and viewer) with new passwords, and the "
        "demo workflow if it does not exist yet."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo workflow and create it again.",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=8000,
            help="The port that the console is served on, for the sign-in URL.",
        )

    def handle(self, *args, reset=False, port=8000, **options):
        with transaction.atomic():
            logins = [
                self.ensure_user("manager", MANAGERS, staff=True),
                self.ensure_user("viewer", VIEWERS, staff=False),
            ]
            if reset:
                Workflow.objects.filter(name=DEMO_WORKFLOW).delete()
            if not Workflow.objects.filter(name=DEMO_WORKFLOW).exists():
                self.create_workflow()
                self.stdout.write(f"Created the workflow “{DEMO_WORKFLOW}”.")

        served_url = f"http://127.0.0.1:{port}"
        self.stdout.write("")
        self.stdout.write(f"Sign in at {served_url}/ with one of these:")
        for username, password, role in logins:
            self.stdout.write(f"  {role:<9} user {username:<8} password {password}")
        self.stdout.write("The passwords are new every time this command runs.")
        if settings.CONSOLE_BASE_URL.rstrip("/") != served_url:
            # The built-in Console endpoint and OAuth redirect URLs are built
            # from CONSOLE_BASE_URL, so they would point at another port.
            self.stdout.write(
                self.style.WARNING(
                    f"CONSOLE_BASE_URL is {settings.CONSOLE_BASE_URL}, not "
                    f"{served_url}. Set CONSOLE_BASE_URL={served_url} in .env, or "
                    "start the demo with make demo, which sets it."
                )
            )
        self.stdout.write(
            "The OAuth 2.0 endpoints CRM and Asset inventory use the fake provider "
            f"on http://{LISTEN_HOST}:{settings.DEMO_OAUTH_PROVIDER_PORT}/, which "
            "make demo starts. Press Connect on CRM's page to see its consent page."
        )
        self.stdout.write(
            "Team chat (Slack), Team chat (old app) (Slack (Legacy)) and Meetings "
            "(Microsoft Graph API) connect through the Slack and Microsoft fakes "
            "of the same provider. Sales CRM (Salesforce), Service desk "
            "(ServiceNow), Remedy incidents (BMC Remedy) and Bridge meetings (Zoom) "
            "sign in to its Salesforce, ServiceNow, Remedy and Zoom fakes."
        )
        problem = vendor_settings_problem()
        if problem:
            self.stdout.write(self.style.WARNING(problem))

    def ensure_user(self, username: str, group_name: str, staff: bool):
        user, _ = get_user_model().objects.get_or_create(username=username)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_staff = staff
        user.save()
        user.groups.add(Group.objects.get(name=group_name))
        role = "manager" if group_name == MANAGERS else "viewer"
        return username, password, role

    def create_workflow(self) -> None:
        workflow = Workflow.objects.create(
            name=DEMO_WORKFLOW,
            description="Opens a ticket, pages the on-call responder and posts to "
            "chat when an incident starts.",
        )
        endpoints = {"Console": workflow.endpoints.get(is_builtin=True)}
        for name, base_url, auth_type, params, secret_values in [
            *DEMO_ENDPOINTS,
            *oauth_demo_endpoints(),
            *connect_vendor_demo_endpoints(),
            *login_vendor_demo_endpoints(),
        ]:
            stored = dict(secret_values)
            if auth_type == "basic":
                password = stored.pop("password")
                stored["credential"] = encode_credential(params["username"], password)
            endpoints[name] = Endpoint.objects.create_with_auth(
                workflow=workflow,
                name=name,
                base_url=base_url,
                auth_type=auth_type,
                params=params,
                secrets=stored,
            )

        for step_name, kind, usages in DEMO_STEPS:
            step = Step.objects.create(workflow=workflow, name=step_name, kind=kind)
            for endpoint_name, label in usages:
                StepUsage.objects.create(
                    step=step, endpoint=endpoints[endpoint_name], label=label
                )
