"""Every table of the service, declared once. Names are frozen: a new name is a new changelog."""

from __future__ import annotations

import faust

from workers.app import app, settings


def _table(name: str, help: str):
    # No value_type: the orjson codec already yields dicts, and a value_type makes Faust
    # look for a model (`from_data`) when it decodes changelog records during recovery.
    schema = faust.Schema(key_type=str, key_serializer="raw", value_serializer="orjson")
    return app.Table(name, partitions=settings.partitions, schema=schema, help=help)


transactions_table = _table(
    "transactions", "One record per transaction: <consumer>\\x1f<transaction id> -> transaction")
accounts_table = _table(
    "accounts", "One record per account: <consumer>\\x1f<account id> -> AccountEvent")
