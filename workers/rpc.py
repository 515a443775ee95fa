"""Replies, error bodies and dead letters: the shapes CONTRACT.md promises, built in one place."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from workers.domain.errors import FieldError, ReportError


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """One FieldError per pydantic error, with a dotted location (`request.order[0].field`)."""
    errors = []
    for error in exc.errors(include_url=False, include_context=False):
        loc = prefix
        for part in error["loc"]:
            if isinstance(part, int):
                loc += f"[{part}]"
            else:
                loc = f"{loc}.{part}" if loc else str(part)
        message = error["msg"]
        if error["type"] == "json_invalid":
            message = f"not valid JSON: {error.get('ctx', {}).get('error', message)}"
        errors.append(FieldError(loc or "$", message))
    return errors


def error_body(code: str, message: str, errors: list[FieldError] = ()) -> dict[str, Any]:
    return {"code": code, "message": message,
            "errors": [{"loc": e.loc, "msg": e.msg} for e in errors]}


def ok_reply(correlation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"correlation_id": correlation_id, "status": 200, "data": data}


def error_reply(correlation_id: str, error: ReportError) -> dict[str, Any]:
    return {"correlation_id": correlation_id, "status": error.status,
            "error": error_body(error.code, error.message, error.errors)}


def invalid_request(message: str, errors: list[FieldError]) -> ReportError:
    return ReportError(400, "INVALID_REQUEST", message, errors)


def dead_letter(code: str, message: str, errors: list[FieldError], *, topic: str, partition: int,
                offset: int, key: bytes | None, value: bytes | None) -> dict[str, Any]:
    """A DeadLetter (CONTRACT.md) for a record that could not be applied or answered."""
    return {
        "error": error_body(code, message, errors),
        "source": {"topic": topic, "partition": partition, "offset": offset,
                   "key": _text_or_base64(key)},
        "value_base64": base64.b64encode(value or b"").decode(),
        "received_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def _text_or_base64(key: bytes | None) -> str | None:
    if key is None:
        return None
    try:
        return key.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(key).decode()
