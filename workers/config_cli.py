"""`insights config create|update|get|list|delete` and `insights token`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from workers.settings import Settings, SettingsError

TOKEN_ENV = "INSIGHTS_TOKEN"


def _fail(message: str) -> int:
    print(f"insights: {message}", file=sys.stderr)
    return 2


def config_from_args(args: argparse.Namespace) -> dict[str, Any] | None:
    """The configuration of `create`/`update`: the JSON file, else the flags; None if neither."""
    if args.file:
        return orjson.loads(Path(args.file).read_bytes())
    config: dict[str, Any] = {}
    for flag, field in (("data_type", "dataType"), ("name", "name"), ("language", "language"),
                        ("schedule", "schedule"), ("content_types", "contentTypes"),
                        ("emails", "emails")):
        value = getattr(args, flag)
        if value is not None:
            config[field] = value
    if args.filters:
        config["reportFilters"] = [{"filter": f.split("=", 1)[0], "value": f.split("=", 1)[1]}
                                   for f in args.filters]
    return config or None


def bearer(token: str | None) -> str | None:
    if not token:
        return None
    return token if token.lower().startswith("bearer ") else f"Bearer {token}"


def cmd_config(args: argparse.Namespace) -> int:
    from workers.client import RequestTimeout
    from workers.config_client import ConfigClient

    settings = Settings.from_env()
    if not settings.bootstrap_servers:
        return _fail("KAFKA_BOOTSTRAP_SERVERS is not set; start a broker with `insights broker` "
                     "(or use `insights demo`) and export the address it prints")
    try:
        config = config_from_args(args) if args.operation in ("create", "update") else None
    except (OSError, orjson.JSONDecodeError) as exc:
        return _fail(f"cannot read {args.file}: {exc}")
    if args.operation in ("create", "update") and config is None:
        return _fail(f"{args.operation} needs --file or configuration flags")

    async def run() -> dict[str, Any]:
        async with ConfigClient(settings,
                                authorization=bearer(args.token or os.environ.get(TOKEN_ENV))
                                ) as client:
            return await client.command(args.operation, args.aid, config_id=args.id,
                                        config=config, timeout=args.timeout)

    try:
        reply = asyncio.run(run())
    except RequestTimeout as exc:
        return _fail(str(exc))
    print(orjson.dumps(reply, option=orjson.OPT_INDENT_2).decode())
    return 0 if reply.get("status") == 200 else 1


def cmd_token(args: argparse.Namespace) -> int:
    from workers.domain.authorization import mint_token

    try:
        configs = Settings.from_env().configs
    except SettingsError as exc:
        return _fail(str(exc))
    if args.private_key_file:
        key, algorithm = Path(args.private_key_file).read_bytes(), "RS256"
    elif configs.jwt_hs256_secret:
        key, algorithm = configs.jwt_hs256_secret, "HS256"
    else:
        return _fail("set INSIGHTS_JWT_HS256_SECRET (the worker's secret) or pass "
                     "--private-key-file for RS256")
    print(mint_token(key, algorithm, subject=args.subject, scopes=args.scope, aid=args.aid,
                     audience=configs.jwt_audience, issuer=configs.jwt_issuer,
                     ttl=timedelta(minutes=args.ttl_minutes)))
    return 0


def add_config_commands(commands: argparse._SubParsersAction) -> None:
    """Add `config` and `token` to the `insights` command."""
    config = commands.add_parser("config", help="manage report configurations "
                                 "(prints the ConfigReply)")
    config.add_argument("operation", choices=["create", "update", "get", "list", "delete"])
    config.add_argument("--aid", required=True, help="merchant account id, e.g. P00000001")
    config.add_argument("--id", help="configuration id (update, get, delete)")
    config.add_argument("--file", help="JSON file with the configuration (create, update)")
    config.add_argument("--data-type", choices=["checkout/transactions",
                                                "checkout/transactions/open",
                                                "orders/orderoperations",
                                                "wallets/transactions"])
    config.add_argument("--schedule", choices=["daily", "weekly", "twice-a-month", "monthly"])
    config.add_argument("--language", choices=["no", "en"])
    config.add_argument("--name")
    config.add_argument("--content-types", nargs="+", choices=["application/pdf", "text/csv"])
    config.add_argument("--emails", nargs="+")
    config.add_argument("--filters", nargs="+", metavar="FILTER=VALUE",
                        help="store_id, payout_destination_id, older_than_days, "
                             "operation_payout_destination")
    config.add_argument("--token", help=f"bearer token (default: ${TOKEN_ENV})")
    config.add_argument("--timeout", type=float, default=30.0)
    config.set_defaults(func=cmd_config)

    token = commands.add_parser("token", help="mint a development token (signed with "
                                "INSIGHTS_JWT_HS256_SECRET or --private-key-file)")
    token.add_argument("--aid", help="the account the token is for (omit for admin tokens)")
    token.add_argument("--scope", nargs="+", required=True,
                       choices=["read:insight", "write:insight", "admin:insight"])
    token.add_argument("--subject", default="developer", help="the `sub` claim")
    token.add_argument("--ttl-minutes", type=int, default=60)
    token.add_argument("--private-key-file", help="RS256 private key (PEM)")
    token.set_defaults(func=cmd_token)
