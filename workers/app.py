"""The Faust application, configured from the environment (see workers/settings.py)."""

from __future__ import annotations

import logging
from typing import Any

import faust

from workers import codecs  # noqa: F401  (registers the orjson codec used by tables)
from workers.settings import Settings
from workers.transport import EMBEDDED_SCHEME, KAFKA_SCHEME

settings = Settings.from_env()


def faust_settings(settings: Settings) -> dict[str, Any]:
    """Faust App keyword arguments for these settings, with the broker profile applied."""
    bootstrap = settings.bootstrap_servers or "localhost:9092"
    # Faust creates only the last level of its data directory.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    scheme = EMBEDDED_SCHEME if settings.broker_profile == "embedded" else KAFKA_SCHEME
    options: dict[str, Any] = {
        "broker": ";".join(f"{scheme}://{server.strip()}" for server in bootstrap.split(",")),
        "store": settings.table_store,
        # One directory per app id: two service instances (or test runs) sharing
        # INSIGHTS_DATA_DIR must never open each other's table files.
        "datadir": str(settings.data_dir / settings.app_id),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        "topic_allow_declare": True,
        "topic_disable_leader": True,
        "table_cleanup_interval": 30.0,
        "web_enabled": settings.web_port is not None,
        "web_port": settings.web_port or 6066,
        "web_bind": "127.0.0.1",
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "producer_max_request_size": 8 * 1024 * 1024,
        "consumer_max_fetch_size": 8 * 1024 * 1024,
        "stream_wait_empty": False,
        "logging_config": None,
        "loghandlers": [],
    }
    context = settings.security.ssl_context()
    if settings.security.sasl_mechanism:
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.security.sasl_username,
            password=settings.security.sasl_password,
            mechanism=settings.security.sasl_mechanism,
            ssl_context=context,
        )
    elif context is not None:
        options["broker_credentials"] = faust.SSLCredentials(context)
    if settings.broker_profile == "embedded":
        # See docs/architecture.md, "The embedded broker". The broker holds each group join
        # for half the session timeout, so a short one keeps start and failover at seconds.
        # Its wrong end offsets are corrected in the transport (workers/transport.py), which
        # lets producers batch normally.
        options.update(
            broker_session_timeout=4.0,
            broker_heartbeat_interval=1.0,
            broker_rebalance_timeout=10.0,
        )
    return options


def output_settings(settings: Settings) -> dict[str, Any]:
    """Faust App keyword arguments for what the service writes through Faust's producer:
    record batches compressed with INSIGHTS_COMPRESSION (replies, dead letters, re-keyed
    records; table changelogs go uncompressed, see workers/transport.py). JSON compresses about
    five to one with snappy: a 2,000-transaction reply of 1.2 MB took ~13 ms from producer to
    consumer on the embedded broker, ~8 ms compressed (bench/README.md)."""
    return {"producer_compression_type": settings.compression_type}


app = faust.App(settings.app_id, **faust_settings(settings), **output_settings(settings))
logging.getLogger("faust").setLevel(settings.log_level)
