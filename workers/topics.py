"""The Faust topic objects of every topic the service reads or writes (names: topic_names.py)."""

from __future__ import annotations

from workers import topic_names as names
from workers.app import app, settings

TRANSACTIONS = settings.topic(names.TRANSACTIONS)
ACCOUNTS = settings.topic(names.ACCOUNTS)
REPORT_REQUESTS = settings.topic(names.REPORT_REQUESTS)
REPORT_REPLIES = settings.topic(names.REPORT_REPLIES)
DEAD_LETTER = settings.topic(names.DEAD_LETTER)
TRANSACTIONS_REKEYED = settings.topic(names.TRANSACTIONS_REKEYED)
ACCOUNTS_REKEYED = settings.topic(names.ACCOUNTS_REKEYED)
REPORT_REQUESTS_REKEYED = settings.topic(names.REPORT_REQUESTS_REKEYED)


def _raw_topic(name: str):
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw", partitions=settings.partitions)


transactions_topic = _raw_topic(TRANSACTIONS)
accounts_topic = _raw_topic(ACCOUNTS)
report_requests_topic = _raw_topic(REPORT_REQUESTS)
transactions_rekeyed_topic = _raw_topic(TRANSACTIONS_REKEYED)
accounts_rekeyed_topic = _raw_topic(ACCOUNTS_REKEYED)
report_requests_rekeyed_topic = _raw_topic(REPORT_REQUESTS_REKEYED)
dead_letter_topic = _raw_topic(DEAD_LETTER)

_output_topics = {DEAD_LETTER: dead_letter_topic}


def output_topic(name: str):
    """The Faust topic object for a reply topic named by a client (cached)."""
    topic = _output_topics.get(name)
    if topic is None:
        topic = _output_topics[name] = _raw_topic(name)
    return topic

REPORT_CONFIGS = settings.topic(names.REPORT_CONFIGS)
REPORT_CONFIG_REPLIES = settings.topic(names.REPORT_CONFIG_REPLIES)
REPORT_JOBS = settings.topic(names.REPORT_JOBS)
REPORT_CONFIGS_REKEYED = settings.topic(names.REPORT_CONFIGS_REKEYED)
REPORT_SCHEDULE_TICKS = settings.topic(names.REPORT_SCHEDULE_TICKS)
report_configs_topic = _raw_topic(REPORT_CONFIGS)
report_configs_rekeyed_topic = _raw_topic(REPORT_CONFIGS_REKEYED)
report_schedule_ticks_topic = _raw_topic(REPORT_SCHEDULE_TICKS)
report_jobs_topic = _raw_topic(REPORT_JOBS)

CATEGORIZATION_FEEDBACK = settings.topic(names.CATEGORIZATION_FEEDBACK)
CATEGORIZATION_FEEDBACK_REKEYED = settings.topic(names.CATEGORIZATION_FEEDBACK_REKEYED)
ENRICHMENT_REFRESH_TICKS = settings.topic(names.ENRICHMENT_REFRESH_TICKS)
categorization_feedback_topic = _raw_topic(CATEGORIZATION_FEEDBACK)
categorization_feedback_rekeyed_topic = _raw_topic(CATEGORIZATION_FEEDBACK_REKEYED)
enrichment_refresh_ticks_topic = _raw_topic(ENRICHMENT_REFRESH_TICKS)
