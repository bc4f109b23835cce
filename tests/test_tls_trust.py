"""TLS verification, the trust-self-signed switch and certificate pinning."""

import pytest
from django.urls import reverse

from endpoints.models import ActivityEntry
from endpoints.runtime import CertificateChangedError, TLSError, send
from endpoints.runtime.pool import clients
from endpoints.runtime.tls import certificate_info, fingerprint, matches_host
from tests.conftest import make_token_endpoint
from tests.support.certificates import ca_signed, self_signed
from tests.support.pages import edit_form_data


def tls_server(start_server, certificate):
    return start_server(ssl_context=certificate.server_context())


def token_endpoint(workflow, server, trust=False, host="127.0.0.1"):
    return make_token_endpoint(
        workflow, base_url=server.url(host=host, path="/api"), trust_self_signed=trust
    )


def security_entries(endpoint):
    return ActivityEntry.objects.filter(
        endpoint=endpoint, event=ActivityEntry.Event.SECURITY_ERROR
    )


def test_ca_signed_trusted_through_bundle(
    workflow, start_server, ca_signed_cert, ca_bundle
):
    server = tls_server(start_server, ca_signed_cert)
    token_endpoint(workflow, server)

    response = send(workflow, "Chat", "GET", "/x")

    assert response.status_code == 200
    assert server.last.header("Authorization") == "Bearer tok-123456"


def test_ca_signed_by_host_name(workflow, start_server, ca_signed_cert, ca_bundle):
    server = tls_server(start_server, ca_signed_cert)
    token_endpoint(workflow, server, host="localhost")

    response = send(workflow, "Chat", "GET", "/x")

    assert response.status_code == 200


def test_unknown_ca_fails_without_bundle(workflow, start_server, ca_signed_cert):
    server = tls_server(start_server, ca_signed_cert)
    token_endpoint(workflow, server)

    with pytest.raises(TLSError):
        send(workflow, "Chat", "GET", "/x")

    assert server.requests == []


def test_self_signed_rejected_when_switch_off(
    workflow, start_server, self_signed_cert, ca_bundle
):
    server = tls_server(start_server, self_signed_cert)
    endpoint = token_endpoint(workflow, server)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x?token=tok-123456")

    assert "self-signed certificate" in str(raised.value).lower()
    assert raised.value.certificate.sha256 == fingerprint(self_signed_cert.certificate)
    assert server.requests == []
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == ""


def test_tls_failure_activity_has_certificate_facts(
    workflow, start_server, self_signed_cert, ca_bundle
):
    server = tls_server(start_server, self_signed_cert)
    endpoint = token_endpoint(workflow, server)
    info = certificate_info(self_signed_cert.certificate)

    with pytest.raises(TLSError):
        send(workflow, "Chat", "GET", "/x")

    entry = security_entries(endpoint).get()
    assert entry.outcome == ActivityEntry.Outcome.FAILURE
    assert "subject CN=Self-signed test server" in entry.detail
    assert "issuer CN=Self-signed test server" in entry.detail
    assert info.fingerprint in entry.detail
    assert "Self-signed certificate" in entry.detail


def test_self_signed_accepted_and_pinned(
    workflow, start_server, self_signed_cert, ca_bundle
):
    server = tls_server(start_server, self_signed_cert)
    endpoint = token_endpoint(workflow, server, trust=True)

    response = send(workflow, "Chat", "GET", "/x")

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == fingerprint(
        self_signed_cert.certificate
    )
    assert endpoint.pinned_certificate_at is not None
    assert endpoint.version == 1


def test_pinning_writes_activity(workflow, start_server, self_signed_cert, ca_bundle):
    server = tls_server(start_server, self_signed_cert)
    endpoint = token_endpoint(workflow, server, trust=True)

    send(workflow, "Chat", "GET", "/x")

    entry = ActivityEntry.objects.get(endpoint=endpoint)
    assert entry.event == ActivityEntry.Event.CHANGED
    assert fingerprint(self_signed_cert.certificate) in entry.detail


def test_pinned_certificate_used_again(
    workflow, start_server, self_signed_cert, ca_bundle
):
    server = tls_server(start_server, self_signed_cert)
    token_endpoint(workflow, server, trust=True)
    send(workflow, "Chat", "GET", "/x")
    clients.close_all()

    response = send(workflow, "Chat", "GET", "/y")

    assert response.status_code == 200
    assert len(server.requests) == 2


def test_self_signed_by_host_name(workflow, start_server, self_signed_cert, ca_bundle):
    server = tls_server(start_server, self_signed_cert)
    token_endpoint(workflow, server, trust=True, host="localhost")

    response = send(workflow, "Chat", "GET", "/x")

    assert response.status_code == 200


