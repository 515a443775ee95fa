"""Export the message contract as JSON Schema files and an AsyncAPI 2.6.0 document.

Run ``python -m schemas.export`` (or ``make schemas``) after changing a model in
`schemas/contract.py`, `schemas/categorized.py` or `schemas/recurring.py`; it rewrites

- ``schemas/json/<Name>.json``: one JSON Schema (draft 2020-12, pydantic's
  ``model_json_schema()``) per contract model, plus ``CategorizedReportRequest.json`` (the
  `request` of a `categorization` ReportRequest), ``CategorizedReportResponse.json`` (the
  `data` of its successful ReportReply) and the same pair for `recurring-transactions`
  (``RecurringReportRequest.json``, ``RecurringReportResponse.json``);
- ``schemas/asyncapi.json``: the topics of CONTRACT.md with their messages; every schema the
  document needs lives in ``components.schemas``, so every ``$ref`` resolves inside it;
- ``schemas/categories.json``: the Category List (`workers.domain.enrichment.taxonomy`).

The output is deterministic (sorted keys, 2-space indent, trailing newline): the same models
always give byte-identical files, and ``tests/unit/test_schema_exports.py`` fails when the
checked-in files differ from freshly generated ones.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas import contract
from schemas.categorized import CategorizedReportRequest, CategorizedReportResponse
from schemas.configs import CONFIG_MODELS
from schemas.feedback import CategorizationFeedback
from schemas.recurring import RecurringReportRequest, RecurringReportResponse
from workers.domain.enrichment.taxonomy import category_list_document

__all__ = [
    "ASYNCAPI_FILE",
    "CATEGORIES_FILE",
    "JSON_DIR",
    "TOPICS",
    "asyncapi_document",
    "json_schemas",
    "main",
    "render",
    "render_all",
    "write_all",
]

#: Where the generated files live: this package's directory.
PACKAGE_DIR = Path(__file__).resolve().parent
#: Sub-directory of the JSON Schema files, relative to the output directory.
JSON_DIR = "json"
#: File name of the AsyncAPI document, relative to the output directory.
ASYNCAPI_FILE = "asyncapi.json"
#: File name of the Category List, relative to the output directory.
CATEGORIES_FILE = "categories.json"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_VERSION = "2.6.0"
KAFKA_BINDING_VERSION = "0.4.0"
COMPONENTS_PREFIX = "#/components/schemas/"

#: Contract topics (CONTRACT.md, default names; workers.topic_names CONTRACT_TOPICS + OUTPUT_TOPICS):
#: topic -> (model name, direction for the service, key description, channel description).
#: AsyncAPI 2.x describes the application itself: `publish` = the service receives what
#: others publish to the channel, `subscribe` = the service sends and others subscribe.
TOPICS: dict[str, tuple[str, str, str, str]] = {
    "insights.transactions.v1": (
        "TransactionEvent",
        "publish",
        "insights_consumer_id of the transaction's consumer.",
        "Bank transactions from bank-data producers. A later event with the same"
        " insights_transaction_id replaces the earlier one; `deleted: true` removes it.",
    ),
    "insights.accounts.v1": (
        "AccountEvent",
        "publish",
        "insights_consumer_id of the account's consumer.",
        "Accounts from bank-data producers: which date range of the account's transactions"
        " the service holds and when it was refreshed.",
    ),
    "insights.report-requests.v1": (
        "ReportRequest",
        "publish",
        "insights_consumer_id of the request body; may be absent (the service re-keys).",
        "Report jobs from report clients. `request` is the body the seed documents for"
        " `report`; for `categorization` it is components.schemas.CategorizedReportRequest,"
        " for `recurring-transactions` components.schemas.RecurringReportRequest."
        " Every request gets exactly one reply on `reply_to` or the default reply topic.",
    ),
    "insights.report-replies.v1": (
        "ReportReply",
        "subscribe",
        "correlation_id of the ReportRequest.",
        "The default reply topic: one reply per ReportRequest (a request may name its own"
        " topic in `reply_to`; the reply there has the same shape). With status 200, `data`"
        " is components.schemas.CategorizedReportResponse for a `categorization` report and"
        " components.schemas.RecurringReportResponse for `recurring-transactions`.",
    ),
    "insights.categorization-feedback.v1": (
        "CategorizationFeedback",
        "publish",
        "insights_consumer_id of the consumer whose transaction is corrected.",
        "Category corrections from clients (optional). The transaction gets category_id;"
        " with scope SIMILAR so do the consumer's later transactions of the same brand, or"
        " without a brand of the same counterparty. category_id is an id of"
        " schemas/categories.json; a redelivered feedback_id changes nothing.",
    ),
    "insights.dead-letter.v1": (
        "DeadLetter",
        "subscribe",
        "The key of the original record.",
        "Records the service could neither apply nor answer, with the reason and the"
        " original bytes.",
    ),
}
TOPICS.update({
    "insights.report-configs.v1": (
        "ConfigCommand",
        "publish",
        "aid, the merchant account id of the command.",
        "Commands on merchants' report configurations (create, update, get, list, delete)"
        " from merchant back-offices, each with a JWT bearer token. `config` is"
        " components.schemas.InsightReportConfig. Every command gets exactly one reply.",
    ),
    "insights.report-config-replies.v1": (
        "ConfigReply",
        "subscribe",
        "correlation_id of the ConfigCommand.",
        "The default reply topic of ConfigCommands (a command may name its own in"
        " `reply_to`). `data` is a components.schemas.PersistedReportConfig or a list of them.",
    ),
    "insights.report-jobs.v1": (
        "ReportJob",
        "subscribe",
        "aid, the merchant account id of the configuration.",
        "One job per configuration and schedule period when the period's run is due."
        " Delivery is at-least-once: a job emitted again after a crash has the same job_id"
        " and attempt > 1.",
    ),
})

_OPERATION_VERB = {"publish": "receive", "subscribe": "send"}

_INFO_DESCRIPTION = (
    "Event-driven service that turns bank transaction streams into insight reports"
    " (message contract v1, CONTRACT.md). All keys and values are UTF-8 JSON; amounts are"
    " integers in the smallest currency unit, dates YYYY-MM-DD, date-times ISO 8601 with"
    " offset. Topic names are the defaults; INSIGHTS_TOPIC_PREFIX prepends a prefix to all"
    " of them. Operations are described from the service's point of view (AsyncAPI 2.x):"
    " `publish` channels are consumed by the service, `subscribe` channels are produced"
    " by it."
)

# Names for colliding $defs of non-contract models (the categorized response has its own
# Amount, BankTransactionCode and CounterParty, looser than the contract's event models).
_COLLISION_PREFIX = {contract.__name__: "", CategorizedReportRequest.__module__: "Categorized",
                     RecurringReportRequest.__module__: "Recurring"}


def _exported_models() -> dict[str, type[BaseModel]]:
    """Name -> model of every exported schema, contract models first."""
    models: dict[str, type[BaseModel]] = dict(contract.CONTRACT_MODELS)
    models["CategorizedReportRequest"] = CategorizedReportRequest
    models["CategorizedReportResponse"] = CategorizedReportResponse
    models.update(CONFIG_MODELS)
    models["CategorizationFeedback"] = CategorizationFeedback
    models["RecurringReportRequest"] = RecurringReportRequest
    models["RecurringReportResponse"] = RecurringReportResponse
    return models


def json_schemas() -> dict[str, dict]:
    """File name (``<Name>.json``) -> JSON Schema of each exported model."""
    schemas: dict[str, dict] = {}
    for name, model in _exported_models().items():
        schema = model.model_json_schema()
        schemas[f"{name}.json"] = {"$schema": JSON_SCHEMA_DIALECT, **schema}
    return schemas


def _rewrite_refs(node: Any, names: dict[str, str]) -> Any:
    """A copy of `node` with each ``#/$defs/X`` ref pointing at components.schemas."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith("#/$defs/"):
                    raise ValueError(f"unexpected $ref {value!r}")
                out[key] = COMPONENTS_PREFIX + names[value.removeprefix("#/$defs/")]
            elif key == "discriminator" and isinstance(value, dict) and "mapping" in value:
                # OpenAPI discriminator mappings are references too.
                out[key] = {**value, "mapping": {
                    tag: _rewrite_refs({"$ref": ref}, names)["$ref"]
                    for tag, ref in value["mapping"].items()}}
            else:
                out[key] = _rewrite_refs(value, names)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, names) for item in node]
    return node


