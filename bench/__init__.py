"""The benchmark of Endpoint Console: ``make bench`` or ``python -m bench``.

It seeds a throwaway SQLite database, serves it with gunicorn on 127.0.0.1,
and measures each case against a floor taken in the same run on the same
machine (see docs/benchmarks.md). It is no part of the test suite: tests
assert query counts, never times.
"""
