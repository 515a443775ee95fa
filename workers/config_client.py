"""A client of report configurations: sends ConfigCommands and waits for their ConfigReplies.

Used by `insights config` and the demo; like ReportClient, it speaks only the contract.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from workers.client import ReportClient
from workers.settings import Settings
from workers.topic_names import REPORT_CONFIG_REPLIES, REPORT_CONFIGS


class ConfigClient(ReportClient):
    """Sends ConfigCommands keyed by `aid`; waits for the reply with the same correlation id."""

    def __init__(self, settings: Settings, reply_topic: str | None = None,
                 command_topic: str | None = None, authorization: str | None = None) -> None:
        super().__init__(settings, reply_topic or settings.topic(REPORT_CONFIG_REPLIES),
                         command_topic or settings.topic(REPORT_CONFIGS))
        self.authorization = authorization

    async def send_command(self, operation: str, aid: str, *, config_id: str | None = None,
                           config: dict[str, Any] | None = None,
                           correlation_id: str | None = None, authorization: str | None = None,
                           extra: dict[str, Any] | None = None,
                           key: bytes | None = None) -> tuple[str, asyncio.Future]:
        """Send a command; returns its correlation id and a future of the ConfigReply dict.

        `authorization` defaults to the client's; `extra` adds raw envelope fields (tests).
        """
        correlation_id = correlation_id or self.new_correlation_id()
        future = self._futures.get(correlation_id)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._futures[correlation_id] = future
        envelope: dict[str, Any] = {"correlation_id": correlation_id,
                                    "reply_to": self.reply_topic, "operation": operation,
                                    "aid": aid}
        if config_id is not None:
            envelope["id"] = config_id
        if config is not None:
            envelope["config"] = config
        token = authorization if authorization is not None else self.authorization
        if token is not None:
            envelope["authorization"] = token
        envelope.update(extra or {})
        await self._producer.send_and_wait(self.request_topic,
                                           key=key if key is not None else aid.encode(),
                                           value=orjson.dumps(envelope))
        return correlation_id, future

    async def command(self, operation: str, aid: str, *, timeout: float = 30.0,
                      **kwargs: Any) -> dict[str, Any]:
        """Send a command and wait for its reply (RequestTimeout after `timeout` seconds)."""
        correlation_id, future = await self.send_command(operation, aid, **kwargs)
        return await self.reply_of(correlation_id, future, timeout)