def test_trust_on_keeps_ca_verification(
    workflow, start_server, ca_signed_cert, ca_bundle
):
    server = tls_server(start_server, ca_signed_cert)
    endpoint = token_endpoint(workflow, server, trust=True)

    response = send(workflow, "Chat", "GET", "/x")

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == ""


def test_self_signed_wrong_name_fails(workflow, start_server, tmp_path, ca_bundle):
    server = tls_server(start_server, self_signed(tmp_path, ("other.example",)))
    endpoint = token_endpoint(workflow, server, trust=True)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert "not valid for the host name 127.0.0.1" in str(raised.value)
    assert server.requests == []
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == ""


def test_self_signed_expired_fails(workflow, start_server, tmp_path, ca_bundle):
    expired = self_signed(tmp_path, valid_from_days=-30, valid_days=29)
    server = tls_server(start_server, expired)
    token_endpoint(workflow, server, trust=True)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert "expired" in str(raised.value)
    assert server.requests == []


def test_self_signed_not_yet_valid_fails(workflow, start_server, tmp_path, ca_bundle):
    future = self_signed(tmp_path, valid_from_days=2, valid_days=30)
    server = tls_server(start_server, future)
    token_endpoint(workflow, server, trust=True)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert "not valid before" in str(raised.value)


def test_ca_signed_wrong_name_fails_with_trust(
    workflow, start_server, test_ca, tmp_path, ca_bundle
):
    wrong = ca_signed(test_ca, tmp_path, ("other.example",))
    server = tls_server(start_server, wrong)
    token_endpoint(workflow, server, trust=True)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert "not valid for the host name" in str(raised.value)
    assert "signed by a trusted authority, but" in str(raised.value)
    assert "nor self-signed" not in str(raised.value)


def test_ca_signed_wrong_name_fails(
    workflow, start_server, test_ca, tmp_path, ca_bundle
):
    wrong = ca_signed(test_ca, tmp_path, ("other.example",))
    server = tls_server(start_server, wrong)
    token_endpoint(workflow, server)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert "mismatch" in str(raised.value).lower()


@pytest.mark.parametrize("trust", [False, True])
def test_ca_signed_expired_fails(
    workflow, start_server, test_ca, tmp_path, ca_bundle, trust
):
    expired = ca_signed(test_ca, tmp_path, expired=True)
    server = tls_server(start_server, expired)
    endpoint = token_endpoint(workflow, server, trust=trust)

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert "expired" in str(raised.value)
    assert security_entries(endpoint).count() == 1


def test_plain_http_on_tls_port_fails(workflow, http_server, ca_bundle):
    endpoint = make_token_endpoint(
        workflow, base_url=http_server.url().replace("http://", "https://")
    )

    with pytest.raises(TLSError) as raised:
        send(workflow, "Chat", "GET", "/x")

    assert raised.value.stage == "tls"
    assert security_entries(endpoint).count() == 1


def changed_certificate(workflow, start_server, tmp_path):
    first = self_signed(tmp_path, label="first")
    second = self_signed(tmp_path, label="second")
    server = start_server(ssl_context=first.server_context())
    endpoint = token_endpoint(workflow, server, trust=True)
    send(workflow, "Chat", "GET", "/x")
    server.ssl_context = second.server_context()
    clients.close_all()
    return server, endpoint, first, second


def test_changed_certificate_fails(workflow, start_server, tmp_path, ca_bundle):
    server, endpoint, first, second = changed_certificate(
        workflow, start_server, tmp_path
    )

    with pytest.raises(CertificateChangedError) as raised:
        send(workflow, "Chat", "GET", "/y")

    assert raised.value.certificate.sha256 == fingerprint(second.certificate)
    assert raised.value.pinned_sha256 == fingerprint(first.certificate)
    assert len(server.requests) == 1


def test_changed_certificate_is_offered(workflow, start_server, tmp_path, ca_bundle):
    server, endpoint, first, second = changed_certificate(
        workflow, start_server, tmp_path
    )

    with pytest.raises(CertificateChangedError):
        send(workflow, "Chat", "GET", "/y")

    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == fingerprint(first.certificate)
    assert endpoint.offered_certificate_pem == second.cert_pem
    assert security_entries(endpoint).count() == 1


def test_endpoint_page_shows_offered_certificate(
    workflow, start_server, tmp_path, ca_bundle, manager_client
):
    server, endpoint, first, second = changed_certificate(
        workflow, start_server, tmp_path
    )
    with pytest.raises(CertificateChangedError):
        send(workflow, "Chat", "GET", "/y")

    page = manager_client.get(endpoint.get_absolute_url()).content.decode()

    assert certificate_info(first.certificate).fingerprint in page
    assert certificate_info(second.certificate).fingerprint in page
    assert "Trust the new certificate" in page
    assert "CN=Self-signed test server" in page


