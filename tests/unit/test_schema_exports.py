"""Tests of the exported JSON Schema files and the AsyncAPI document (schemas/export.py).

The checked-in files must equal freshly generated ones, the sample events must validate
against the exported schemas, and the AsyncAPI document must cover every contract topic with
only references that resolve inside it.

Validation uses the `jsonschema` library when it is installed; otherwise a small validator
below checks the keywords pydantic emits (required keys first, then types, enums, patterns,
lengths, bounds, dates) and refuses keywords it does not know, so it can never pass silently.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import create_model

from schemas import contract, export
from schemas.configs import CONFIG_MODELS
from workers.sample_data import generate_sample_data
from workers.topic_names import CONTRACT_TOPICS, OUTPUT_TOPICS

STALE = "schemas are stale: run `python -m schemas.export`"
HAS_JSONSCHEMA = importlib.util.find_spec("jsonschema") is not None

EXPECTED_TOPICS = {
    "insights.transactions.v1": ("publish", "TransactionEvent"),
    "insights.accounts.v1": ("publish", "AccountEvent"),
    "insights.report-requests.v1": ("publish", "ReportRequest"),
    "insights.categorization-feedback.v1": ("publish", "CategorizationFeedback"),
    "insights.report-replies.v1": ("subscribe", "ReportReply"),
    "insights.dead-letter.v1": ("subscribe", "DeadLetter"),
    "insights.report-configs.v1": ("publish", "ConfigCommand"),
    "insights.report-config-replies.v1": ("subscribe", "ConfigReply"),
    "insights.report-jobs.v1": ("subscribe", "ReportJob"),
}


# --------------------------------------------------------------------------- helpers


def _stale_files() -> list[str]:
    """Generated files that are missing, different or superfluous on disk."""
    expected = export.render_all()
    stale = []
    for relative, text in expected.items():
        path = export.PACKAGE_DIR / relative
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(relative)
    for path in sorted((export.PACKAGE_DIR / export.JSON_DIR).glob("*.json")):
        if f"{export.JSON_DIR}/{path.name}" not in expected:
            stale.append(f"{export.JSON_DIR}/{path.name} (no longer generated)")
    return stale


def _load(relative: str) -> dict:
    return json.loads((export.PACKAGE_DIR / relative).read_text(encoding="utf-8"))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict, ref: str) -> Any:
    """The target of a local JSON pointer reference (``#/a/b``); KeyError if there is none."""
    if not ref.startswith("#"):
        raise KeyError(f"{ref!r} is not a local reference")
    node: Any = document
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


_ANNOTATIONS = {"$schema", "$defs", "components", "title", "description", "default", "examples"}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _format_ok(fmt: str, value: str) -> bool:
    try:
        if fmt == "date":
            return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(
                date.fromisoformat(value))
        if fmt == "date-time":
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "T" in value.upper() and parsed.tzinfo is not None
    except ValueError:
        return False
    return True  # formats are annotations unless a checker knows them


def _own_errors(schema: dict, value: Any, root: dict, path: str) -> list[str]:
    """Errors of `value` against `schema`: the subset of JSON Schema that pydantic emits."""
    unknown = set(schema) - _ANNOTATIONS - {
        "$ref", "anyOf", "allOf", "oneOf", "enum", "const", "type", "required", "properties",
        "additionalProperties", "propertyNames", "items", "minItems", "maxItems", "pattern",
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "format",
    }
    if unknown:
        return [f"{path}: the fallback validator does not support {sorted(unknown)}"]
    errors: list[str] = []
    if "$ref" in schema:
        errors += _own_errors(_resolve(root, schema["$ref"]), value, root, path)
    for keyword, needed in (("anyOf", 1), ("oneOf", 1)):
        if keyword in schema:
            matches = sum(not _own_errors(s, value, root, path) for s in schema[keyword])
            if matches < needed or (keyword == "oneOf" and matches > 1):
                errors.append(f"{path}: {matches} of the {keyword} alternatives match")
    for sub in schema.get("allOf", ()):
        errors += _own_errors(sub, value, root, path)
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return errors + [f"{path}: {value!r} is not of type {schema['type']}"]
    if isinstance(value, dict):
        errors += [f"{path}: required key {key!r} is missing"
                   for key in schema.get("required", ()) if key not in value]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if "propertyNames" in schema:
                errors += _own_errors(schema["propertyNames"], key, root, f"{path}/{key}(name)")
            if key in properties:
                errors += _own_errors(properties[key], item, root, f"{path}/{key}")
            elif extra is False:
                errors.append(f"{path}: additional key {key!r} is not allowed")
            elif isinstance(extra, dict):
                errors += _own_errors(extra, item, root, f"{path}/{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 1e30):
            errors.append(f"{path}: {len(value)} items is out of bounds")
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                errors += _own_errors(schema["items"], item, root, f"{path}/{index}")
    if isinstance(value, str):
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 1e30):
            errors.append(f"{path}: length {len(value)} is out of bounds")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
        if "format" in schema and not _format_ok(schema["format"], value):
            errors.append(f"{path}: {value!r} is not a valid {schema['format']}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} is below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} is above {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{path}: {value} is not above {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append(f"{path}: {value} is not below {schema['exclusiveMaximum']}")
    return errors


def _validation_errors(schema: dict, value: Any) -> list[str]:
    """Errors of `value` against `schema`: `jsonschema` if installed, else the fallback."""
    if HAS_JSONSCHEMA:
        jsonschema = importlib.import_module("jsonschema")
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(value)]
    # The contract's own minimum: every key the schema requires is there.
    missing = [key for key in schema.get("required", ()) if key not in value]
    if missing:
        return [f"required keys {missing} are missing"]
    return _own_errors(schema, value, schema, "")


@pytest.fixture(scope="module")
def sample_data():
    return generate_sample_data(consumers=2, months=2)


# --------------------------------------------------------------------------- staleness


def test_checked_in_files_equal_freshly_generated_ones():
    stale = _stale_files()
    assert not stale, f"{STALE} ({', '.join(stale)})"


def test_a_model_change_makes_the_checked_in_files_stale(monkeypatch):
    changed = create_model(
        "TransactionEvent", __base__=contract.TransactionEvent,
        loyalty_points=(int | None, None),
    )
    monkeypatch.setitem(contract.CONTRACT_MODELS, "TransactionEvent", changed)
    stale = _stale_files()
    assert f"{export.JSON_DIR}/TransactionEvent.json" in stale
    assert export.ASYNCAPI_FILE in stale


def test_a_category_list_change_makes_categories_json_stale(monkeypatch):
    document = export.category_list_document()
    document["categories"][0]["name"] = "Earnings"
    monkeypatch.setattr(export, "category_list_document", lambda: document)
    assert _stale_files() == [export.CATEGORIES_FILE]


def test_categories_json_is_the_category_list():
    from workers.domain.enrichment import taxonomy

    document = _load(export.CATEGORIES_FILE)
    flat = [(c["id"], c["key"], c["name"], c["names"]["no"]) for main in document["categories"]
            for c in [main, *main["subcategories"]]]
    assert flat == [(c.id, c.key, c.name, c.name_no) for c in taxonomy.CATEGORIES]
    assert document["namespace"] == str(taxonomy.CATEGORY_NAMESPACE)


def test_the_export_is_deterministic(tmp_path):
    first = export.write_all(tmp_path / "a")
    second = export.write_all(tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [
        p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes().endswith(b"}\n")
    assert export.render_all() == export.render_all()


def test_exported_files_cover_the_contract_and_both_reports():
    names = set(export.json_schemas())
    assert names == {f"{name}.json" for name in contract.CONTRACT_MODELS} | {
        "CategorizedReportRequest.json", "CategorizedReportResponse.json",
        "CategorizationFeedback.json", "RecurringReportRequest.json",
        "RecurringReportResponse.json"} | {
        f"{name}.json" for name in CONFIG_MODELS}
    for name in names:
        schema = _load(f"{export.JSON_DIR}/{name}")
        assert schema["title"] == name.removesuffix(".json")
        for ref in _refs(schema):
            _resolve(schema, ref)  # every $ref of a JSON Schema file resolves in that file


# --------------------------------------------------------------------------- sample events


@pytest.mark.parametrize(("kind", "schema_name"), [
    ("transactions", "TransactionEvent"), ("accounts", "AccountEvent")])
def test_sample_events_validate_against_the_exported_schema(sample_data, kind, schema_name):
    schema = _load(f"{export.JSON_DIR}/{schema_name}.json")
    events = getattr(sample_data, kind)
    assert events
    for event in events:
        errors = _validation_errors(schema, event)
        assert not errors, f"{schema_name} {event!r}: {errors}"


def test_invalid_events_are_rejected(sample_data):
    schema = _load(f"{export.JSON_DIR}/TransactionEvent.json")
    event = sample_data.transactions[0]
    without_id = {k: v for k, v in event.items() if k != "insights_transaction_id"}
    assert _validation_errors(schema, without_id)
    assert _validation_errors(schema, {**event, "type": "SIDEWAYS"})
    assert _validation_errors(schema, {**event, "amount": {"amount": -1, "currency": "EUR"}})
    assert _validation_errors(schema, {**event, "amount": {"amount": "12", "currency": "EUR"}})
    assert _validation_errors(schema, {**event, "booking_date": 20240101})


def test_categorization_feedback_validates_against_its_exported_schema():
    from workers.domain.enrichment.taxonomy import by_key

    schema = _load(f"{export.JSON_DIR}/CategorizationFeedback.json")
    feedback = {"feedback_id": "fb-1", "insights_consumer_id": "c-1",
                "insights_transaction_id": "t-1", "category_id": by_key("food/groceries").id,
                "scope": "SIMILAR", "created_at": "2025-03-01T10:00:00+01:00"}
    assert not _validation_errors(schema, feedback)
    assert _validation_errors(schema, {k: v for k, v in feedback.items() if k != "category_id"})
    assert _validation_errors(schema, {**feedback, "scope": "EVERYTHING"})


# --------------------------------------------------------------------------- AsyncAPI


def test_asyncapi_has_a_channel_for_each_contract_topic():
    document = _load(export.ASYNCAPI_FILE)
    assert document["asyncapi"] == "2.6.0"
    assert document["info"]["title"] == "Account Insights"
    assert document["info"]["version"] == "1.0.0"
    assert document["info"]["description"]
    assert set(document["channels"]) == set(EXPECTED_TOPICS)
    assert set(EXPECTED_TOPICS) == set(CONTRACT_TOPICS) | set(OUTPUT_TOPICS)
    for topic, (direction, model_name) in EXPECTED_TOPICS.items():
        channel = document["channels"][topic]
        assert {"publish", "subscribe"} & set(channel) == {direction}, topic
        message = channel[direction]["message"]
        assert message["name"] == model_name
        assert message["bindings"]["kafka"]["key"]["description"]
        payload = _resolve(document, message["payload"]["$ref"])
        assert payload["title"] == model_name
        assert payload == export.asyncapi_document()["components"]["schemas"][model_name]


def test_every_asyncapi_ref_resolves_inside_the_document():
    document = _load(export.ASYNCAPI_FILE)
    refs = list(_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        _resolve(document, ref)
    assert "$defs" not in json.dumps(document)


def test_asyncapi_components_validate_like_the_models(sample_data):
    """The event schemas inside the AsyncAPI document accept the sample events too."""
    document = _load(export.ASYNCAPI_FILE)
    for schema_name, events in (("TransactionEvent", sample_data.transactions),
                                ("AccountEvent", sample_data.accounts)):
        schema = {**_resolve(document, f"#/components/schemas/{schema_name}"),
                  "components": document["components"]}
        for event in events[:50]:
            assert not _validation_errors(schema, event), event
