"""Certificates for the TLS tests: trustme for CA-signed, cryptography for
self-signed.

Every server certificate names 127.0.0.1 and localhost unless a test
requests other names, because the test servers listen on 127.0.0.1.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOCAL_NAMES = ("127.0.0.1", "localhost")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


@dataclass
class ServerCertificate:
    """A certificate with its key, as PEM files that an SSLContext loads."""

    cert_pem: str
    key_path: Path
    cert_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem.encode())


def self_signed(
    folder: Path,
    names: tuple[str, ...] = LOCAL_NAMES,
    *,
    common_name: str = "Self-signed test server",
    valid_from_days: int = -1,
    valid_days: int = 30,
    label: str = "self-signed",
) -> ServerCertificate:
    """Write a self-signed certificate and key to ``folder`` and return them.

    The validity starts ``valid_from_days`` from now and lasts
    ``valid_days``; negative values put it in the past.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = _now() + datetime.timedelta(days=valid_from_days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=valid_days))
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    cert_path = folder / f"{label}.crt"
    key_path = folder / f"{label}.key"
    cert_path.write_text(cert_pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ServerCertificate(cert_pem=cert_pem, key_path=key_path, cert_path=cert_path)


def ca_signed(
    ca: trustme.CA,
    folder: Path,
    names: tuple[str, ...] = LOCAL_NAMES,
    *,
    expired: bool = False,
    label: str = "ca-signed",
) -> ServerCertificate:
    """Issue a certificate from the test CA and write it to ``folder``."""
    validity = {}
    if expired:
        validity = {
            "not_before": _now() - datetime.timedelta(days=30),
            "not_after": _now() - datetime.timedelta(days=1),
        }
    issued = ca.issue_cert(*names, **validity)
    cert_path = folder / f"{label}.crt"
    key_path = folder / f"{label}.key"
    issued.cert_chain_pems[0].write_to_path(str(cert_path))
    issued.private_key_pem.write_to_path(str(key_path))
    return ServerCertificate(
        cert_pem=issued.cert_chain_pems[0].bytes().decode(),
        key_path=key_path,
        cert_path=cert_path,
    )
