"""Bad input on the endpoint pages: a form error each, and nothing saved."""

import html
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from endpoints.models import AuthConfig, Endpoint, Workflow
from endpoints.validators import validate_base_url, validate_header_name
from tests.conftest import (
    endpoint_form_data,
    error_codes,
    make_basic_endpoint,
    make_custom_header_endpoint,
)

VALID_BASE_URL = "https://tickets.example.test/api"


def post_new_endpoint(client, workflow, auth_type="none", **fields):
    """POST the new-endpoint form with valid defaults and ``fields`` on top."""
    data = {"auth_type": auth_type, "name": "Tickets", "base_url": VALID_BASE_URL}
    if auth_type == "basic":
        data.update({"auth-username": "svc", "auth-password_0": "pw-123456"})
    if auth_type == "token":
        data.update({"auth-header": "authorization", "auth-prefix": "Bearer"})
        data["auth-token_0"] = "tok-123456"
    data.update(fields)
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    return client.post(url, data)


def stored_rows(workflow) -> list[tuple]:
    """Return the stored fields of each endpoint of a workflow and its auth."""
    endpoints = Endpoint.objects.filter(workflow=workflow).order_by("pk")
    rows = []
    for endpoint in endpoints.select_related("auth"):
        config = endpoint.auth
        rows.append(
            (
                endpoint.pk,
                endpoint.name,
                endpoint.base_url,
                endpoint.trust_self_signed,
                endpoint.version,
                config.auth_type,
                json.dumps(config.params, sort_keys=True),
                json.dumps(config.stored_secrets(), sort_keys=True),
            )
        )
    return rows


BAD_BASE_URLS = [
    ("ftp://files.example.test/pub", "invalid_scheme"),
    ("javascript:alert(1)", "invalid_scheme"),
    ("http:/tickets.example.test", "invalid_scheme"),
    ("https://", "missing_host"),
    ("https:///api", "missing_host"),
    ("https://u:p@tickets.example.test/api", "userinfo"),
    ("https://svc@tickets.example.test/api", "userinfo"),
    ("https://tickets.example.test/?a=1", "query"),
    ("https://tickets.example.test/api?", "query"),
    ("https://tickets.example.test/api#top", "fragment"),
    ("https://tickets.example.test/api#", "fragment"),
    ("https://tickets.example.test/my api", "invalid_characters"),
    ("https://tickets.example.test/a\tb", "invalid_characters"),
    ("https://tickets.example.test/a\x07b", "invalid_characters"),
    ("https://tickets.example.test/a\x7fb", "invalid_characters"),
    ("https://tickets.example.test/a/../admin", "dot_segment"),
    ("https://tickets.example.test/..", "dot_segment"),
    ("https://tickets.example.test/a/./b", "dot_segment"),
    ("https://tickets.example.test/a/%2e%2e/admin", "dot_segment"),
    ("https://tickets.example.test/a/.%2E/admin", "dot_segment"),
    ("https://tickets.example.test:99999/api", "invalid_port"),
    ("https://tickets.example.test:http/api", "invalid_port"),
    ("https://tickets.example.test:0/api", "invalid_port"),
    ("https://[::1/api", "invalid"),
    ("https://tick_ets!.example.test/api", "invalid_host"),
    ("http://2130706433/", "invalid_host"),
    ("http://0x7f000001/", "invalid_host"),
    ("http://0X7F.0.0.1/", "invalid_host"),
    ("http://127.1/", "invalid_host"),
    ("http://0177.0.0.1/", "invalid_host"),
    ("http://127.0.0.1./", "invalid_host"),
    ("http://api.example.123/", "invalid_host"),
    ("https://🙂.example.test/", "invalid_host"),
    ("http://\uff45xample.test/", "invalid_host"),
    ("https://tickets.\u2460.example.test/", "invalid_host"),
    ("https://tickets.example.test/<script>", "invalid_characters"),
    ("https://tickets.example.test/a>b", "invalid_characters"),
    ('https://tickets.example.test/a"b', "invalid_characters"),
    ("https://tickets.example.test/{id}", "invalid_characters"),
    ("https://tickets.example.test/a|b", "invalid_characters"),
    ("https://tickets.example.test/a\\b", "invalid_characters"),
    ("https://tickets.example.test\\@evil.example.test/", "invalid_characters"),
    ("https://tickets.example.test/a^b", "invalid_characters"),
    ("https://tickets.example.test/a`b", "invalid_characters"),
    ("https://tickets.example.test/%zz", "invalid_percent_encoding"),
    ("https://tickets.example.test/100%", "invalid_percent_encoding"),
    ("https://tickets.example.test/%4", "invalid_percent_encoding"),
    ("https://tickets.example.test/a\u202eb", "invisible_characters"),
    ("https://tick\u200bets.example.test/", "invisible_characters"),
    ("https://tickets.example.test/\ufeff", "invisible_characters"),
    ("https://tickets.example.test/a\u2066b", "invisible_characters"),
]


