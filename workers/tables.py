"""Every table of the service, declared once. Names are frozen: a new name is a new changelog."""

from __future__ import annotations

import faust

from workers.app import app, settings


def _table(name: str, help: str):
    schema = faust.Schema(key_type=str, value_type=dict, key_serializer="raw",
                          value_serializer="orjson")
    return app.Table(name, partitions=settings.partitions, schema=schema, help=help)


transactions_table = _table(
    "transactions", "One record per transaction: <consumer>\\x1f<transaction id> -> transaction")
accounts_table = _table(
    "accounts", "One record per account: <consumer>\\x1f<account id> -> AccountEvent")
