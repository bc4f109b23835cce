"""A resolver for the test suite that never queries a DNS server.

The suite's settings point ENDPOINT_RESOLVER here. Names in ``HOSTS``
resolve to their addresses and every other name fails as unknown, so no
test sends a DNS query off the machine, not even for names under
``.invalid``.
"""

from endpoints.runtime.errors import DNSError

DEFAULT_HOSTS = {"localhost": ["127.0.0.1"]}
HOSTS: dict[str, list[str]] = dict(DEFAULT_HOSTS)
# Every name that the resolver looked up, in order.
QUERIES: list[str] = []


def resolve(host: str, port: int) -> list[str]:
    QUERIES.append(host)
    addresses = HOSTS.get(host.rstrip(".").lower())
    if addresses is None:
        raise DNSError(f"The host name {host} could not be resolved (unknown name).")
    return list(addresses)


def reset() -> None:
    HOSTS.clear()
    HOSTS.update(DEFAULT_HOSTS)
    QUERIES.clear()
