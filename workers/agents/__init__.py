"""Faust agents; importing this package registers all of them with the app."""

from workers.agents import ingestion, report_configs, report_requests  # noqa: F401
