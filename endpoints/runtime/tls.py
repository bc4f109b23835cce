"""TLS trust: SSL contexts, certificate facts, and self-signed acceptance.

With the endpoint's "trust self-signed certificates" switch off, OpenSSL
verifies the server as usual against ENDPOINT_CA_BUNDLE (or the system's
authorities when it is blank). With the switch on, a handshake that fails
verification is reviewed here. The server's certificate is fetched over a
separate connection that sends nothing else. It is accepted only when it is
self-signed (its issuer is its subject and its own key verifies its
signature), when it names the host, and when it is inside its validity
period. The runtime then connects again with a context that trusts exactly
that certificate, so that OpenSSL makes the final check on the real
connection and a certificate swapped in between is still rejected.

The first certificate accepted this way is pinned on the endpoint. A
different one later fails as a security error until a manager trusts it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from collections.abc import Iterator
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID
from django.utils import timezone

from .errors import CertificateInfo
from .network import NetworkGuard, open_guarded_socket

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
# OpenSSL checks the name only after the chain verified, so a handshake
# that fails with one of these presented a certificate that a trusted
# authority signed.
HOST_MISMATCH_CODES = frozenset({62, 64})


def build_ssl_context(ca_bundle: str = "", trusted_pem: str = "") -> ssl.SSLContext:
    """Return a strictly verifying client context.

    ``ca_bundle`` is a PEM file of the authorities to trust instead of the
    system's. ``trusted_pem`` adds one certificate as a trust anchor: the
    pinned self-signed certificate of an endpoint.
    """
    if ca_bundle:
        context = ssl.create_default_context(cafile=ca_bundle)
    else:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    if trusted_pem:
        context.load_verify_locations(cadata=trusted_pem)
    return context


def find_ssl_error(error: BaseException) -> ssl.SSLError | None:
    """Return the ssl.SSLError in an exception's chain of causes, if any."""
    for link in exception_chain(error):
        if isinstance(link, ssl.SSLError):
            return link
    return None


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """Yield an exception and its causes (or contexts), each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_ssl_error(error: ssl.SSLError) -> str:
    """Return OpenSSL's reason for a failed handshake as a sentence."""
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        reason = error.verify_message
    else:
        reason = error.reason or str(error)
    reason = str(reason).replace("_", " ")
    return f"{reason[:1].upper()}{reason[1:].rstrip('.')}."


def certificate_info(certificate: x509.Certificate) -> CertificateInfo:
    """Return the facts about ``certificate`` that pages and errors show."""
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string() or "(empty)",
        issuer=certificate.issuer.rfc4514_string() or "(empty)",
        sha256=fingerprint(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        names=tuple(_subject_alt_names(certificate)),
        self_signed=is_self_signed(certificate),
    )


def fingerprint(certificate: x509.Certificate) -> str:
    """Return the SHA-256 of the certificate's DER form as lower-case hex."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def info_from_pem(pem: str) -> CertificateInfo | None:
    """Return the facts of a stored certificate, or None if there is none."""
    if not pem:
        return None
    try:
        return certificate_info(load_pem(pem))
    except ValueError:
        return None


def is_self_signed(certificate: x509.Certificate) -> bool:
    """Return whether the certificate is issued and signed by its own key."""
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _subject_alt_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_oid(
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME
        )
    except x509.ExtensionNotFound:
        return []
    names: list[str] = list(extension.value.get_values_for_type(x509.DNSName))
    names += [str(ip) for ip in extension.value.get_values_for_type(x509.IPAddress)]
    return names


def matches_host(certificate: x509.Certificate, host: str) -> bool:
    """Return whether the certificate's alternative names cover ``host``.

    IP addresses must match an IP entry exactly. A DNS entry may be a
    wildcard for the left-most label only (RFC 6125, section 6.4.3). The
    common name is not used, as browsers no longer use it either.
    """
    try:
        extension = certificate.extensions.get_extension_for_oid(
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME
        )
    except x509.ExtensionNotFound:
        return False
    names = extension.value
    literal = _ip_or_none(host)
    if literal is not None:
        return literal in names.get_values_for_type(x509.IPAddress)
    expected_host = host.rstrip(".").lower()
    return any(
        _dns_name_matches(name.lower(), expected_host)
        for name in names.get_values_for_type(x509.DNSName)
    )


def _ip_or_none(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _dns_name_matches(pattern: str, host: str) -> bool:
    pattern = pattern.rstrip(".")
    if not pattern.startswith("*."):
        return pattern == host
    first, _, rest = host.partition(".")
    return bool(first) and rest == pattern[2:]


def self_signed_problems(
    certificate: x509.Certificate, host: str, now: datetime | None = None
) -> list[str]:
    """Return why a certificate cannot be trusted as self-signed.

    An empty list means that it can.
    """
    now = now or timezone.now()
    problems = []
    if not matches_host(certificate, host):
        problems.append(f"The certificate is not valid for the host name {host}.")
    if certificate.not_valid_after_utc < now:
        problems.append(
            f"The certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}."
        )
    if certificate.not_valid_before_utc > now:
        problems.append(
            "The certificate is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d}."
        )
    if not is_self_signed(certificate):
        problems.append(
            "The certificate is neither signed by a trusted authority nor self-signed."
        )
    return problems


def fetch_peer_certificate(
    guard: NetworkGuard, host: str, port: int, timeout: float | None
) -> x509.Certificate | None:
    """Return the certificate that the server presents, unverified.

    The connection goes through the network guard, completes the handshake
    and closes without sending any request, so no credential goes out.
    Returns None when the handshake fails before a certificate arrives.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    server_name = None if _ip_or_none(host) else host
    try:
        with open_guarded_socket(guard, host, port, timeout) as raw:
            with context.wrap_socket(raw, server_hostname=server_name) as tls_socket:
                der = tls_socket.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    if not der:
        return None
    return x509.load_der_x509_certificate(der)
