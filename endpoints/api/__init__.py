"""The console's read-only JSON API, under ``/api/``."""