def _component_schemas() -> dict[str, dict]:
    """components.schemas: every exported model and all their $defs, refs rewritten.

    A $def shared by several models (ErrorBody, ...) appears once. A $def whose name is
    taken by a different schema gets its module's prefix (Amount -> CategorizedAmount).
    """
    components: dict[str, dict] = {}
    for name, model in _exported_models().items():
        schema = copy.deepcopy(model.model_json_schema())
        defs: dict[str, dict] = schema.pop("$defs", {})
        prefix = _COLLISION_PREFIX.get(model.__module__, model.__module__.rpartition(".")[2])
        names: dict[str, str] = {}
        for def_name in sorted(defs):
            target = def_name
            if target in components and not _same_def(components[target], defs[def_name], defs):
                target = f"{prefix}{def_name}"
            names[def_name] = target
        for def_name, target in names.items():
            rewritten = _rewrite_refs(defs[def_name], names)
            if target in components and components[target] != rewritten:
                raise ValueError(f"two different schemas are both called {target!r}")
            components[target] = rewritten
        rewritten = _rewrite_refs(schema, names)
        if name in components and components[name] != rewritten:
            raise ValueError(f"model {name!r} collides with a different $def of that name")
        components[name] = rewritten
    return dict(sorted(components.items()))


def _same_def(existing: dict, candidate: dict, defs: dict[str, dict]) -> bool:
    """Whether `candidate` (refs still ``#/$defs/X``) equals the stored `existing` schema."""
    return existing == _rewrite_refs(candidate, {name: name for name in defs})


