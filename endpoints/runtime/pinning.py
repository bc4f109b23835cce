"""Pinning of self-signed certificates on endpoints that trust them.

An endpoint with "trust self-signed certificates" on pins the first
self-signed certificate it accepts (trust on first use). A different
self-signed certificate later is stored as the offered certificate and fails
as a security error until a manager trusts it on the endpoint's page.
"""

from __future__ import annotations

import ssl

from django.utils import timezone

from endpoints.models import Endpoint

from .errors import CertificateChangedError, TLSError
from .network import NetworkGuard
from .tls import (
    HOST_MISMATCH_CODES,
    certificate_info,
    describe_ssl_error,
    fetch_peer_certificate,
    fingerprint,
    info_from_pem,
    load_pem,
    self_signed_problems,
    to_pem,
)


def review_failed_handshake(
    endpoint: Endpoint,
    host: str,
    port: int,
    ssl_error: ssl.SSLError,
    *,
    timeout: float | None,
    persist: bool,
) -> str:
    """Decide about a certificate that failed verification.

    Returns the PEM of a self-signed certificate to trust on the next
    attempt, after pinning it when ``persist`` is true. Raises `TLSError`
    (or `CertificateChangedError`) with the certificate's facts otherwise.
    """
    reason = describe_ssl_error(ssl_error)
    if not isinstance(ssl_error, ssl.SSLCertVerificationError):
        raise TLSError(f"The TLS handshake with {host} failed: {reason}")

    certificate = fetch_peer_certificate(
        NetworkGuard.from_settings(), host, port, timeout
    )
    if certificate is None:
        raise TLSError(f"The certificate of {host} was rejected: {reason}")
    info = certificate_info(certificate)
    if not endpoint.trust_self_signed:
        raise TLSError(f"The certificate of {host} was rejected: {reason}", info)

    if ssl_error.verify_code in HOST_MISMATCH_CODES:
        # A trusted authority signed it, so the self-signed rules do not
        # apply: only the name is wrong.
        raise TLSError(
            f"The certificate of {host} was rejected: it is signed by a trusted "
            f"authority, but it is not valid for the host name {host}.",
            info,
        )
    problems = self_signed_problems(certificate, host)
    if problems:
        raise TLSError(
            f"The certificate of {host} was rejected: {' '.join(problems)}", info
        )
    pinned = endpoint.pinned_certificate_sha256
    if pinned and pinned != info.sha256:
        if persist:
            _offer(endpoint, to_pem(certificate))
        raise CertificateChangedError(
            f"The self-signed certificate of {host} has changed since it was "
            "trusted. A manager must review the new certificate on the endpoint's "
            "page and trust it before requests go through.",
            info,
            pinned,
        )
    if pinned == info.sha256:
        # The pinned certificate was already trusted, so OpenSSL rejected it
        # for a reason of its own.
        raise TLSError(f"The certificate of {host} was rejected: {reason}", info)

    pem = to_pem(certificate)
    if persist:
        pin_certificate(endpoint, pem)
    return pem


def pin_certificate(endpoint: Endpoint, pem: str) -> bool:
    """Pin ``pem`` on the endpoint if nothing is pinned yet.

    The conditional UPDATE makes the first of concurrent pins win. It
    changes neither the version nor the last-change time, so an open edit
    form does not conflict with it. Returns whether this call pinned.
    """
    sha256 = fingerprint(load_pem(pem))
    now = timezone.now()
    updated = Endpoint.objects.filter(
        pk=endpoint.pk, pinned_certificate_sha256=""
    ).update(
        pinned_certificate_sha256=sha256,
        pinned_certificate_pem=pem,
        pinned_certificate_at=now,
    )
    endpoint.refresh_from_db(
        fields=[
            "pinned_certificate_sha256",
            "pinned_certificate_pem",
            "pinned_certificate_at",
        ]
    )
    return bool(updated)


def _offer(endpoint: Endpoint, pem: str) -> None:
    now = timezone.now()
    Endpoint.objects.filter(pk=endpoint.pk).update(
        offered_certificate_pem=pem, offered_certificate_at=now
    )
    endpoint.offered_certificate_pem = pem
    endpoint.offered_certificate_at = now


def trust_offered_certificate(endpoint: Endpoint, sha256: str) -> bool:
    """Pin the offered certificate if it is still the one with ``sha256``.

    Returns False when another certificate was offered since the manager
    looked, so that no manager trusts a certificate they have not seen.
    """
    info = info_from_pem(endpoint.offered_certificate_pem)
    if info is None or info.sha256 != sha256:
        return False
    updated = Endpoint.objects.filter(
        pk=endpoint.pk, offered_certificate_pem=endpoint.offered_certificate_pem
    ).update(
        pinned_certificate_sha256=info.sha256,
        pinned_certificate_pem=endpoint.offered_certificate_pem,
        pinned_certificate_at=timezone.now(),
        offered_certificate_pem="",
        offered_certificate_at=None,
    )
    endpoint.refresh_from_db()
    return bool(updated)
