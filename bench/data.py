"""The export and import cases, run in the benchmark's own process."""

import json
import statistics

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from endpoints.export import build_export, export_data
from endpoints.importer import import_workflow

from .results import Result, elapsed, milliseconds, paired_ratio
from .seed import Seeded


def _import_rolled_back(content: bytes) -> None:
    with transaction.atomic():
        import_workflow(content, name="Benchmark import")
        transaction.set_rollback(True)


def run_data_cases(small: Seeded, large: Seeded, repeats: int) -> list[Result]:
    data = export_data(large.workflow)
    content = build_export(large.workflow).content

    # The three are timed in turn, run after run, so that a change in the
    # machine's load affects each alike.
    samples: dict[str, list[float]] = {"dumps": [], "export": [], "import": []}
    for _ in range(repeats):
        samples["dumps"].append(
            elapsed(lambda: json.dumps(data, indent=2, ensure_ascii=False).encode())
        )
        samples["export"].append(elapsed(lambda: build_export(large.workflow)))
        samples["import"].append(elapsed(lambda: _import_rolled_back(content)))
    dumps, export, imported = (
        statistics.median(samples[name]) for name in ("dumps", "export", "import")
    )

    query_counts = []
    for seeded in (small, large):
        with CaptureQueriesContext(connection) as queries:
            build_export(seeded.workflow)
        query_counts.append(len(queries))

    export_ratio = paired_ratio(samples["export"], samples["dumps"])
    import_ratio = paired_ratio(samples["import"], samples["export"])
    return [
        Result(
            f"export ({large.endpoint_count:,} endpoints) vs json.dumps of its data",
            milliseconds(export),
            milliseconds(dumps),
            f"{export_ratio:.2f}x",
            "<= 5x",
            export_ratio <= 5,
        ),
        Result(
            f"export: SQL queries at {large.endpoint_count:,} vs "
            f"{small.endpoint_count} endpoints",
            str(query_counts[1]),
            str(query_counts[0]),
            "-",
            "equal",
            query_counts[0] == query_counts[1],
        ),
        Result(
            f"import of that export ({len(content) // 1024:,} KiB) vs the export",
            milliseconds(imported),
            milliseconds(export),
            f"{import_ratio:.2f}x",
            "<= 3x",
            import_ratio <= 3,
        ),
    ]
