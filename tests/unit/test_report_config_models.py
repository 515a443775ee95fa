"""Validation of ConfigCommands and report configurations (schemas/configs.py, workers/report_configs.py).

Table-driven cases for every rule, then properties: configurations generated from the exported
JSON Schema (schemas/json/InsightReportConfig.json) are all accepted by the service and valid
against the schema; each mutation that breaks one rule is rejected with a 400 naming the field.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import export
from workers.clock import ServiceClock
from workers.domain.authorization import UncheckedVerifier
from workers.domain.errors import ReportError
from workers.domain.history import DictStore
from workers.report_configs import ConfigCommands, registry_from, validate_command
from workers.reports import peek
from workers.settings import ReportConfigSettings

AID = "P00000001"
CONFIG_SCHEMA = json.loads((export.PACKAGE_DIR / "json" / "InsightReportConfig.json").read_text())
VALID = {
    "checkout/transactions": {"dataType": "checkout/transactions", "language": "en",
                              "schedule": "monthly"},
    "checkout/transactions/open": {"dataType": "checkout/transactions/open", "language": "no",
                                   "schedule": "daily"},
    "orders/orderoperations": {"dataType": "orders/orderoperations", "language": "no",
                               "schedule": "twice-a-month"},
    "wallets/transactions": {"dataType": "wallets/transactions", "language": "en",
                             "schedule": "weekly"},
}


def command(config: Any = None, **envelope: Any) -> dict[str, Any]:
    document = {"correlation_id": "c-1", "operation": "create", "aid": AID}
    if config is not None:
        document["config"] = config
    document.update(envelope)
    return document


def problems(document: dict[str, Any]) -> dict[str, str]:
    """loc -> msg of the 400 the command gets, or {} when it is valid."""
    raw = orjson.dumps(document)
    try:
        validate_command(raw, document)
    except ReportError as error:
        assert error.status == 400 and error.code == "INVALID_REQUEST"
        return {e.loc: e.msg for e in error.errors}
    return {}


def service() -> ConfigCommands:
    configs = ReportConfigSettings(auth_disabled=True)
    return ConfigCommands(registry_from(configs, DictStore(), DictStore()), UncheckedVerifier(),
                          ServiceClock())


def answer(commands: ConfigCommands, document: dict[str, Any]) -> dict[str, Any]:
    raw = orjson.dumps(document)
    return commands.answer(raw, peek(raw))


# --- table-driven rules --------------------------------------------------------------------

ACCEPTED = [
    ("minimal, each data type", [VALID[t] for t in VALID]),
    ("all optional fields", [{**VALID["checkout/transactions"], "name": "Oppgjør ✓",
                              "emails": ["a@example.com", "b.c+d@sub.example.no"],
                              "contentTypes": ["application/pdf", "text/csv"],
                              "reportFilters": [{"filter": "store_id", "value": "s1"},
                                                {"filter": "store_id", "value": "s2"},
                                                {"filter": "payout_destination_id",
                                                 "value": "pd"}]}]),
    ("older_than_days is a whole number", [
        {**VALID["checkout/transactions/open"],
         "reportFilters": [{"filter": "older_than_days", "value": v}]}
        for v in ("0", "7", "30", "9999")]),
    ("orders: operation_payout_destination, csv", [
        {**VALID["orders/orderoperations"], "contentTypes": ["text/csv"],
         "reportFilters": [{"filter": "operation_payout_destination", "value": "x"}]}]),
    ("schedules per data type", [
        {**VALID[t], "schedule": s} for t, schedules in (
            ("checkout/transactions", ("daily", "weekly", "monthly")),
            ("checkout/transactions/open", ("daily", "weekly", "monthly")),
            ("orders/orderoperations", ("daily", "weekly", "twice-a-month")),
            ("wallets/transactions", ("daily", "weekly", "monthly"))) for s in schedules]),
    ("empty filter and e-mail lists", [{**VALID["checkout/transactions"], "reportFilters": [],
                                        "emails": []}]),
    ("ten e-mails", [{**VALID["wallets/transactions"],
                      "emails": [f"u{i}@example.com" for i in range(10)]}]),
]


@pytest.mark.parametrize("configs", [c for _, c in ACCEPTED], ids=[n for n, _ in ACCEPTED])
def test_valid_configurations_are_accepted(configs):
    for config in configs:
        assert problems(command(config)) == {}, config
        jsonschema.validate(config, CONFIG_SCHEMA)


def _open(value: str) -> dict:
    return {**VALID["checkout/transactions/open"],
            "reportFilters": [{"filter": "older_than_days", "value": value}]}


REJECTED = [
    # (case, config, loc of the error)
    ("missing dataType", {"language": "en", "schedule": "daily"}, "config.dataType"),
    ("unknown dataType", {**VALID["wallets/transactions"], "dataType": "wallets"},
     "config.dataType"),
    ("missing language", {"dataType": "wallets/transactions", "schedule": "daily"},
     "config.language"),
    ("missing schedule", {"dataType": "wallets/transactions", "language": "en"},
     "config.schedule"),
    ("language not no/en", {**VALID["wallets/transactions"], "language": "sv"},
     "config.language"),
    ("twice-a-month for checkout", {**VALID["checkout/transactions"],
                                    "schedule": "twice-a-month"}, "config.schedule"),
    ("monthly for orders", {**VALID["orders/orderoperations"], "schedule": "monthly"},
     "config.schedule"),
    ("unknown field", {**VALID["wallets/transactions"], "colour": "red"}, "config.colour"),
    ("filters on wallets", {**VALID["wallets/transactions"], "reportFilters": []},
     "config.reportFilters"),
    ("older_than_days on checkout", {**VALID["checkout/transactions"], "reportFilters": [
        {"filter": "older_than_days", "value": "3"}]}, "config.reportFilters[0].filter"),
    ("store_id on orders", {**VALID["orders/orderoperations"], "reportFilters": [
        {"filter": "store_id", "value": "3"}]}, "config.reportFilters[0].filter"),
    ("filter without value", {**VALID["checkout/transactions"], "reportFilters": [
        {"filter": "store_id"}]}, "config.reportFilters[0].value"),
    ("filter without filter", {**VALID["orders/orderoperations"], "reportFilters": [
        {"value": "x"}]}, "config.reportFilters[0].filter"),
    ("unknown field in a filter", {**VALID["checkout/transactions"], "reportFilters": [
        {"filter": "store_id", "value": "x", "op": "="}]}, "config.reportFilters[0].op"),
    ("empty filter value", {**VALID["checkout/transactions"], "reportFilters": [
        {"filter": "store_id", "value": ""}]}, "config.reportFilters[0].value"),
    ("duplicate filter", {**VALID["checkout/transactions"], "reportFilters": [
        {"filter": "store_id", "value": "x"}, {"filter": "store_id", "value": "x"}]},
     "config.reportFilters"),
    ("eleven filters", {**VALID["checkout/transactions"], "reportFilters": [
        {"filter": "store_id", "value": str(i)} for i in range(11)]}, "config.reportFilters"),
    ("older_than_days decimal", _open("1.5"), "config.reportFilters[0].value"),
    ("older_than_days negative", _open("-1"), "config.reportFilters[0].value"),
    ("older_than_days leading zero", _open("07"), "config.reportFilters[0].value"),
    ("older_than_days text", _open("thirty"), "config.reportFilters[0].value"),
    ("older_than_days padded", _open(" 5"), "config.reportFilters[0].value"),
    ("older_than_days too large", _open("10000"), "config.reportFilters[0].value"),
    ("older_than_days as a number", {**VALID["checkout/transactions/open"], "reportFilters": [
        {"filter": "older_than_days", "value": 30}]}, "config.reportFilters[0].value"),
    ("pdf for orders", {**VALID["orders/orderoperations"],
                        "contentTypes": ["application/pdf"]}, "config.contentTypes[0]"),
    ("unknown content type", {**VALID["wallets/transactions"], "contentTypes": ["text/html"]},
     "config.contentTypes[0]"),
    ("no content types", {**VALID["wallets/transactions"], "contentTypes": []},
     "config.contentTypes"),
    ("duplicate content type", {**VALID["wallets/transactions"],
                                "contentTypes": ["text/csv", "text/csv"]},
     "config.contentTypes"),
    ("invalid e-mail", {**VALID["wallets/transactions"], "emails": ["finance"]},
     "config.emails[0]"),
    ("e-mail without domain dot", {**VALID["wallets/transactions"], "emails": ["a@b"]},
     "config.emails[0]"),
    ("eleven e-mails", {**VALID["wallets/transactions"],
                        "emails": [f"u{i}@example.com" for i in range(11)]}, "config.emails"),
    ("duplicate e-mail", {**VALID["wallets/transactions"],
                          "emails": ["a@example.com", "a@example.com"]}, "config.emails"),
    ("null name", {**VALID["wallets/transactions"], "name": None}, "config.name"),
    ("empty name", {**VALID["wallets/transactions"], "name": ""}, "config.name"),
    ("name too long", {**VALID["wallets/transactions"], "name": "n" * 257}, "config.name"),
    ("config not an object", ["wallets/transactions"], "config"),
]


@pytest.mark.parametrize("config, loc", [(c, loc) for _, c, loc in REJECTED],
                         ids=[n for n, _, _ in REJECTED])
def test_each_rule_is_a_400_naming_the_field(config, loc):
    found = problems(command(config))
    assert loc in found, found
    assert len(found) == 1, found


ENVELOPES = [
    ("aid lower case", command(VALID["wallets/transactions"], aid="p00000001"), "aid"),
    ("aid too short", command(VALID["wallets/transactions"], aid="P0000001"), "aid"),
    ("aid other letter", command(VALID["wallets/transactions"], aid="X00000001"), "aid"),
    ("aid unicode digits", command(VALID["wallets/transactions"], aid="P٠٠٠٠٠٠٠١"), "aid"),
    ("unknown operation", command(operation="replace"), "operation"),
    ("create without config", command(), "config"),
    ("create with id", command(VALID["wallets/transactions"],
                               id="00000000-0000-4000-8000-000000000000"), "id"),
    ("update without id", command(VALID["wallets/transactions"], operation="update"), "id"),
    ("get with config", command(VALID["wallets/transactions"], operation="get",
                                id="00000000-0000-4000-8000-000000000000"), "config"),
    ("delete without id", command(operation="delete"), "id"),
    ("list with id", command(operation="list", id="00000000-0000-4000-8000-000000000000"),
     "id"),
    ("id not a uuid", command(operation="get", id="42"), "id"),
    ("unknown envelope field", command(operation="list", page=2), "page"),
    ("correlation id too long", command(operation="list", correlation_id="c" * 129),
     "correlation_id"),
]


@pytest.mark.parametrize("document, loc", [(d, loc) for _, d, loc in ENVELOPES],
                         ids=[n for n, _, _ in ENVELOPES])
def test_envelope_rules(document, loc):
    assert loc in problems(document)


def test_every_problem_is_listed_once_without_a_stack_trace():
    config = {"dataType": "checkout/transactions/open", "schedule": "twice-a-month",
              "emails": ["x"], "reportFilters": [{"filter": "older_than_days", "value": "x"},
                                                 {"filter": "payout_destination_id",
                                                  "value": "y"}], "extra": 1}
    reply = answer(service(), command(config, id="nope"))
    assert reply["status"] == 400
    locs = [e["loc"] for e in reply["error"]["errors"]]
    assert sorted(locs) == sorted(["id", "config.language", "config.schedule",
                                   "config.emails[0]", "config.reportFilters[0].value",
                                   "config.reportFilters[1].filter", "config.extra"])
    assert "Traceback" not in orjson.dumps(reply).decode()


def test_a_reply_to_that_is_a_service_topic_is_a_400_on_the_default_topic():
    raw = orjson.dumps(command(operation="list", reply_to="insights.report-jobs.v1"))
    peeked = peek(raw, lambda name: name == "insights.report-jobs.v1")
    assert peeked.reply_to is None
    reply = service().answer(raw, peeked)
    assert reply["status"] == 400 and reply["error"]["errors"][0]["loc"] == "reply_to"


# --- properties over the exported JSON Schema --------------------------------------------------

_LOCAL = st.from_regex(r"[a-z0-9]{1,10}([._+-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_DOMAIN = st.from_regex(r"([a-z0-9]{1,10}(-[a-z0-9]{1,5})?\.){1,3}[a-z]{2,6}", fullmatch=True)
#: Top-level domains reserved for special use, which e-mail validation refuses.
_SPECIAL = re.compile(r"\.(test|local|localhost|invalid|example|onion|arpa|home|corp|lan|"
                      r"internal|intranet|private|mail)$")
EMAILS = st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN).filter(
    lambda address: not _SPECIAL.search(address))


def from_schema(schema: dict, root: dict) -> st.SearchStrategy:
    """Instances of the subset of JSON Schema that pydantic emits for these models."""
    if "$ref" in schema:
        return from_schema(root["$defs"][schema["$ref"].rpartition("/")[2]], root)
    if "oneOf" in schema:
        return st.one_of([from_schema(s, root) for s in schema["oneOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema["properties"]
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: from_schema(v, root) for k, v in properties.items() if k in required},
            optional={k: from_schema(v, root) for k, v in properties.items()
                      if k not in required})
    if kind == "array":
        return st.lists(from_schema(schema["items"], root),
                        min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 5), 5),
                        unique_by=(lambda x: json.dumps(x, sort_keys=True))
                        if schema.get("uniqueItems") else None)
    if kind == "string":
        if schema.get("format") == "email":
            return EMAILS
        strategy = (st.from_regex(schema["pattern"], fullmatch=True) if "pattern" in schema
                    else st.text())
        return strategy.filter(lambda s: schema.get("minLength", 0) <= len(s)
                               <= schema.get("maxLength", 10**6))
    raise AssertionError(f"unexpected schema {schema}")


VALID_CONFIGS = from_schema(CONFIG_SCHEMA, CONFIG_SCHEMA)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID_CONFIGS)
def test_configurations_generated_from_the_schema_are_accepted(config):
    jsonschema.validate(config, CONFIG_SCHEMA)
    reply = answer(service(), command(config))
    assert reply["status"] == 200, reply
    stored = reply["data"]
    assert {k: v for k, v in stored.items() if k in config} == config


def _mutations(config: dict) -> list[tuple[str, dict, str, bool]]:
    """(name, mutated config, loc of the error, whether the JSON Schema rejects it too)."""
    kind = config["dataType"]
    out = [
        ("drop language", {k: v for k, v in config.items() if k != "language"},
         "config.language", True),
        ("drop schedule", {k: v for k, v in config.items() if k != "schedule"},
         "config.schedule", True),
        ("unknown field", {**config, "reportFormat": "xlsx"}, "config.reportFormat", True),
        ("bad language", {**config, "language": "de"}, "config.language", True),
        ("language not a string", {**config, "language": 1}, "config.language", True),
        ("bad schedule", {**config, "schedule": "monthly" if kind == "orders/orderoperations"
                          else "twice-a-month"}, "config.schedule", True),
        ("empty content types", {**config, "contentTypes": []}, "config.contentTypes", True),
        ("bad e-mail", {**config, "emails": ["no-at-sign.example.com"]}, "config.emails[0]",
         False),
        ("too many e-mails", {**config, "emails": [f"u{i}@example.com" for i in range(11)]},
         "config.emails", True),
        ("null name", {**config, "name": None}, "config.name", True),
    ]
    if kind == "checkout/transactions/open":
        out.append(("older_than_days not whole", {**config, "reportFilters": [
            {"filter": "older_than_days", "value": "2.5"}]}, "config.reportFilters[0].value",
            True))
    if kind == "wallets/transactions":
        out.append(("filters on wallets", {**config, "reportFilters": []},
                    "config.reportFilters", True))
    else:
        out.append(("filter of another data type", {**config, "reportFilters": [
            {"filter": "wallet_id", "value": "w"}]}, "config.reportFilters[0].filter", True))
    if kind == "orders/orderoperations":
        out.append(("pdf for orders", {**config, "contentTypes": ["application/pdf"]},
                    "config.contentTypes[0]", True))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID_CONFIGS, st.data())
def test_mutated_configurations_are_rejected_with_400(config, data):
    name, mutated, loc, schema_rejects = data.draw(st.sampled_from(_mutations(config)))
    reply = answer(service(), command(mutated))
    assert reply["status"] == 400, (name, reply)
    assert loc in [e["loc"] for e in reply["error"]["errors"]], (name, reply)
    if schema_rejects:
        assert not jsonschema.Draft202012Validator(CONFIG_SCHEMA).is_valid(mutated), name