@pytest.mark.parametrize(("base_url", "code"), BAD_BASE_URLS)
def test_bad_base_url_rejected_on_create(manager_client, workflow, base_url, code):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, base_url=base_url)

    assert response.status_code == 200
    assert error_codes(response.context["endpoint_form"], "base_url") == [code]
    assert stored_rows(workflow) == before


@pytest.mark.parametrize(("base_url", "code"), BAD_BASE_URLS[:8])
def test_bad_base_url_rejected_on_edit(
    manager_client, workflow, endpoint, base_url, code
):
    before = stored_rows(workflow)
    data = endpoint_form_data(endpoint, base_url=base_url)

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert response.status_code == 200
    assert error_codes(response.context["endpoint_form"], "base_url") == [code]
    assert stored_rows(workflow) == before


@pytest.mark.parametrize(
    "base_url",
    [
        "https://tickets.example.test",
        "http://tickets.example.test:8080/api/v2/",
        "https://127.0.0.1:8443/rest",
        "https://[::1]:8443/rest",
        "https://bücher.example.test/api",
        "https://tickets.example.test/api/%20spaced",
        "https://tickets.example.test/api/%2Fslash%aF",
        "https://tickets.example.test/a..b/.well-known",
        "https://192.0.2.10/api",
        "https://10.0.0.255:8443/",
        "https://api2.example.test/v1",
        "https://1password.example.test/",
        "https://例え.テスト/api",
        "https://пример.испытание/",
        "https://tickets.example.test/straße",
    ],
)
def test_good_base_url_accepted(base_url):
    validate_base_url(base_url)


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        (
            "http://127.1/",
            "Write IPv4 addresses as four decimal numbers, such as 192.0.2.10.",
        ),
        ("https://tickets.example.test:99999/", "Use a port number from 1 to 65535."),
        ("https://tickets.example.test:80abc/", "Use a port number from 1 to 65535."),
        (
            "https://tickets.example.test/<x>",
            "Remove the character “<” from the "
            "base URL, or percent-encode it as %3C; it is not valid in a URL.",
        ),
        (
            "https://tickets.example.test/%zz",
            "Write a percent sign in the base URL "
            "as %25: a % must be followed by two hex digits, as in %20.",
        ),
        (
            "https://tickets.example.test/\u202e",
            "Remove the invisible character U+202E from the base URL.",
        ),
        (
            "https://🙂.example.test/",
            "Remove “🙂” from the host name; a host name "
            "may contain only letters, digits, hyphens and dots.",
        ),
    ],
)
def test_bad_base_url_message(base_url, message):
    with pytest.raises(ValidationError) as raised:
        validate_base_url(base_url)

    assert raised.value.messages == [message]


def test_empty_name_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name="")

    assert error_codes(response.context["endpoint_form"], "name") == ["required"]
    assert stored_rows(workflow) == before


def test_blank_name_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name="   ")

    assert error_codes(response.context["endpoint_form"], "name") == ["required"]
    assert stored_rows(workflow) == before


def test_name_of_101_characters_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name="n" * 101)

    assert "max_length" in error_codes(response.context["endpoint_form"], "name")
    assert stored_rows(workflow) == before


def test_name_of_100_characters_accepted(manager_client, workflow):
    response = post_new_endpoint(manager_client, workflow, name="n" * 100)

    assert response.status_code == 302
    assert Endpoint.objects.filter(workflow=workflow, name="n" * 100).exists()


def test_name_with_control_character_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name="Tick\x07ets")

    assert error_codes(response.context["endpoint_form"], "name") == [
        "control_characters"
    ]
    assert stored_rows(workflow) == before


INVISIBLE_CHARACTERS = ["\u200b", "\u202e", "\u2066", "\u2069", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("char", INVISIBLE_CHARACTERS)
def test_name_with_invisible_character_rejected(manager_client, workflow, char):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name=f"Tick{char}ets")

    assert error_codes(response.context["endpoint_form"], "name") == [
        "invisible_characters"
    ]
    assert stored_rows(workflow) == before


