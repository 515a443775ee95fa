"""Replies, error bodies and dead letters: the shapes CONTRACT.md promises, built in one place."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from workers.domain.errors import FieldError, ReportError


def field_errors(exc: ValidationError, prefix: str = "",
                 locate: Callable[[dict[str, Any]], tuple] | None = None) -> list[FieldError]:
    """One FieldError per pydantic error, with a dotted location (`request.order[0].field`).

    `locate` may rewrite an error's location (pydantic's error dict in, location parts out).
    """
    errors = []
    for error in exc.errors(include_url=False, include_context=locate is not None):
        loc = prefix
        for part in (locate(error) if locate else error["loc"]):
            if isinstance(part, int):
                loc += f"[{part}]"
            else:
                loc = f"{loc}.{part}" if loc else str(part)
        message = error["msg"]
        if error["type"] == "json_invalid":
            message = f"not valid JSON: {error.get('ctx', {}).get('error', message)}"
        errors.append(FieldError(loc or "$", message))
    return errors


#: A dead letter keeps at most this much of the original value, so that it stays far below the
#: broker's record size limit even for a record rejected as oversized.
DEAD_LETTER_VALUE_LIMIT = 64 * 1024
#: Field errors listed in one error body; the rest are counted in a last entry.
MAX_FIELD_ERRORS = 50


def error_body(code: str, message: str, errors: list[FieldError] = ()) -> dict[str, Any]:
    listed = [{"loc": e.loc, "msg": e.msg} for e in errors[:MAX_FIELD_ERRORS]]
    if len(errors) > MAX_FIELD_ERRORS:
        listed.append({"loc": "$", "msg": f"and {len(errors) - MAX_FIELD_ERRORS} more errors"})
    return {"code": code, "message": message, "errors": listed}


def ok_reply(correlation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"correlation_id": correlation_id, "status": 200, "data": data}


def error_reply(correlation_id: str, error: ReportError) -> dict[str, Any]:
    return {"correlation_id": correlation_id, "status": error.status,
            "error": error_body(error.code, error.message, error.errors)}


def invalid_request(message: str, errors: list[FieldError]) -> ReportError:
    return ReportError(400, "INVALID_REQUEST", message, errors)


def dead_letter(code: str, message: str, errors: list[FieldError], *, topic: str, partition: int,
                offset: int, key: bytes | None, value: bytes | None) -> dict[str, Any]:
    """A DeadLetter (CONTRACT.md) for a record that could not be applied or answered.

    Values longer than DEAD_LETTER_VALUE_LIMIT are cut there (`value_truncated`, `value_size`
    tell); the whole record is still in its source topic at the given offset.
    """
    value = value or b""
    letter = {
        "error": error_body(code, message, errors),
        "source": {"topic": topic, "partition": partition, "offset": offset,
                   "key": _text_or_base64(key)},
        "value_base64": base64.b64encode(value[:DEAD_LETTER_VALUE_LIMIT]).decode(),
        "value_size": len(value),
        "received_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if len(value) > DEAD_LETTER_VALUE_LIMIT:
        letter["value_truncated"] = True
    return letter


def _text_or_base64(key: bytes | None) -> str | None:
    if key is None:
        return None
    try:
        return key.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(key).decode()
