"""Literal addresses in blocked networks, rejected where a URL is entered.

Base URLs and OAuth 2.0 URLs that name an address in a blocked network are
rejected by the endpoint form, the admin, the import and the OAuth forms.
Host names are left to the network guard, which checks every address they
resolve to when the runtime connects.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from endpoints.export import build_export
from endpoints.importer import ImportFileError, import_workflow
from endpoints.models import Endpoint
from endpoints.runtime import BlockedAddressError, send
from endpoints.runtime.network import DEFAULT_BLOCKED_NETWORKS
from tests.conftest import error_codes, make_token_endpoint
from tests.support.oauth import CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME

BLOCKED_URLS = {
    "metadata": "http://169.254.169.254/latest",
    "link-local": "http://169.254.10.20:8080/api",
    "link-local IPv6": "http://[fe80::1]/api",
    "IPv4-mapped IPv6": "http://[::ffff:169.254.169.254]/",
    "IPv4 unspecified": "http://0.0.0.0:8080/",
    "this network": "http://0.1.2.3/",
    "IPv6 unspecified": "http://[::]:8080/",
    "IPv4-mapped unspecified": "http://[::ffff:0.0.0.0]/",
}
LOOPBACK_BLOCKED = [*DEFAULT_BLOCKED_NETWORKS, "127.0.0.0/8", "::1/128"]


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def create_url(workflow) -> str:
    return reverse("endpoints:endpoint_create", args=[workflow.pk])


def create_token_endpoint(client, workflow, base_url):
    return client.post(
        create_url(workflow),
        {
            "name": "Target",
            "base_url": base_url,
            "auth_type": "token",
            "auth-header": "authorization",
            "auth-prefix": "Bearer",
            "auth-token_0": "tok-123456",
        },
    )


@pytest.mark.parametrize("base_url", BLOCKED_URLS.values(), ids=BLOCKED_URLS.keys())
def test_endpoint_form_rejects_blocked(manager_client, workflow, base_url):
    response = create_token_endpoint(manager_client, workflow, base_url)

    assert response.status_code == 200
    form = response.context["endpoint_form"]
    assert error_codes(form, "base_url") == ["blocked_address"]
    assert not Endpoint.objects.filter(name="Target").exists()


def test_endpoint_form_names_network(manager_client, workflow):
    response = create_token_endpoint(
        manager_client, workflow, "http://169.254.169.254/latest"
    )

    assert response.context["endpoint_form"].errors["base_url"] == [
        "The address 169.254.169.254 is in the blocked network 169.254.169.254/32 "
        "(ENDPOINT_BLOCKED_NETWORKS), so endpoints may not connect to it."
    ]


def test_endpoint_form_explains_unspecified(manager_client, workflow):
    response = create_token_endpoint(manager_client, workflow, "http://0.0.0.0:8080/")

    assert response.context["endpoint_form"].errors["base_url"] == [
        "The address 0.0.0.0 is in 0.0.0.0/8, the unspecified addresses, which "
        "connect to this machine itself and are always blocked, so endpoints may "
        "not connect to it."
    ]


def test_endpoint_form_leaves_host_names(manager_client, workflow, fake_dns):
    # The name resolves to a blocked address, which the runtime rejects.
    fake_dns["metadata.example.test"] = ["169.254.169.254"]

    response = create_token_endpoint(
        manager_client, workflow, "http://metadata.example.test/latest"
    )

    assert response.status_code == 302
    assert Endpoint.objects.filter(name="Target").exists()


def test_endpoint_form_allows_other_literal(manager_client, workflow):
    response = create_token_endpoint(manager_client, workflow, "http://192.0.2.10/")

    assert response.status_code == 302


def test_endpoint_form_follows_setting(manager_client, workflow, settings):
    settings.ENDPOINT_BLOCKED_NETWORKS = [*DEFAULT_BLOCKED_NETWORKS, "192.0.2.0/24"]

    response = create_token_endpoint(manager_client, workflow, "http://192.0.2.10/")

    assert error_codes(response.context["endpoint_form"], "base_url") == [
        "blocked_address"
    ]


def test_edit_form_rejects_blocked(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)
    url = reverse("endpoints:endpoint_edit", args=[endpoint.pk])
    data = {
        "name": endpoint.name,
        "base_url": "http://[fe80::1]/api",
        "version": str(endpoint.version),
        "auth-header": "authorization",
        "auth-prefix": "Bearer",
    }

    response = manager_client.post(url, data)

    assert error_codes(response.context["endpoint_form"], "base_url") == [
        "blocked_address"
    ]
    endpoint.refresh_from_db()
    assert endpoint.base_url == "https://chat.example.test/api"


def admin_change_data(endpoint, base_url) -> dict:
    return {
        "name": endpoint.name,
        "base_url": base_url,
        "loaded_version": str(endpoint.version),
        "auth-TOTAL_FORMS": "1",
        "auth-INITIAL_FORMS": "1",
        "auth-0-endpoint": str(endpoint.pk),
    }


@pytest.mark.parametrize(
    "base_url",
    [BLOCKED_URLS["metadata"], BLOCKED_URLS["IPv6 unspecified"]],
    ids=["metadata", "IPv6 unspecified"],
)
def test_admin_rejects_blocked(admin_client, workflow, base_url):
    endpoint = make_token_endpoint(workflow)
    url = reverse("admin:endpoints_endpoint_change", args=[endpoint.pk])

    response = admin_client.post(url, admin_change_data(endpoint, base_url))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert error_codes(form, "base_url") == ["blocked_address"]
    endpoint.refresh_from_db()
    assert endpoint.base_url == "https://chat.example.test/api"


def test_admin_leaves_host_names(admin_client, workflow):
    # Without a stored secret, which the admin may not move to a new origin.
    endpoint = make_token_endpoint(workflow, secrets={})
    url = reverse("admin:endpoints_endpoint_change", args=[endpoint.pk])

    response = admin_client.post(
        url, admin_change_data(endpoint, "http://metadata.example.test/")
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.base_url == "http://metadata.example.test/"


def export_with_base_url(workflow, base_url) -> bytes:
    make_token_endpoint(workflow, base_url="https://chat.example.test/api")
    data = json.loads(build_export(workflow).content)
    workflow.delete()
    target = next(item for item in data["endpoints"] if item["name"] == "Chat")
    target["base_url"] = base_url
    return json.dumps(data).encode()


@pytest.mark.parametrize("base_url", BLOCKED_URLS.values(), ids=BLOCKED_URLS.keys())
def test_import_rejects_blocked(workflow, base_url):
    content = export_with_base_url(workflow, base_url)

    with pytest.raises(ImportFileError) as caught:
        import_workflow(content)

    blocked = [
        problem
        for problem in caught.value.problems
        if problem.code == "blocked_address"
    ]
    assert len(blocked) == 1
    assert blocked[0].path.endswith(".base_url")
    assert blocked[0].message.endswith("so endpoints may not connect to it.")


def test_import_names_address(workflow):
    content = export_with_base_url(workflow, "http://169.254.169.254/latest")

    with pytest.raises(ImportFileError) as caught:
        import_workflow(content)

    messages = [
        problem.message
        for problem in caught.value.problems
        if problem.code == "blocked_address"
    ]
    assert messages == [
        "The address 169.254.169.254 is in the blocked network 169.254.169.254/32 "
        "(ENDPOINT_BLOCKED_NETWORKS), so endpoints may not connect to it."
    ]


def test_import_leaves_host_names(workflow):
    content = export_with_base_url(workflow, "http://metadata.example.test/")

    imported = import_workflow(content)

    assert imported.workflow.endpoints.get(name="Chat").base_url == (
        "http://metadata.example.test/"
    )


def oauth_password_data(token_url: str) -> dict:
    return {
        "name": "Target",
        "base_url": "https://api.example.test",
        "auth_type": "oauth2_password",
        "auth-token_url": token_url,
        "auth-username": USERNAME,
        "auth-password_0": PASSWORD,
        "auth-client_id": CLIENT_ID,
        "auth-client_secret_0": CLIENT_SECRET,
        "auth-token_endpoint_auth_method": "client_secret_basic",
        "auth-expired_status": "401",
    }


def oauth_code_data(authorization_url: str, token_url: str) -> dict:
    return {
        "name": "Target",
        "base_url": "https://api.example.test",
        "auth_type": "oauth2_authorization_code",
        "auth-authorization_url": authorization_url,
        "auth-token_url": token_url,
        "auth-client_id": CLIENT_ID,
        "auth-client_secret_0": CLIENT_SECRET,
        "auth-token_endpoint_auth_method": "client_secret_basic",
        "auth-scope": "read offline_access",
        "auth-token_prefix": "Bearer",
        "auth-expired_status": "401",
    }


@pytest.mark.parametrize("url", BLOCKED_URLS.values(), ids=BLOCKED_URLS.keys())
def test_oauth_token_url_rejects_blocked(manager_client, workflow, url):
    response = manager_client.post(create_url(workflow), oauth_password_data(url))

    assert response.status_code == 200
    assert error_codes(response.context["auth_form"], "token_url") == [
        "blocked_address"
    ]
    assert not Endpoint.objects.filter(name="Target").exists()


def test_oauth_authorization_url_rejects_blocked(manager_client, workflow):
    data = oauth_code_data(
        "http://[::]:9000/authorize", "https://login.example.test/token"
    )

    response = manager_client.post(create_url(workflow), data)

    form = response.context["auth_form"]
    assert error_codes(form, "authorization_url") == ["blocked_address"]
    assert error_codes(form, "token_url") == []
    assert not Endpoint.objects.filter(name="Target").exists()


def test_oauth_urls_leave_host_names(manager_client, workflow):
    data = oauth_code_data(
        "http://login.example.test/authorize", "http://login.example.test/token"
    )

    response = manager_client.post(create_url(workflow), data)

    assert response.status_code == 302
    assert Endpoint.objects.filter(name="Target").exists()


def stored_with_base_url(workflow, base_url) -> Endpoint:
    # Stored past the validators, as a row written before they existed.
    endpoint = make_token_endpoint(workflow)
    Endpoint.objects.filter(pk=endpoint.pk).update(base_url=base_url)
    return endpoint


# Addresses to connect to, not to bind.
@pytest.mark.parametrize("host", ["0.0.0.0", "0.0.0.1"])  # noqa: S104
def test_unspecified_ipv4_never_reaches_loopback(workflow, http_server, settings, host):
    settings.ENDPOINT_BLOCKED_NETWORKS = LOOPBACK_BLOCKED
    stored_with_base_url(workflow, f"http://{host}:{http_server.port}/")

    with pytest.raises(BlockedAddressError) as raised:
        send(workflow, "Chat", "GET", "/")

    assert http_server.requests == []
    assert "always blocked" in str(raised.value)


@pytest.mark.parametrize("host", ["[::]", "[::ffff:0.0.0.0]"])
def test_unspecified_ipv6_blocked(workflow, http_server, settings, host):
    settings.ENDPOINT_BLOCKED_NETWORKS = LOOPBACK_BLOCKED
    stored_with_base_url(workflow, f"http://{host}:{http_server.port}/")

    with pytest.raises(BlockedAddressError):
        send(workflow, "Chat", "GET", "/")

    assert http_server.requests == []


def test_name_resolving_to_unspecified_blocked(
    workflow, http_server, settings, fake_dns
):
    settings.ENDPOINT_BLOCKED_NETWORKS = LOOPBACK_BLOCKED
    fake_dns["zero.example.test"] = ["0.0.0.0"]  # noqa: S104
    make_token_endpoint(
        workflow, base_url=f"http://zero.example.test:{http_server.port}/"
    )

    with pytest.raises(BlockedAddressError) as raised:
        send(workflow, "Chat", "GET", "/")

    assert "zero.example.test resolves to 0.0.0.0" in str(raised.value)
    assert http_server.requests == []


def test_unspecified_blocked_with_empty_setting(workflow, http_server, settings):
    settings.ENDPOINT_BLOCKED_NETWORKS = []
    stored_with_base_url(workflow, f"http://0.0.0.0:{http_server.port}/")

    with pytest.raises(BlockedAddressError):
        send(workflow, "Chat", "GET", "/")

    assert http_server.requests == []


def test_loopback_reached_when_allowed(workflow, http_server):
    # The default networks leave loopback open, as the suite's servers need.
    make_token_endpoint(workflow, base_url=http_server.url())

    response = send(workflow, "Chat", "GET", "/")

    assert response.status_code == 200
