"""Creating the service's topics at start-up with the configured partition count."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from workers.settings import Settings
from workers.topic_names import (
    CONTRACT_TOPICS,
    INTERNAL_PREFIX,
    INTERNAL_TOPICS,
    OUTPUT_TOPICS,
    REPORT_REPLIES,
    TABLES,
)

log = logging.getLogger(__name__)

class TopicLayoutError(RuntimeError):
    """A topic exists with a partition count that breaks co-partitioning."""


def copartitioned_topics(settings: Settings) -> list[str]:
    names = [settings.topic(n) for n in CONTRACT_TOPICS + INTERNAL_TOPICS]
    return names + [f"{settings.app_id}-{table}-changelog" for table in TABLES]


def all_topics(settings: Settings) -> list[str]:
    return copartitioned_topics(settings) + [settings.topic(n) for n in OUTPUT_TOPICS]


def is_reserved_topic(settings: Settings, name: str) -> bool:
    """True for topics a client may not name as `reply_to`: the service's inputs, internal
    re-key topics, the dead-letter topic, and Faust's own topics (changelogs, assignor)."""
    if name == settings.topic(REPORT_REPLIES):
        return False
    return (name in all_topics(settings) or name.startswith(f"{settings.app_id}-")
            or name.startswith(settings.topic(INTERNAL_PREFIX)))


async def ensure_topics(settings: Settings, timeout: float = 30.0) -> None:
    """Create missing topics; fail loudly when a co-partitioned one has the wrong count."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers,
                                request_timeout_ms=int(timeout * 1000),
                                **settings.security.aiokafka_kwargs())
    await asyncio.wait_for(admin.start(), timeout)
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in all_topics(settings) if name not in existing]
        if missing:
            # Another worker may create them at the same moment.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(name, settings.partitions, settings.replication_factor)
                     for name in missing])
            log.info("created topics %s", missing)
        described = await admin.describe_topics(copartitioned_topics(settings))
        wrong = {d["topic"]: len(d["partitions"]) for d in described
                 if len(d["partitions"]) != settings.partitions}
        if wrong:
            raise TopicLayoutError(
                f"topics {wrong} do not have INSIGHTS_PARTITIONS={settings.partitions} "
                "partitions; state and requests would not be co-partitioned")
    finally:
        await admin.close()