def test_invisible_character_message_names_it(manager_client, workflow):
    response = post_new_endpoint(manager_client, workflow, name="Zero\u200bWidth")

    assert response.context["endpoint_form"].errors["name"] == [
        "Remove the invisible character U+200B from the name; with it, two names "
        "can look the same."
    ]


@pytest.mark.parametrize("name", ["می\u200cخواهم", "क्\u200dष"])
def test_name_with_joiner_accepted(manager_client, workflow, name):
    response = post_new_endpoint(manager_client, workflow, name=name)

    assert response.status_code == 302
    assert Endpoint.objects.filter(workflow=workflow, name=name).exists()


@pytest.mark.parametrize("char", INVISIBLE_CHARACTERS)
def test_workflow_name_with_invisible_character_rejected(manager_client, char):
    response = manager_client.post(
        reverse("endpoints:workflow_create"), {"name": f"Night{char}shift"}
    )

    assert error_codes(response.context["form"], "name") == ["invisible_characters"]
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    ("existing", "submitted"),
    [
        ("Tickets", "TICKETS"),
        ("Tickets", "tickets"),
        ("équipe", "ÉQUIPE"),
        ("Straße", "STRASSE"),
        ("Tickets", "Ｔｉｃｋｅｔｓ"),
    ],
)
def test_name_differing_by_case_rejected(manager_client, workflow, existing, submitted):
    make_basic_endpoint(workflow, name=existing)
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name=submitted)

    assert error_codes(response.context["endpoint_form"], "name") == ["duplicate_name"]
    assert stored_rows(workflow) == before


def test_name_of_builtin_in_other_case_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, name="console")

    assert error_codes(response.context["endpoint_form"], "name") == ["duplicate_name"]
    assert stored_rows(workflow) == before


def test_rename_to_other_case_of_sibling_rejected(manager_client, workflow):
    make_basic_endpoint(workflow, name="Tickets")
    second = make_basic_endpoint(workflow, name="Chat")
    before = stored_rows(workflow)

    response = manager_client.post(
        second.get_absolute_url(), endpoint_form_data(second, name="TICKETS")
    )

    assert error_codes(response.context["endpoint_form"], "name") == ["duplicate_name"]
    assert stored_rows(workflow) == before


