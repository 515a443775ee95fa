"""Answering a ReportRequest: validate the envelope and the body, build the report, shape the reply.

No Faust here: the agent hands in the raw record value and the ConsumerState and sends what
comes back. Every readable request produces exactly one reply body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from pydantic import ValidationError

from schemas.categorized import CategorizedReportRequest, ReportScope, cross_field_problems
from schemas.contract import TOPIC_NAME_PATTERN, ReportRequest
from schemas.recurring import RecurringReportRequest
from workers.domain.categorized_report import build_categorized_reports, resolve_timeframe
from workers.domain.consumer_state import ConsumerState
from workers.domain.errors import FieldError, ReportError
from workers.domain.recurring_report import build_recurring_reports
from workers.rpc import error_reply, field_errors, invalid_request, ok_reply

log = logging.getLogger(__name__)

_TOPIC_NAME = re.compile(TOPIC_NAME_PATTERN)


@dataclass(frozen=True)
class Peeked:
    """What can be read from a request record before full validation."""

    correlation_id: str
    reply_to: str | None  # a usable client topic, else None (reply on the default topic)
    consumer_id: str | None
    reply_to_error: FieldError | None = None


class Unreadable(Exception):
    """The record has no readable correlation id: it can only be dead-lettered."""

    def __init__(self, code: str, message: str, errors: list[FieldError]) -> None:
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors


def peek(raw: bytes | None, is_reserved_topic: Callable[[str], bool] = lambda _: False) -> Peeked:
    """Read correlation id, reply topic and consumer id, or raise Unreadable.

    A `reply_to` that is not a valid topic name, or that names one of the service's own topics,
    is not used: the request is answered with a 400 on the default reply topic.
    """
    if not raw:
        raise Unreadable("INVALID_JSON", "empty record value", [])
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Unreadable("INVALID_JSON", f"not valid JSON: {exc}", []) from exc
    if not isinstance(document, dict):
        raise Unreadable("INVALID_ENVELOPE", "the value is not a JSON object", [])
    correlation_id = document.get("correlation_id")
    if not isinstance(correlation_id, str) or not 1 <= len(correlation_id) <= 128:
        raise Unreadable("INVALID_ENVELOPE", "correlation_id is missing or invalid",
                         [FieldError("correlation_id", "a string of 1 to 128 characters is required")])
    reply_to = document.get("reply_to")
    reply_to_error = None
    if reply_to is not None:
        if not isinstance(reply_to, str) or not _TOPIC_NAME.match(reply_to):
            reply_to_error = FieldError("reply_to", "not a valid topic name "
                                        "(1 to 249 of A-Z, a-z, 0-9, '.', '_', '-')")
        elif is_reserved_topic(reply_to):
            reply_to_error = FieldError("reply_to", "names a topic of the service itself")
        if reply_to_error is not None:
            reply_to = None
    body = document.get("request")
    consumer_id = body.get("insights_consumer_id") if isinstance(body, dict) else None
    return Peeked(correlation_id, reply_to,
                  consumer_id if isinstance(consumer_id, str) and consumer_id else None,
                  reply_to_error)


def answer(raw: bytes, peeked: Peeked, state: ConsumerState, today: date) -> dict[str, Any]:
    """The reply body (ReportReply as a dict) for one readable request."""
    if peeked.reply_to_error is not None:
        return error_reply(peeked.correlation_id, invalid_request(
            "the request envelope is invalid", [peeked.reply_to_error]))
    try:
        return ok_reply(peeked.correlation_id, _build(raw, state, today))
    except ReportError as error:
        return error_reply(peeked.correlation_id, error)
    except Exception:  # noqa: BLE001 - any bug becomes a 500 reply, the worker keeps running
        log.exception("report %s failed", peeked.correlation_id)
        return error_reply(peeked.correlation_id,
                           ReportError(500, "INTERNAL_ERROR", "the report could not be built"))


#: The request body model and the builder of each report.
_REPORTS: dict[str, tuple[type[ReportScope], str]] = {
    "categorization": (CategorizedReportRequest, "categorization"),
    "recurring-transactions": (RecurringReportRequest, "recurring transactions"),
}


def _build(raw: bytes, state: ConsumerState, today: date) -> dict[str, Any]:
    try:
        envelope = ReportRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_request("the request envelope is invalid", field_errors(exc)) from exc
    model, title = _REPORTS[envelope.report]
    try:
        request = model.model_validate_json(orjson.dumps(envelope.request))
    except ValidationError as exc:
        # Model-level errors (loc "request") are the cross-field rules; they are listed per
        # field instead, also when field errors kept pydantic from checking them.
        errors = [e for e in field_errors(exc, prefix="request") if e.loc != "request"]
        errors += [FieldError(f"request.{field}", message)
                   for field, message in cross_field_problems(envelope.request)]
        raise invalid_request(f"the {title} request is invalid", errors) from exc
    if isinstance(request, RecurringReportRequest):
        return recurring_report(request, state, today)
    return categorized_report(request, state, today)


def categorized_report(request: CategorizedReportRequest, state: ConsumerState,
                       today: date) -> dict[str, Any]:
    """The seed's `data` object of a Categorized Transactions Report from stored state."""
    timeframe = resolve_timeframe(request, today)
    consumer_id = request.insights_consumer_id
    history = state.history
    transactions = history.transactions_in(consumer_id, timeframe.from_date.isoformat(),
                                           timeframe.to_date.isoformat(),
                                           state.categories.overrides(consumer_id))
    return build_categorized_reports(request, timeframe, transactions,
                                     history.account_coverages(consumer_id))


def recurring_report(request: RecurringReportRequest, state: ConsumerState,
                     today: date) -> dict[str, Any]:
    """The seed's `data` object of a Recurring Transactions Report from stored state; the
    consumer's queued recurring changes are applied first."""
    timeframe = resolve_timeframe(request, today)
    consumer_id = request.insights_consumer_id
    state.settle_recurring([consumer_id])
    history = state.history
    return build_recurring_reports(request, timeframe, state.recurring.states(consumer_id),
                                   history.account_coverages(consumer_id),
                                   history.newest_day(consumer_id),
                                   state.categories.overrides(consumer_id))
