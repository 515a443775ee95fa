"""Every table of the service, declared once. Names are frozen: a new name is a new changelog."""

from __future__ import annotations

import faust

from workers.app import app, settings


class RecordTable(faust.Table):
    """A table of JSON records under plain UTF-8 keys ("<consumer>\\x1f<id>").

    Faust derives a table's serializers from its key and value types, falling back to its json
    codec, and ignores a schema's serializers. Records here are plain dicts, encoded with the
    orjson codec (workers/codecs.py); keys stay readable in the changelog.
    """

    def _serializer_from_type(self, typ):  # type: ignore[override]
        return "raw" if typ is str else "orjson"


def _table(name: str, help: str) -> RecordTable:
    return app.tables.add(RecordTable(app, name=name, key_type=str, partitions=settings.partitions,
                                      beacon=app.tables.beacon, help=help))


transactions_table = _table(
    "transactions", "One record per transaction: <consumer>\\x1f<transaction id> -> transaction")
accounts_table = _table(
    "accounts", "One record per account: <consumer>\\x1f<account id> -> AccountEvent")
report_configs_table = _table(
    "report-configs", "One record per merchant account: aid -> its report configurations")
report_config_replies_table = _table(
    "report-config-replies", "Replies of executed configuration commands: "
    "<aid>\\x1f<correlation id> -> reply, and <aid> -> their order")
recurring_table = _table(
    "recurring", "One record per recurring bucket: <consumer>\\x1f<bucket key> -> bucket state")
corrections_table = _table(
    "category-corrections", "One record per corrected transaction: "
    "<consumer>\\x1f<transaction id> -> correction rule")
