"""The network guard: name resolution and blocked networks at connect time.

Every connection that the runtime opens goes through `GuardedBackend`. It
resolves the host name once, rejects the connection when any resolved
address is in a blocked network (ENDPOINT_BLOCKED_NETWORKS), and connects to
the checked address itself. Because the address that was checked is the
address that is connected to, a DNS answer that changes between a check and
the connection (DNS rebinding) cannot slip past the guard.

Name resolution goes through a resolver function named by the
ENDPOINT_RESOLVER setting, so that tests can map test-only host names to
127.0.0.1 without asking a DNS server.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import httpcore2
from django.conf import settings
from django.utils.module_loading import import_string

from .deadline import DeadlineStream, bounded_timeout, deadline_error
from .errors import BlockedAddressError, DNSError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

DEFAULT_BLOCKED_NETWORKS = ("169.254.169.254/32", "169.254.0.0/16", "fe80::/10")


def resolve_with_system(host: str, port: int) -> list[str]:
    """Return the addresses of ``host`` from the operating system's resolver.

    Names under ``.invalid`` fail at once without a query, as RFC 6761
    (section 6.4) requires of resolvers.
    """
    if _is_invalid_name(host):
        raise DNSError(f"The host name {host} does not exist (.invalid).")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise DNSError(
            f"The host name {host} could not be resolved ({error})."
        ) from error
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    return addresses


def _is_invalid_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "invalid" or name.endswith(".invalid")


@cache
def _load_resolver(path: str) -> Resolver:
    return import_string(path)


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Return the networks of CIDR strings; raise ValueError on a bad one."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


# Blocked whatever ENDPOINT_BLOCKED_NETWORKS contains. 0.0.0.0/8 means "this
# network" and may only be a source address (RFC 1122, section 3.2.1.3),
# and :: is the IPv6 unspecified address (RFC 4291, section 2.5.2). Linux
# connects a socket aimed at 0.0.0.0 or :: to the machine itself, so they
# would reach loopback services even while 127.0.0.0/8 and ::1 are blocked.
UNSPECIFIED_NETWORKS = parse_networks(("0.0.0.0/8", "::/128"))


def blocked_networks_setting() -> tuple[IPNetwork, ...]:
    return parse_networks(settings.ENDPOINT_BLOCKED_NETWORKS)


@dataclass(frozen=True)
class NetworkGuard:
    """Resolves host names and rejects addresses in blocked networks."""

    blocked: tuple[IPNetwork, ...]
    resolver: Resolver

    @classmethod
    def from_settings(cls) -> NetworkGuard:
        return cls(
            blocked=blocked_networks_setting(),
            resolver=_load_resolver(settings.ENDPOINT_RESOLVER),
        )

    def blocked_network(self, address: IPAddress) -> IPNetwork | None:
        """Return the blocked network that contains ``address``, if any.

        The networks of UNSPECIFIED_NETWORKS are blocked in addition to
        ``blocked``.

        An IPv4-mapped IPv6 address (``::ffff:169.254.169.254``) reaches the
        IPv4 host, so it is checked as that IPv4 address too.

        NOTE: other IPv6 forms that embed an IPv4 address (NAT64's
        64:ff9b::/96, 6to4's 2002::/16) are not decoded. Add those ranges to
        ENDPOINT_BLOCKED_NETWORKS where the network routes them.
        """
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            candidates.append(address.ipv4_mapped)
        for candidate in candidates:
            for network in (*UNSPECIFIED_NETWORKS, *self.blocked):
                if candidate.version == network.version and candidate in network:
                    return network
        return None

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Return the addresses to connect to for ``host``, all allowed.

        Raises `DNSError` when the name does not resolve and
        `BlockedAddressError` when any of its addresses is blocked: a name
        that resolves to a blocked address among others is suspect as a
        whole.
        """
        literal = _literal_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            answers = self.resolver(host, port)
            if not answers:
                raise DNSError(f"The host name {host} resolved to no address.")
            addresses = [
                ipaddress.ip_address(answer.split("%")[0]) for answer in answers
            ]
        for address in addresses:
            network = self.blocked_network(address)
            if network is None:
                continue
            where = (
                f"The address {host}"
                if literal
                else f"The host {host} resolves to {address}, which"
            )
            raise BlockedAddressError(
                f"{where} {describe_blocked_network(network)}. The console "
                "opened no connection."
            )
        return addresses


def describe_blocked_network(network: IPNetwork) -> str:
    """Return why addresses of a blocked network are rejected, as "is ..."."""
    if network in UNSPECIFIED_NETWORKS:
        return (
            f"is in {network}, the unspecified addresses, which connect to this "
            "machine itself and are always blocked"
        )
    return f"is in the blocked network {network} (ENDPOINT_BLOCKED_NETWORKS)"


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def open_guarded_socket(
    guard: NetworkGuard, host: str, port: int, timeout: float | None
) -> socket.socket:
    """Return a TCP socket connected to an allowed address of ``host``.

    Raises `DNSError`, `BlockedAddressError`, `DeadlineExceededError`, or
    the last OSError.
    """
    last_error: OSError | None = None
    where = f"{host}:{port}"
    for address in guard.resolve(host, port):
        bounded, cut = bounded_timeout(timeout, where)
        try:
            return socket.create_connection((str(address), port), bounded)
        except TimeoutError as error:
            if cut:
                raise deadline_error(where) from None
            last_error = error
        except OSError as error:
            last_error = error
    assert last_error is not None
    raise last_error


class GuardedBackend(httpcore2.SyncBackend):
    """httpcore2's socket backend, connecting only to allowed addresses.

    Its streams end every operation by the current deadline (see
    `endpoints.runtime.deadline`).
    """

    def __init__(self, guard: NetworkGuard):
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore2.NetworkStream:
        last_error: Exception | None = None
        where = f"{host}:{port}"
        for address in self.guard.resolve(host, port):
            bounded, cut = bounded_timeout(timeout, where)
            try:
                stream = super().connect_tcp(
                    str(address), port, bounded, local_address, socket_options
                )
            except httpcore2.ConnectTimeout:
                if cut:
                    raise deadline_error(where) from None
                raise
            except httpcore2.ConnectError as error:
                last_error = error
                continue
            return DeadlineStream(stream, where)
        assert last_error is not None
        raise last_error
