"""Baseline for bench/ingestion.py: the trivial Faust agent, `table[key] += 1` per event.

Run as a process by bench/ingestion.py with the service's environment variables
(KAFKA_BOOTSTRAP_SERVERS, INSIGHTS_BROKER_PROFILE, INSIGHTS_TOPIC_PREFIX, INSIGHTS_APP_ID,
INSIGHTS_DATA_DIR, INSIGHTS_TABLE_STORE). The App gets exactly the service's Faust settings
(`workers.app.faust_settings`: embedded-broker transport, session timeouts, store, datadir),
reads the same transactions topic, and counts records per key in a changelogged table
(`<app id>-counts-changelog`), one table write per event, like the service.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import faust  # noqa: E402

from workers.app import faust_settings  # noqa: E402
from workers.settings import Settings  # noqa: E402

settings = Settings.from_env()
app = faust.App(settings.app_id, **faust_settings(settings))
source = app.topic(settings.topic("insights.transactions.v1"), key_type=bytes, value_type=bytes,
                   key_serializer="raw", value_serializer="raw", partitions=settings.partitions)
counts = app.Table("counts", default=int, partitions=settings.partitions,
                   schema=faust.Schema(key_type=bytes, key_serializer="raw",
                                       value_serializer="json"))


@app.agent(source)
async def count(stream):
    async for key, _value in stream.items():
        counts[key] += 1


if __name__ == "__main__":
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
