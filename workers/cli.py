"""The `insights` command: broker, worker, produce, request, generate, demo, categories."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from workers.broker import EmbeddedBroker
from workers.settings import Settings

EMBEDDED_ENV = "INSIGHTS_BROKER_PROFILE"


def _fail(message: str) -> int:
    print(f"insights: {message}", file=sys.stderr)
    return 2


class StopSignal:
    """SIGINT/SIGTERM handling installed before anything is announced, so a signal sent the
    moment a process says it is ready stops it cleanly instead of killing it."""

    def __init__(self) -> None:
        self.received = False
        self._previous: dict = {}

    def __enter__(self) -> StopSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        self.received = True

    def wait(self) -> None:
        while not self.received:
            time.sleep(0.2)

    def __exit__(self, *exc_info: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def _client_settings() -> Settings | None:
    settings = Settings.from_env()
    if not settings.bootstrap_servers:
        print("insights: KAFKA_BOOTSTRAP_SERVERS is not set; start a broker with "
              "`insights broker` (or use `insights demo`) and export the address it prints",
              file=sys.stderr)
        return None
    return settings


# ---- broker ------------------------------------------------------------------------------

def cmd_broker(args: argparse.Namespace) -> int:
    with StopSignal() as stop, EmbeddedBroker(port=args.port) as broker:
        print(f"Embedded broker (Tansu, memory storage) listening on {broker.bootstrap_servers}")
        print(f"  export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers} "
              f"{EMBEDDED_ENV}=embedded")
        print("Data lives in memory and is gone when the broker stops. Ctrl-C stops it.",
              flush=True)
        stop.wait()
    return 0


# ---- worker ------------------------------------------------------------------------------

def cmd_worker(args: argparse.Namespace) -> int:
    broker = None
    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        broker = EmbeddedBroker().start()
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        os.environ[EMBEDDED_ENV] = "embedded"
        print(f"started the embedded broker on {broker.bootstrap_servers}", flush=True)
    try:
        return run_worker(Settings.from_env())
    finally:
        if broker is not None:
            broker.stop()


def run_worker(settings: Settings) -> int:
    """Create the topics, then run one Faust worker until SIGTERM/SIGINT."""
    from faust.worker import Worker

    from workers.admin import ensure_topics

    asyncio.run(ensure_topics(settings))
    import workers.agents  # noqa: F401  (registers the agents)
    from workers.app import app
    from workers.local_state import local_state_guard

    # Streams allocate many short-lived objects; collect the young generation less often.
    gc.set_threshold(50_000, 20, 20)
    worker = Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    # Faust's console spinner sets the root logger to DEBUG so that it can spin on every log
    # record: every debug() call of aiokafka and Faust (several per event) then builds a
    # LogRecord that the handler drops. The worker runs quiet, so the spinner only costs.
    worker.spinner = None
    with local_state_guard(Path(app.conf.tabledir), Path(app.conf.appdir)):
        try:
            worker.execute_from_commandline()
        except SystemExit as exc:
            code = int(exc.code or 0)
            if code != 0:
                raise
            return code
    return 0


# ---- produce -----------------------------------------------------------------------------

def cmd_produce(args: argparse.Namespace) -> int:
    from workers.client import ProgressBar, produce_lines, read_jsonl

    settings = _client_settings()
    if settings is None:
        return 2
    topic = settings.topic({"transactions": "insights.transactions.v1",
                            "accounts": "insights.accounts.v1",
                            "feedback": "insights.categorization-feedback.v1"}[args.kind])
    lines = read_jsonl(Path(args.file))
    progress = ProgressBar(len(lines), f"{args.kind:>12}")
    count = asyncio.run(produce_lines(settings, topic, lines, progress=progress))
    progress.close()
    print(f"produced {count} records to {topic}")
    return 0


# ---- request -----------------------------------------------------------------------------

#: Flags both reports take (their request field), and those of the categorized report only.
SCOPE_FLAGS = {"accounts": "insights_account_ids",
               "exclude_accounts": "excluded_insights_account_ids",
               "report_days": "report_days", "from_date": "from_date", "to_date": "to_date",
               "required_availability": "required_data_availability"}
CATEGORIZATION_FLAGS = {"size": "size", "offset": "offset", "min_amount": "min_amount",
                        "max_amount": "max_amount", "transaction_type": "transaction_type",
                        "states": "states", "transaction_ids": "insights_transaction_ids",
                        "category_ids": "category_ids", "brand_ids": "brand_ids",
                        "combine": "combine_accounts"}
CATEGORIZATION_ONLY = (*CATEGORIZATION_FLAGS, "only_main_category", "order", "label",
                       "exclude_label")


def _scope_request(args: argparse.Namespace, flags: dict[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {"insights_consumer_id": args.consumer}
    for flag, field in flags.items():
        value = getattr(args, flag)
        if value is not None:
            request[field] = value
    return request


def recurring_request(args: argparse.Namespace) -> dict[str, Any]:
    """The Recurring Transactions Report request body from command-line flags."""
    return _scope_request(args, SCOPE_FLAGS)


def categorization_request(args: argparse.Namespace) -> dict[str, Any]:
    """The Categorized Transactions Report request body from command-line flags."""
    request = _scope_request(args, {**SCOPE_FLAGS, **CATEGORIZATION_FLAGS})
    if args.only_main_category:
        request["only_main_category"] = True
    if args.order:
        request["order"] = [{"field": item.split(":")[0].upper(),
                             "order": (item.split(":") + ["ASC"])[1].upper()}
                            for item in args.order]
    for flag, field in (("label", "labels"), ("exclude_label", "excluded_labels")):
        pairs = getattr(args, flag)
        if pairs:
            request[field] = [{"key": p.split("=", 1)[0], "value": p.split("=", 1)[1]}
                              for p in pairs]
    return request


def cmd_request(args: argparse.Namespace) -> int:
    from workers.client import ReportClient, RequestTimeout

    settings = _client_settings()
    if settings is None:
        return 2
    if args.report == "categorization":
        request = categorization_request(args)
    else:
        given = [f"--{flag.replace('_', '-')}" for flag in CATEGORIZATION_ONLY
                 if getattr(args, flag) not in (None, False)]
        if given:
            return _fail(f"{', '.join(given)}: only for the categorization report")
        request = recurring_request(args)

    async def run() -> dict[str, Any]:
        async with ReportClient(settings) as client:
            return await client.request(args.report, request, timeout=args.timeout)

    try:
        reply = asyncio.run(run())
    except RequestTimeout as exc:
        return _fail(str(exc))
    if args.json:
        print(orjson.dumps(reply, option=orjson.OPT_INDENT_2).decode())
    else:
        print(format_reply(reply))
    return 0 if reply.get("status") == 200 else 1


def _money(txn: dict[str, Any]) -> str:
    amount = txn["amount"]["amount"] / 100
    sign = "-" if txn["type"] == "DEBIT" else "+"
    return f"{sign}{amount:,.2f} {txn['amount']['currency']}"


def format_reply(reply: dict[str, Any], limit: int = 25) -> str:
    """A ReportReply as text tables for a terminal."""
    if reply.get("status") != 200:
        error = reply.get("error") or {}
        lines = [f"status {reply.get('status')} {error.get('code')}: {error.get('message')}"]
        lines += [f"  {e['loc']}: {e['msg']}" for e in error.get("errors", [])]
        return "\n".join(lines)
    out = []
    for report in reply["data"]["reports"]:
        if report["type"] == "RECURRING_TRANSACTIONS":
            out.append(format_recurring_report(report, limit))
            continue
        txns = report["transactions"]
        out.append(f"{report['type']}  consumer {report['insights_consumer_id']}  accounts "
                   f"{', '.join(a[:8] for a in report['insights_account_ids']) or '-'}")
        out.append(f"  {report['from_date']} .. {report['to_date']}  availability "
                   f"{report['data_availability']}  refreshed {report['refreshed_at']}  "
                   f"{len(txns)} transactions")
        out.append(f"  {'date':<10}  {'amount':>16}  {'state':<9}  {'category':<18}  "
                   f"{'brand':<12}  reference")
        for txn in txns[:limit]:
            category = (txn.get("categories") or [{}])[0].get("name", "")
            brand = (txn.get("brand") or {}).get("name", "")
            reference = txn.get("reference") or (txn.get("counter_party") or {}).get(
                "holder_name", "")
            out.append(f"  {txn.get('booking_date') or txn.get('value_date'):<10}  "
                       f"{_money(txn):>16}  {txn.get('state', ''):<9}  {category[:18]:<18}  "
                       f"{brand[:12]:<12}  {reference[:40]}")
        if len(txns) > limit:
            out.append(f"  ... {len(txns) - limit} more")
        out.append("")
    return "\n".join(out)


def _signed(amount: dict[str, Any]) -> str:
    value = amount["amount"] / 100
    return f"{value:+,.2f} {amount.get('currency') or ''}".rstrip() if value else "0.00"


def format_recurring_report(report: dict[str, Any], limit: int = 25) -> str:
    """A Recurring Transactions Report as a text table: one block per interval."""
    out = [f"{report['type']}  consumer {report['insights_consumer_id']}  accounts "
           f"{', '.join(a[:8] for a in report['insights_account_ids']) or '-'}",
           f"  {report['from_date']} .. {report['to_date']}  availability "
           f"{report['data_availability']}  refreshed {report['refreshed_at']}  "
           f"{sum(len(i['transaction_groups']) for i in report['intervals'])} groups"]
    for interval in report["intervals"]:
        out.append(f"  {interval['interval']:<11}  income {_signed(interval['income_amount'])}"
                   f"  expenses {_signed(interval['expense_amount'])}")
        out.append(f"    {'average':>16}  {'days':<5}  {'n':>2}  {'next':<10}  {'active':<6}  "
                   f"{'conf':>4}  {'category':<24}  brand")
        groups = interval["transaction_groups"]
        for group in groups[:limit]:
            category = (group.get("categories") or [{}])[0].get("name", "")
            brand = (group.get("brand") or {}).get("name", "")
            days = f"{group['earliest_day']}-{group['latest_day']}"
            out.append(f"    {_signed(group['average_amount']):>16}  {days:<5}  "
                       f"{len(group['transaction_ids']):>2}  {group.get('next_date', ''):<10}  "
                       f"{str(group.get('active', '')):<6}  {group.get('confidence', 0):>4.2f}  "
                       f"{category[:24]:<24}  {brand}")
        if len(groups) > limit:
            out.append(f"    ... {len(groups) - limit} more")
    out.append("")
    return "\n".join(out)


# ---- generate ----------------------------------------------------------------------------

def cmd_generate(args: argparse.Namespace) -> int:
    from workers.sample_data import generate_sample_data, write_jsonl

    end = date.fromisoformat(args.end_date) if args.end_date else None
    data = generate_sample_data(consumers=args.consumers, months=args.months, end_date=end,
                                seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    accounts = write_jsonl(out / "accounts.jsonl", data.accounts)
    transactions = write_jsonl(out / "transactions.jsonl", data.transactions)
    print(f"wrote {accounts} account events to {out / 'accounts.jsonl'} and {transactions} "
          f"transaction events to {out / 'transactions.jsonl'}")
    return 0


# ---- categories --------------------------------------------------------------------------

def format_categories() -> str:
    """The Category List as an indented text table: id, English name, Norwegian name."""
    from workers.domain.enrichment.taxonomy import CATEGORIES, main_categories

    mains = main_categories()
    lines = [f"Category List: {len(mains)} main categories, {len(CATEGORIES) - len(mains)} "
             "subcategories (ids never change; --json for schemas/categories.json)"]
    for category in CATEGORIES:
        indent = "" if category.is_main else "    "
        lines.append(f"{category.id}  {indent}{category.name}  ({category.name_no})")
    return "\n".join(lines)


def cmd_categories(args: argparse.Namespace) -> int:
    if args.json:
        from schemas.export import render
        from workers.domain.enrichment.taxonomy import category_list_document

        sys.stdout.write(render(category_list_document()))
    else:
        print(format_categories())
    return 0


# ---- demo --------------------------------------------------------------------------------

def start_worker_process(bootstrap: str, data_dir: Path, extra_env: dict[str, str] | None = None,
                         log_path: Path | None = None) -> subprocess.Popen:
    """Start `insights worker` as a child process on the given broker."""
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=bootstrap, INSIGHTS_DATA_DIR=str(data_dir))
    env.setdefault(EMBEDDED_ENV, "embedded")
    env.update(extra_env or {})
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "workers", "worker"], env=env, stdout=out,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def cmd_demo(args: argparse.Namespace) -> int:
    from workers.demo import run_demo

    with tempfile.TemporaryDirectory(prefix="insights-demo-") as tmp, \
            EmbeddedBroker(log_path=Path(tmp) / "broker.log") as broker:
        print(f"embedded broker on {broker.bootstrap_servers}", flush=True)
        # The demo's worker checks tokens like any other; the demo signs its own.
        secret = secrets.token_urlsafe(48)
        worker = start_worker_process(broker.bootstrap_servers, Path(tmp) / "data",
                                      extra_env={"INSIGHTS_JWT_HS256_SECRET": secret},
                                      log_path=Path(tmp) / "worker.log")
        try:
            code = run_demo(broker.bootstrap_servers, worker, consumers=args.consumers,
                            months=args.months, timeout=args.timeout, jwt_secret=secret)
            if code != 0:
                print((Path(tmp) / "worker.log").read_text()[-4000:], file=sys.stderr)
                return code
            if args.once:
                return 0
            with StopSignal() as stop:
                print("\nThe worker keeps serving. In another terminal:\n"
                      f"  export KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap_servers}\n"
                      "  .venv/bin/insights request categorization --consumer <id> "
                      "--order AMOUNT:DESC --size 10\n"
                      "  .venv/bin/insights request recurring-transactions --consumer <id> "
                      "--report-days 365\n"
                      "Ctrl-C stops the worker and the broker.", flush=True)
                stop.wait()
            return 0
        finally:
            stop_process(worker)


# ---- parser ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="insights", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    broker = commands.add_parser("broker", help="run the embedded broker in the foreground")
    broker.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    broker.set_defaults(func=cmd_broker)

    worker = commands.add_parser("worker", help="run one worker (embedded broker when "
                                 "KAFKA_BOOTSTRAP_SERVERS is unset)")
    worker.set_defaults(func=cmd_worker)

    produce = commands.add_parser("produce", help="produce events from a JSON Lines file")
    produce.add_argument("kind", choices=["transactions", "accounts", "feedback"],
                         help="feedback: CategorizationFeedback (category corrections)")
    produce.add_argument("file")
    produce.set_defaults(func=cmd_produce)

    request = commands.add_parser("request", help="request a report and print the reply")
    request.add_argument("report", choices=["categorization", "recurring-transactions"])
    request.add_argument("--consumer", required=True, help="insights_consumer_id")
    request.add_argument("--accounts", nargs="+", help="insights_account_ids")
    request.add_argument("--exclude-accounts", nargs="+", help="excluded_insights_account_ids")
    request.add_argument("--report-days", type=int)
    request.add_argument("--from", dest="from_date", help="YYYY-MM-DD")
    request.add_argument("--to", dest="to_date", help="YYYY-MM-DD")
    request.add_argument("--size", type=int)
    request.add_argument("--offset", type=int)
    request.add_argument("--min-amount", type=int, help="signed, smallest unit (DEBIT < 0)")
    request.add_argument("--max-amount", type=int, help="signed, smallest unit (DEBIT < 0)")
    request.add_argument("--type", dest="transaction_type",
                         choices=["DEBIT", "CREDIT", "DEBIT_AND_ZERO"])
    request.add_argument("--states", nargs="+",
                         choices=["PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"])
    request.add_argument("--transaction-ids", nargs="+")
    request.add_argument("--category-ids", nargs="+")
    request.add_argument("--only-main-category", action="store_true")
    request.add_argument("--brand-ids", nargs="+")
    request.add_argument("--order", nargs="+", metavar="FIELD[:ASC|DESC]",
                         help="AMOUNT, DATE, CATEGORY, BRAND, AMOUNT_WITH_TYPE")
    request.add_argument("--label", nargs="+", metavar="KEY=VALUE")
    request.add_argument("--exclude-label", nargs="+", metavar="KEY=VALUE")
    request.add_argument("--required-availability", choices=["COMPLETE", "PARTIAL", "NONE"])
    request.add_argument("--combine", choices=["NONE", "ALL"])
    request.add_argument("--json", action="store_true", help="print the raw reply")
    request.add_argument("--timeout", type=float, default=30.0)
    request.set_defaults(func=cmd_request)

    generate = commands.add_parser("generate", help="write a realistic sample data set")
    generate.add_argument("--out", default="sample-data")
    generate.add_argument("--consumers", type=int, default=5)
    generate.add_argument("--months", type=int, default=13)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--end-date", help="YYYY-MM-DD (default: today)")
    generate.set_defaults(func=cmd_generate)

    categories = commands.add_parser("categories", help="print the Category List")
    categories.add_argument("--json", action="store_true",
                            help="print it as JSON (the content of schemas/categories.json)")
    categories.set_defaults(func=cmd_categories)

    demo = commands.add_parser("demo", help="broker + worker + sample data + reports")
    demo.add_argument("--once", action="store_true", help="exit after printing the reports")
    demo.add_argument("--consumers", type=int, default=5)
    demo.add_argument("--months", type=int, default=13)
    demo.add_argument("--timeout", type=float, default=180.0)
    demo.set_defaults(func=cmd_demo)

    from workers.config_cli import add_config_commands

    add_config_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
