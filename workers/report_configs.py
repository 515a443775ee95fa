"""Answering a ConfigCommand: authenticate, validate, authorize, apply once, shape the reply.

No Faust here: the agent hands in the raw record value and sends what comes back. The order
of the checks is deliberate:

1. an exact redelivery (same correlation id, same command, same token) of an executed command
   gets the remembered reply, even if its token has expired since;
2. authentication (401) before anything about the command is revealed;
3. validation (400), one entry per problem;
4. authorization (403): scope and account;
5. a correlation id already used for a different command is a 409; the same command with
   another token (a client's retry) gets the remembered reply;
6. the operation (200, 404, 409), whose reply is remembered: a change's in the same write as
   the change (ConfigRegistry), so that a crash cannot keep one without the other.

Replies of 1-4 change nothing and are not remembered: sending the same record again gives the
same answer (unless the token expired in between).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import ValidationError

from schemas.configs import AID_PATTERN, DISCRIMINATORS, ConfigCommand
from workers.clock import ServiceClock
from workers.domain.authorization import (
    TokenVerifier,
    UncheckedVerifier,
    UnconfiguredVerifier,
    authorize,
    unauthorized,
)
from workers.domain.errors import FieldError, ReportError
from workers.domain.report_configs import ConfigRegistry, Receipt, digest, fingerprint
from workers.reports import Peeked
from workers.rpc import error_reply, field_errors, invalid_request, ok_reply
from workers.settings import ReportConfigSettings

log = logging.getLogger(__name__)

_AID = re.compile(AID_PATTERN)
#: Field order of a stored configuration (after the Persisted fields).
CONFIG_FIELD_ORDER = ("dataType", "name", "language", "schedule", "reportFilters",
                      "contentTypes", "emails")
NEEDS_CONFIG = frozenset({"create", "update"})
NEEDS_ID = frozenset({"update", "get", "delete"})
READS = frozenset({"get", "list"})


def verifier_from(settings: ReportConfigSettings):
    """The token verifier the settings ask for."""
    if settings.auth_disabled:
        return UncheckedVerifier()
    if settings.jwt_hs256_secret:
        return TokenVerifier(settings.jwt_hs256_secret, "HS256", settings.jwt_audience,
                             settings.jwt_issuer)
    if settings.jwt_rs256_public_key_file:
        return TokenVerifier(Path(settings.jwt_rs256_public_key_file).read_bytes(), "RS256",
                             settings.jwt_audience, settings.jwt_issuer)
    return UnconfiguredVerifier()


def readable_aid(raw: bytes) -> str | None:
    """The command's `aid` if it is a valid account id (the record's routing key)."""
    try:
        aid = orjson.loads(raw).get("aid")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return aid if isinstance(aid, str) and _AID.match(aid) else None


def _locate(document: Any) -> Callable[[dict[str, Any]], tuple]:
    """Error locations as field paths: pydantic puts the tag of a discriminated union
    (`checkout/transactions`, `store_id`) into the path; those parts are dropped, and an
    unusable tag is reported on its discriminator field."""

    def locate(error: dict[str, Any]) -> tuple:
        node, parts = document, []
        for part in error["loc"]:
            if (isinstance(node, dict) and isinstance(part, str) and part not in node
                    and any(node.get(d) == part for d in DISCRIMINATORS)):
                continue  # a union tag, not a field
            parts.append(part)
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                node = None
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            parts.append(error.get("ctx", {}).get("discriminator", "").strip("'"))
        return tuple(parts)

    return locate


def operation_problems(document: dict[str, Any]) -> list[FieldError]:
    """Which of `id` and `config` the operation needs or forbids."""
    operation = document.get("operation")
    if operation not in ("create", "update", "get", "list", "delete"):
        return []
    problems = []
    if operation in NEEDS_CONFIG and document.get("config") is None:
        problems.append(FieldError("config", f"required for {operation}"))
    if operation not in NEEDS_CONFIG and document.get("config") is not None:
        problems.append(FieldError("config", f"not allowed for {operation}"))
    if operation in NEEDS_ID and document.get("id") is None:
        problems.append(FieldError("id", f"required for {operation}"))
    if operation not in NEEDS_ID and document.get("id") is not None:
        problems.append(FieldError("id", f"not allowed for {operation}"
                                         + (" (the service assigns ids)"
                                            if operation == "create" else "")))
    return problems


def validate_command(raw: bytes, document: dict[str, Any]) -> ConfigCommand:
    """The ConfigCommand of a record, or a 400 with one entry per problem."""
    errors: list[FieldError] = []
    command = None
    try:
        command = ConfigCommand.model_validate_json(raw)
    except ValidationError as exc:
        errors = field_errors(exc, locate=_locate(document))
    known = {e.loc for e in errors}
    errors += [p for p in operation_problems(document) if p.loc not in known]
    if errors or command is None:
        raise invalid_request("the configuration command is invalid", errors)
    return command


def stored_config(command: ConfigCommand) -> dict[str, Any]:
    """The configuration of a command as it is stored: set fields only, in a stable order."""
    fields = command.config.model_dump(mode="json", exclude_none=True)
    return {name: fields[name] for name in CONFIG_FIELD_ORDER if name in fields}


class ConfigCommands:
    """Answers ConfigCommands against a ConfigRegistry."""

    def __init__(self, registry: ConfigRegistry, verifier, clock: ServiceClock) -> None:
        self.registry, self.verifier, self.clock = registry, verifier, clock

    def answer(self, raw: bytes, peeked: Peeked) -> dict[str, Any]:
        """The reply body (ConfigReply as a dict) for one readable command record."""
        try:
            return self._answer(raw, peeked)
        except ReportError as error:
            return error_reply(peeked.correlation_id, error)
        except Exception:  # noqa: BLE001 - any bug becomes a 500 reply, the worker keeps running
            log.exception("configuration command %s failed", peeked.correlation_id)
            return error_reply(peeked.correlation_id, ReportError(
                500, "INTERNAL_ERROR", "the command could not be applied"))

    def _answer(self, raw: bytes, peeked: Peeked) -> dict[str, Any]:
        document = orjson.loads(raw)
        authorization = document.get("authorization")
        aid = readable_aid(raw)
        asked = fingerprint(document)
        remembered = (self.registry.remembered(aid, peeked.correlation_id)
                      if aid is not None else None)
        if (remembered is not None and remembered["fingerprint"] == asked
                and isinstance(authorization, str | None)
                and remembered["authorization"] == digest(authorization)):
            return remembered["reply"]
        if authorization is not None and not isinstance(authorization, str):
            raise unauthorized("authorization must be a string 'Bearer <JWT>'")
        principal = self.verifier.verify(authorization)
        if peeked.reply_to_error is not None:
            raise invalid_request("the command envelope is invalid", [peeked.reply_to_error])
        command = validate_command(raw, document)
        authorize(principal, command.operation, command.aid)
        if remembered is not None:
            if remembered["fingerprint"] != asked:
                raise ReportError(409, "CORRELATION_ID_REUSED", "this correlation_id was "
                                  "already used for a different command",
                                  [FieldError("correlation_id", "already used")])
            return remembered["reply"]
        receipt = Receipt(command.correlation_id, asked, digest(authorization),
                          reply_of=lambda data: ok_reply(command.correlation_id, data))
        try:
            reply = ok_reply(command.correlation_id, self._execute(command, principal.subject,
                                                                   receipt))
        except ReportError as error:
            if error.status not in (404, 409):
                raise
            reply = error_reply(command.correlation_id, error)
        if reply["status"] != 200 or command.operation in READS:
            # Nothing changed, so nothing remembered it yet.
            self.registry.remember(command.aid, command.correlation_id, asked,
                                   receipt.authorization, reply)
        return reply

    def _execute(self, command: ConfigCommand, subject: str, receipt: Receipt) -> Any:
        registry, aid = self.registry, command.aid
        if command.operation == "create":
            return registry.create(aid, stored_config(command), subject, self.clock.now(),
                                   receipt)
        if command.operation == "update":
            return registry.update(aid, command.id, stored_config(command), subject,
                                   self.clock.now(), receipt)
        if command.operation == "get":
            return registry.get(aid, command.id)
        if command.operation == "delete":
            return registry.delete(aid, command.id, receipt)
        return registry.list(aid)


def registry_from(settings: ReportConfigSettings, accounts, replies) -> ConfigRegistry:
    """A ConfigRegistry over two record stores, with the settings' time zone and bound."""
    return ConfigRegistry(accounts, replies, zone=ZoneInfo(settings.time_zone),
                          max_configs=settings.max_configs_per_account)