def test_rename_own_case_accepted(manager_client, workflow, endpoint):
    response = manager_client.post(
        endpoint.get_absolute_url(), endpoint_form_data(endpoint, name="TICKETS")
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.name == "TICKETS"


def test_same_name_in_other_workflow_accepted(manager_client, workflow):
    other = Workflow.objects.create(name="Other")
    make_basic_endpoint(other, name="Tickets")

    response = post_new_endpoint(manager_client, workflow, name="TICKETS")

    assert response.status_code == 302


def test_basic_username_with_colon_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(
        manager_client, workflow, auth_type="basic", **{"auth-username": "svc:ops"}
    )

    assert error_codes(response.context["auth_form"], "username") == [
        "colon_in_username"
    ]
    assert stored_rows(workflow) == before


def test_basic_username_with_line_break_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(
        manager_client, workflow, auth_type="basic", **{"auth-username": "svc\nops"}
    )

    assert error_codes(response.context["auth_form"], "username") == [
        "control_characters"
    ]
    assert stored_rows(workflow) == before


@pytest.mark.parametrize("username", [" ", "   ", "\u3000"])
def test_basic_username_of_spaces_rejected(manager_client, workflow, username):
    before = stored_rows(workflow)

    response = post_new_endpoint(
        manager_client, workflow, auth_type="basic", **{"auth-username": username}
    )

    assert error_codes(response.context["auth_form"], "username") == ["required"]
    assert response.context["auth_form"].errors["username"] == [
        "This field is required."
    ]
    assert stored_rows(workflow) == before


def test_basic_username_with_inner_space_accepted(manager_client, workflow):
    response = post_new_endpoint(
        manager_client, workflow, auth_type="basic", **{"auth-username": "svc ops"}
    )

    assert response.status_code == 302
    config = AuthConfig.objects.get(endpoint__name="Tickets")
    assert config.params["username"] == "svc ops"


CUSTOM_HEADER_FIELDS = {
    "auth-header": "custom",
    "auth-header_name": "X-Api-Key",
    "auth-token_0": "key-123456",
}


@pytest.mark.parametrize("field", ["header_name", "id_header_name"])
@pytest.mark.parametrize(
    ("header_name", "code"),
    [
        ("X Api Key", "invalid_header_name"),
        ("X-Api:Key", "invalid_header_name"),
        ("X-Schlüssel", "invalid_header_name"),
        ("X-Ключ", "invalid_header_name"),
        ("X-Api-Key\r\nX-Injected", "invalid_header_name"),
        ("Host", "reserved_header_name"),
        ("content-length", "reserved_header_name"),
        ("Content-Length", "reserved_header_name"),
        ("Transfer-Encoding", "reserved_header_name"),
    ],
)
def test_bad_custom_header_name_rejected(
    manager_client, workflow, field, header_name, code
):
    before = stored_rows(workflow)
    fields = {**CUSTOM_HEADER_FIELDS, f"auth-{field}": header_name}
    if field == "id_header_name":
        fields["auth-id_value_0"] = "acct-42"

    response = post_new_endpoint(manager_client, workflow, "token", **fields)

    assert error_codes(response.context["auth_form"], field) == [code]
    assert stored_rows(workflow) == before


@pytest.mark.parametrize("line_break", ["\r", "\n", "\r\n"])
def test_bearer_token_with_line_break_rejected(manager_client, workflow, line_break):
    before = stored_rows(workflow)
    token = f"tok-123456{line_break}X-Injected: 1"

    response = post_new_endpoint(
        manager_client, workflow, "token", **{"auth-token_0": token}
    )

    assert error_codes(response.context["auth_form"], "token") == ["header_line_break"]
    assert stored_rows(workflow) == before


@pytest.mark.parametrize("field", ["token", "id_value"])
@pytest.mark.parametrize("line_break", ["\r", "\n"])
def test_custom_header_value_with_line_break_rejected(
    manager_client, workflow, field, line_break
):
    before = stored_rows(workflow)
    fields = {
        **CUSTOM_HEADER_FIELDS,
        "auth-id_header_name": "X-Account",
        "auth-id_value_0": "acct-42",
        f"auth-{field}_0": f"value{line_break}X-Injected: 1",
    }

    response = post_new_endpoint(manager_client, workflow, "token", **fields)

    assert error_codes(response.context["auth_form"], field) == ["header_line_break"]
    assert stored_rows(workflow) == before


def test_header_name_message_has_single_percent():
    with pytest.raises(ValidationError) as raised:
        validate_header_name("X Api")

    assert raised.value.messages == [
        "Use only letters, digits and !#$%&'*+-.^_`|~ in a header name, with no "
        "spaces or colons."
    ]


def test_token_line_break_rejected_on_edit(manager_client, workflow):
    endpoint = make_custom_header_endpoint(workflow, id_value="acct-42")
    before = stored_rows(workflow)
    data = endpoint_form_data(endpoint, **{"auth-id_value_0": "acct\r\nX-Evil: 1"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    assert error_codes(response.context["auth_form"], "id_value") == [
        "header_line_break"
    ]
    assert stored_rows(workflow) == before


def test_token_prefix_with_space_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(
        manager_client, workflow, "token", **{"auth-prefix": "Bearer X"}
    )

    assert error_codes(response.context["auth_form"], "prefix") == ["invalid_prefix"]
    assert stored_rows(workflow) == before


def test_id_value_without_id_header_rejected(manager_client, workflow):
    before = stored_rows(workflow)
    fields = {**CUSTOM_HEADER_FIELDS, "auth-id_value_0": "acct-42"}

    response = post_new_endpoint(manager_client, workflow, "token", **fields)

    assert error_codes(response.context["auth_form"], "id_header_name") == [
        "id_header_missing"
    ]
    assert stored_rows(workflow) == before


def test_id_header_without_id_value_rejected(manager_client, workflow):
    before = stored_rows(workflow)
    fields = {**CUSTOM_HEADER_FIELDS, "auth-id_header_name": "X-Account"}

    response = post_new_endpoint(manager_client, workflow, "token", **fields)

    assert error_codes(response.context["auth_form"], "id_value") == [
        "id_value_missing"
    ]
    assert response.context["auth_form"].errors["id_value"] == [
        "Enter the ID value, or clear the ID header."
    ]
    assert stored_rows(workflow) == before


def test_id_header_with_id_value_accepted(manager_client, workflow):
    fields = {
        **CUSTOM_HEADER_FIELDS,
        "auth-id_header_name": "X-Account",
        "auth-id_value_0": "acct-42",
    }

    response = post_new_endpoint(manager_client, workflow, "token", **fields)

    assert response.status_code == 302


def test_trust_self_signed_on_http_rejected(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(
        manager_client,
        workflow,
        base_url="http://tickets.example.test/api",
        trust_self_signed="on",
    )

    assert error_codes(response.context["endpoint_form"], "trust_self_signed") == [
        "trust_needs_https"
    ]
    assert stored_rows(workflow) == before


def test_trust_self_signed_on_builtin_rejected(manager_client, builtin):
    data = endpoint_form_data(builtin, trust_self_signed="on")

    response = manager_client.post(builtin.get_absolute_url(), data)

    assert error_codes(response.context["endpoint_form"], "trust_self_signed") == [
        "trust_needs_https"
    ]
    builtin.refresh_from_db()
    assert builtin.trust_self_signed is False


def test_trust_rule_in_model_clean(workflow):
    endpoint = make_basic_endpoint(workflow, base_url="http://tickets.example.test")
    endpoint.trust_self_signed = True

    with pytest.raises(ValidationError) as raised:
        endpoint.full_clean()

    assert [error.code for error in raised.value.error_dict["trust_self_signed"]] == [
        "trust_needs_https"
    ]


def test_trust_self_signed_on_https_accepted(manager_client, workflow):
    response = post_new_endpoint(manager_client, workflow, trust_self_signed="on")

    assert response.status_code == 302
    assert Endpoint.objects.get(workflow=workflow, name="Tickets").trust_self_signed


def test_unknown_auth_type_shows_type_picker(manager_client, workflow):
    before = stored_rows(workflow)

    response = post_new_endpoint(manager_client, workflow, auth_type="console")

    assert response.status_code == 200
    assert "choice_form" in response.context
    assert stored_rows(workflow) == before


def test_builtin_rename_through_form_ignored(manager_client, builtin):
    data = endpoint_form_data(builtin, name="Renamed", base_url=VALID_BASE_URL)

    manager_client.post(builtin.get_absolute_url(), data)

    builtin.refresh_from_db()
    assert builtin.name == "Console"
    assert builtin.base_url == "http://127.0.0.1:8000/api"


UNICODE_NAME = "Ünïcödé \"quoted\" 名前 'x'"


@pytest.fixture
def unicode_endpoint(manager_client, workflow):
    response = post_new_endpoint(manager_client, workflow, name=UNICODE_NAME)
    assert response.status_code == 302
    return Endpoint.objects.get(workflow=workflow, name=UNICODE_NAME)


def test_unicode_name_stored_exactly(unicode_endpoint):
    assert unicode_endpoint.name == UNICODE_NAME


def test_unicode_name_escaped_on_workflow_page(
    manager_client, workflow, unicode_endpoint
):
    response = manager_client.get(workflow.get_absolute_url())

    content = response.content.decode()
    assert html.escape(UNICODE_NAME) in content
    assert UNICODE_NAME not in content


def test_unicode_name_escaped_on_endpoint_page(manager_client, unicode_endpoint):
    response = manager_client.get(unicode_endpoint.get_absolute_url())

    content = response.content.decode()
    assert f'value="{html.escape(UNICODE_NAME)}"' in content
    assert f"<h1>{html.escape(UNICODE_NAME)}</h1>" in content
    assert UNICODE_NAME not in content


def test_unicode_name_exact_in_export(manager_client, workflow, unicode_endpoint):
    url = reverse("endpoints:workflow_export", args=[workflow.pk])

    response = manager_client.get(url)

    names = [item["name"] for item in json.loads(response.content)["endpoints"]]
    assert UNICODE_NAME in names


def test_markup_in_name_escaped(manager_client, workflow):
    name = "<script>alert(1)</script>"
    post_new_endpoint(manager_client, workflow, name=name)

    response = manager_client.get(workflow.get_absolute_url())

    assert name.encode() not in response.content
    assert html.escape(name).encode() in response.content


def test_auth_config_untouched_on_bad_basic(manager_client, workflow):
    count = AuthConfig.objects.count()

    post_new_endpoint(
        manager_client, workflow, auth_type="basic", **{"auth-username": "a:b"}
    )

    assert AuthConfig.objects.count() == count


@pytest.mark.parametrize("submitted", ["INCIDENTS", "incidents", "Ｉｎｃｉｄｅｎｔｓ"])
def test_workflow_name_differing_by_case_rejected(manager_client, workflow, submitted):
    count = Workflow.objects.count()

    response = manager_client.post(
        reverse("endpoints:workflow_create"), {"name": submitted}
    )

    assert error_codes(response.context["form"], "name") == ["duplicate_name"]
    assert Workflow.objects.count() == count


def test_workflow_name_of_101_characters_rejected(manager_client):
    response = manager_client.post(
        reverse("endpoints:workflow_create"), {"name": "w" * 101}
    )

    assert "max_length" in error_codes(response.context["form"], "name")
    assert not Workflow.objects.exists()


def test_workflow_description_of_2000_characters_accepted(manager_client):
    response = manager_client.post(
        reverse("endpoints:workflow_create"),
        {"name": "Night shift", "description": "d" * 2000},
    )

    assert response.status_code == 302
    assert len(Workflow.objects.get(name="Night shift").description) == 2000


def test_workflow_description_of_2001_characters_rejected(manager_client):
    response = manager_client.post(
        reverse("endpoints:workflow_create"),
        {"name": "Night shift", "description": "d" * 2001},
    )

    assert error_codes(response.context["form"], "description") == ["max_length"]
    assert response.context["form"].errors["description"] == [
        "Ensure this value has at most 2000 characters (it has 2001)."
    ]
    assert not Workflow.objects.exists()


def test_failed_edit_heading_shows_stored_name(manager_client, workflow, endpoint):
    data = endpoint_form_data(endpoint, name="New name", base_url="ftp://x.test")

    response = manager_client.post(endpoint.get_absolute_url(), data)

    content = response.content.decode()
    assert "<h1>Tickets</h1>" in content
    assert "<title>Tickets · Incidents · Endpoint Console</title>" in content
    assert 'value="New name"' in content


@pytest.mark.parametrize("version", ["abc", "1.5", "1; DROP"])
def test_damaged_version_shows_error(manager_client, workflow, endpoint, version):
    before = stored_rows(workflow)
    data = endpoint_form_data(endpoint, name="New name", version=version)

    response = manager_client.post(endpoint.get_absolute_url(), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert (
        content.count(
            "This page is out of date; reload it and make your changes again."
        )
        == 2
    )
    assert stored_rows(workflow) == before


def summary_of(response) -> str:
    """Return the HTML of the page's error summary, or "" without one."""
    content = response.content.decode()
    start = content.find('<div class="error-summary"')
    if start == -1:
        return ""
    return content[start : content.index("</div>", start)]


def test_error_summary_lists_each_field(manager_client, workflow):
    response = post_new_endpoint(
        manager_client,
        workflow,
        "basic",
        name="",
        base_url="ftp://x.test",
        **{"auth-username": "a:b"},
    )

    summary = summary_of(response)
    assert 'role="alert" tabindex="-1"' in summary
    assert "data-error-summary" in summary
    assert "This page has 3 problems:" in summary
    assert '<a href="#id_name">Name</a>: This field is required.' in summary
    assert '<a href="#id_base_url">Base URL</a>: Start the base URL' in summary
    assert '<a href="#id_auth-username">Username</a>: Remove the colon' in summary


def test_error_summary_links_secret_input(manager_client, workflow):
    response = post_new_endpoint(
        manager_client, workflow, "basic", **{"auth-password_0": ""}
    )

    summary = summary_of(response)
    assert "This page has 1 problem:" in summary
    assert '<a href="#id_auth-password_0">Password</a>' in summary


def test_error_summary_lists_damaged_version(manager_client, endpoint):
    data = endpoint_form_data(endpoint, version="abc")

    response = manager_client.post(endpoint.get_absolute_url(), data)

    summary = summary_of(response)
    assert "This page has 1 problem:" in summary
    assert "<li>This page is out of date; reload it" in summary


def test_valid_page_has_no_error_summary(manager_client, endpoint):
    response = manager_client.get(endpoint.get_absolute_url())

    assert summary_of(response) == ""


def test_workflow_form_has_error_summary(manager_client):
    response = manager_client.post(reverse("endpoints:workflow_create"), {"name": ""})

    summary = summary_of(response)
    assert "This page has 1 problem:" in summary
    assert '<a href="#id_name">Name</a>: This field is required.' in summary


def test_control_characters_are_category_cc():
    import sys
    import unicodedata

    from endpoints.validators import has_control_characters

    mismatched = [
        code_point
        for code_point in range(sys.maxunicode + 1)
        if has_control_characters(chr(code_point))
        != (unicodedata.category(chr(code_point)) == "Cc")
    ]

    assert mismatched == []


def test_invisible_characters_found_after_ascii():
    from endpoints.validators import first_invisible_character

    assert first_invisible_character("plain name") is None
    assert first_invisible_character("plain\u200bname") == "\u200b"
    assert first_invisible_character("نام\u200cها") is None