def test_manager_trusts_new_certificate(
    workflow, start_server, tmp_path, ca_bundle, manager_client
):
    server, endpoint, first, second = changed_certificate(
        workflow, start_server, tmp_path
    )
    with pytest.raises(CertificateChangedError):
        send(workflow, "Chat", "GET", "/y")
    url = reverse("endpoints:endpoint_trust_certificate", args=[endpoint.pk])

    response = manager_client.post(url, {"sha256": fingerprint(second.certificate)})

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == fingerprint(second.certificate)
    assert endpoint.offered_certificate_pem == ""
    assert send(workflow, "Chat", "GET", "/z").status_code == 200


def test_trusting_certificate_writes_activity(
    workflow, start_server, tmp_path, ca_bundle, manager_client, manager
):
    server, endpoint, first, second = changed_certificate(
        workflow, start_server, tmp_path
    )
    with pytest.raises(CertificateChangedError):
        send(workflow, "Chat", "GET", "/y")
    url = reverse("endpoints:endpoint_trust_certificate", args=[endpoint.pk])

    manager_client.post(url, {"sha256": fingerprint(second.certificate)})

    entry = ActivityEntry.objects.filter(endpoint=endpoint).first()
    assert entry.actor == manager
    assert "Trusted the new self-signed certificate" in entry.detail
    assert fingerprint(first.certificate) in entry.detail


def test_trust_with_stale_fingerprint_refused(
    workflow, start_server, tmp_path, ca_bundle, manager_client
):
    server, endpoint, first, second = changed_certificate(
        workflow, start_server, tmp_path
    )
    with pytest.raises(CertificateChangedError):
        send(workflow, "Chat", "GET", "/y")
    url = reverse("endpoints:endpoint_trust_certificate", args=[endpoint.pk])

    manager_client.post(url, {"sha256": "0" * 64})

    endpoint.refresh_from_db()
    assert endpoint.pinned_certificate_sha256 == fingerprint(first.certificate)


def test_viewer_cannot_trust_certificate(workflow, viewer_client):
    endpoint = make_token_endpoint(workflow, trust_self_signed=True)
    url = reverse("endpoints:endpoint_trust_certificate", args=[endpoint.pk])

    response = viewer_client.post(url, {"sha256": "0" * 64})

    assert response.status_code == 403


def test_endpoint_page_shows_pinned_fingerprint(
    workflow, start_server, self_signed_cert, ca_bundle, manager_client
):
    server = tls_server(start_server, self_signed_cert)
    endpoint = token_endpoint(workflow, server, trust=True)
    send(workflow, "Chat", "GET", "/x")

    page = manager_client.get(endpoint.get_absolute_url()).content.decode()

    assert certificate_info(self_signed_cert.certificate).fingerprint in page


@pytest.mark.parametrize(
    ("change", "cleared"),
    [
        # The token is typed again, since a stored one stays at its origin.
        (
            {
                "base_url": "https://elsewhere.example.test/api",
                "auth-token_0": "PLANTED-retyped-token-41c2",
            },
            True,
        ),
        ({"trust_self_signed": None}, True),
        ({"name": "Renamed"}, False),
    ],
)
def test_saving_endpoint_clears_pin(
    workflow, start_server, self_signed_cert, ca_bundle, manager_client, change, cleared
):
    server = tls_server(start_server, self_signed_cert)
    endpoint = token_endpoint(workflow, server, trust=True)
    send(workflow, "Chat", "GET", "/x")
    endpoint.refresh_from_db()

    manager_client.post(endpoint.get_absolute_url(), edit_form_data(endpoint, **change))

    endpoint.refresh_from_db()
    assert (endpoint.pinned_certificate_sha256 == "") is cleared


@pytest.mark.parametrize(
    ("names", "host", "expected"),
    [
        (("api.example.test",), "api.example.test", True),
        (("API.Example.Test",), "api.example.test", True),
        (("*.example.test",), "api.example.test", True),
        (("*.example.test",), "a.b.example.test", False),
        (("*.example.test",), "example.test", False),
        (("api.example.test",), "other.example.test", False),
        (("127.0.0.1",), "127.0.0.1", True),
        (("127.0.0.1",), "127.0.0.2", False),
        (("::1",), "::1", True),
    ],
)
def test_matches_host_cases(tmp_path, names, host, expected):
    certificate = self_signed(tmp_path, names).certificate

    assert matches_host(certificate, host) is expected


def test_admin_shows_pin_read_only(client, superuser, workflow):
    endpoint = make_token_endpoint(workflow, trust_self_signed=True)
    endpoint.pinned_certificate_sha256 = "ab" * 32
    endpoint.save()
    client.force_login(superuser)

    page = client.get(f"/admin/endpoints/endpoint/{endpoint.pk}/change/")

    html = page.content.decode()
    assert "ab" * 32 in html
    assert 'name="pinned_certificate_sha256"' not in html
