"""One console process of the expired-token case.

Run as ``python -m bench.refresh_worker ENDPOINT_ID THREADS``. Each thread
loads the endpoint, whose token has expired; the process prints ``ready``,
waits for a line on standard input, sends one request per thread at once
and prints the count of each status (or error class) as JSON.
"""

import json
import sys
import threading
from collections import Counter

# Seconds a thread waits at the barrier or for its request.
THREAD_TIMEOUT = 60


def main() -> int:
    import django

    django.setup()

    from django.db import connections

    from endpoints.models import Endpoint
    from endpoints.runtime import EndpointError, send_through

    endpoint_id, thread_count = int(sys.argv[1]), int(sys.argv[2])
    loaded = [
        Endpoint.objects.select_related("auth", "workflow").get(pk=endpoint_id)
        for _ in range(thread_count)
    ]
    connections.close_all()
    barrier = threading.Barrier(thread_count)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(endpoint):
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            response = send_through(endpoint, "GET", "/me", timeout=THREAD_TIMEOUT)
            outcome = str(response.status_code)
        except EndpointError as error:
            outcome = type(error).__name__
        finally:
            # Each thread has its own database connection.
            connections.close_all()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(e,)) for e in loaded]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT * 2)
    sys.stdout.write(json.dumps(dict(outcomes)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
