"""One console process for the cross-process refresh test.

Run as ``python -m tests.support.refresh_worker ENDPOINT_ID`` with
DATABASE_URL naming the test database. It loads the endpoint (whose token
has expired), prints ``ready``, waits for a line on standard input, then
sends one request through the endpoint and prints the status.
"""

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()

    from endpoints.models import Endpoint
    from endpoints.runtime import send

    endpoint = Endpoint.objects.select_related("auth", "workflow").get(
        pk=int(sys.argv[1])
    )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    response = send(endpoint.workflow, endpoint, "GET", "/me", timeout=10)
    sys.stdout.write(f"status {response.status_code}\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
