"""The page cases: the workflow page, its search, the admin and memory."""

import statistics
import time

import httpx2
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .results import Result, milliseconds, paired_ratio
from .seed import SEARCH_TERM, Seeded
from .server import Gunicorn

WARMUP_REQUESTS = 3


def session_cookie(user) -> dict[str, str]:
    """Return the session cookie of a new session signed in as ``user``."""
    client = Client()
    client.force_login(user)
    return {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
    }


def page_urls(large: Seeded) -> dict[str, str]:
    page = large.workflow.get_absolute_url()
    admin = reverse("admin:endpoints_endpoint_changelist")
    return {
        "page": page,
        "search": f"{page}?q={SEARCH_TERM}",
        "admin": f"{admin}?workflow__id__exact={large.workflow.pk}",
        "fixed": "/bench/fixed/",
    }


def _get(client: httpx2.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} returned {response.status_code}.")
    return elapsed


def run_page_cases(server: Gunicorn, manager, admin, large: Seeded, rounds: int):
    """Time the pages through gunicorn, interleaved round by round."""
    urls = page_urls(large)
    manager_client = httpx2.Client(
        base_url=server.url,
        cookies=session_cookie(manager),
        trust_env=False,
        timeout=60,
    )
    admin_client = httpx2.Client(
        base_url=server.url, cookies=session_cookie(admin), trust_env=False, timeout=60
    )
    clients = {
        "page": manager_client,
        "search": manager_client,
        "admin": admin_client,
        "fixed": manager_client,
    }
    try:
        _get(manager_client, urls["page"])
        rss_one_request = server.worker_rss_kib()
        for name, url in urls.items():
            for _ in range(WARMUP_REQUESTS):
                _get(clients[name], url)
        samples: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                samples[name].append(_get(clients[name], url))
        rss_after = server.worker_rss_kib()
    finally:
        manager_client.close()
        admin_client.close()

    median = {name: statistics.median(values) for name, values in samples.items()}
    rows = f"{large.endpoint_count:,} endpoints, {large.usage_count:,} usages"
    speedup = paired_ratio(samples["admin"], samples["page"])
    over_fixed = paired_ratio(samples["page"], samples["fixed"])
    search_ratio = paired_ratio(samples["search"], samples["page"])
    memory_ratio = rss_after / rss_one_request
    return [
        Result(
            f"workflow page ({rows}, 100 rows) vs admin changelist",
            milliseconds(median["page"]),
            milliseconds(median["admin"]),
            f"{speedup:.1f}x faster",
            ">= 4x faster",
            speedup >= 4,
        ),
        Result(
            "workflow page vs fixed page, same stack",
            milliseconds(median["page"]),
            milliseconds(median["fixed"]),
            f"{over_fixed:.1f}x",
            "<= 10x",
            over_fixed <= 10,
        ),
        Result(
            f"workflow page, search matching {large.endpoint_count // 20} endpoints "
            "vs unfiltered",
            milliseconds(median["search"]),
            milliseconds(median["page"]),
            f"{search_ratio:.2f}x",
            "<= 1.00x",
            search_ratio <= 1,
        ),
        Result(
            f"gunicorn worker RSS after {rounds * len(urls) + 13} page requests "
            "vs after one",
            f"{rss_after / 1024:.1f} MiB",
            f"{rss_one_request / 1024:.1f} MiB",
            f"{memory_ratio:.2f}x",
            "< 1.5x",
            memory_ratio < 1.5,
        ),
    ]


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} returned {response.status_code}.")
    return len(queries)


def run_query_counts(manager, small: Seeded, large: Seeded) -> list[Result]:
    """Count the SQL queries of the page and its search at both sizes."""
    client = Client()
    client.force_login(manager)
    results = []
    for label, suffix in (("workflow page", ""), ("search", f"?q={SEARCH_TERM}")):
        client.get(small.workflow.get_absolute_url() + suffix)
        few = count_queries(client, small.workflow.get_absolute_url() + suffix)
        many = count_queries(client, large.workflow.get_absolute_url() + suffix)
        results.append(
            Result(
                f"{label}: SQL queries at {large.endpoint_count:,} vs "
                f"{small.endpoint_count} endpoints",
                str(many),
                str(few),
                "-",
                "equal",
                many == few,
            )
        )
    return results