def asyncapi_document() -> dict:
    """The AsyncAPI 2.6.0 document of the contract topics, as a dict."""
    channels: dict[str, dict] = {}
    for topic, (model_name, direction, key_description, description) in TOPICS.items():
        model = _exported_models()[model_name]
        summary = (model.__doc__ or model_name).strip().splitlines()[0]
        channels[topic] = {
            "description": description,
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
            direction: {
                "operationId": f"{_OPERATION_VERB[direction]}{model_name}",
                "summary": summary,
                "message": {
                    "name": model_name,
                    "title": model_name,
                    "summary": summary,
                    "contentType": "application/json",
                    "payload": {"$ref": COMPONENTS_PREFIX + model_name},
                    "bindings": {
                        "kafka": {
                            "key": {"type": "string", "description": key_description},
                            "bindingVersion": KAFKA_BINDING_VERSION,
                        }
                    },
                },
            },
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:account-insights",
        "info": {
            "title": "Account Insights",
            "version": "1.0.0",
            "description": _INFO_DESCRIPTION,
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"schemas": _component_schemas()},
    }


def render(document: dict) -> str:
    """The canonical text of a generated file: sorted keys, 2-space indent, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    """Relative path (POSIX) -> file text of every generated file."""
    files = {f"{JSON_DIR}/{name}": render(schema) for name, schema in json_schemas().items()}
    files[ASYNCAPI_FILE] = render(asyncapi_document())
    files[CATEGORIES_FILE] = render(category_list_document())
    return dict(sorted(files.items()))


def _stale_json_files(directory: Path, expected: set[str]) -> Iterator[Path]:
    for path in sorted((directory / JSON_DIR).glob("*.json")):
        if f"{JSON_DIR}/{path.name}" not in expected:
            yield path


def write_all(directory: Path | None = None) -> list[Path]:
    """Write every generated file under `directory` (default: the `schemas` package).

    Files whose content is already current are left untouched; JSON Schema files of models
    that are no longer exported are removed. Returns the paths of all generated files.
    """
    root = Path(directory) if directory is not None else PACKAGE_DIR
    files = render_all()
    (root / JSON_DIR).mkdir(parents=True, exist_ok=True)
    for stale in _stale_json_files(root, set(files)):
        stale.unlink()
    written: list[Path] = []
    for relative, text in files.items():
        path = root / relative
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    return written


def main() -> None:
    for path in write_all():
        print(path)


if __name__ == "__main__":
    main()
