"""Every topic the service reads or writes, declared once. Names come from settings (prefix)."""

from __future__ import annotations

from workers.app import app, settings

# Contract topics (CONTRACT.md). Names are frozen: renaming one breaks every client.
TRANSACTIONS = settings.topic("insights.transactions.v1")
ACCOUNTS = settings.topic("insights.accounts.v1")
REPORT_REQUESTS = settings.topic("insights.report-requests.v1")
REPORT_REPLIES = settings.topic("insights.report-replies.v1")
DEAD_LETTER = settings.topic("insights.dead-letter.v1")

# Internal re-key topics: records that arrived on a partition other than the one owning their
# consumer are forwarded here, keyed by consumer id, so they reach the owner of its state.
TRANSACTIONS_REKEYED = settings.topic("insights.internal.transactions-rekeyed.v1")
ACCOUNTS_REKEYED = settings.topic("insights.internal.accounts-rekeyed.v1")
REPORT_REQUESTS_REKEYED = settings.topic("insights.internal.report-requests-rekeyed.v1")

#: Topics whose partitioning must match the state tables (co-partitioned by consumer id).
COPARTITIONED = (TRANSACTIONS, ACCOUNTS, REPORT_REQUESTS, TRANSACTIONS_REKEYED,
                 ACCOUNTS_REKEYED, REPORT_REQUESTS_REKEYED)
#: Topics the service writes to but does not partition by consumer.
OUTPUT = (REPORT_REPLIES, DEAD_LETTER)


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
