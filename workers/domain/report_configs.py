"""Merchants' report configurations: operations, idempotence and due report jobs, over two stores.

No Faust here. `accounts` holds one record per merchant account (`aid`):

    {"configs": [stored configuration, ... in creation order],
     "pending": [report job, ...],      # jobs being emitted (see `begin_jobs`)
     "changes": [remembered command, ...]}  # the commands that changed the record, newest last

A stored configuration is the validated configuration plus the seed's Persisted fields and a
private `_schedule` ({"anchor", "last_run_at"}) that is never shown to clients. A remembered
command is {"correlation_id", "fingerprint", "authorization", "reply"}.

The replies of the last `remembered_commands` commands that changed an account are kept in the
account's record, written with the change itself: the change and the reply that reports it
reach the changelog together or not at all, so a command delivered again after a crash finds
either both (and gets the same reply) or neither (and is applied for the first time). Every
other executed command (reads, 404s, 409s) changes nothing; `replies` remembers the replies of
the last `remembered_commands` of them per account, under "<aid>\\x1f<correlation id>", and
their order under "<aid>".
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson

from workers.domain.errors import FieldError, ReportError
from workers.domain.schedules import Period, due_runs, iso, job_id, next_run, parse_instant

KEY_SEPARATOR = "\x1f"
#: Content types of a configuration without `contentTypes`.
DEFAULT_CONTENT_TYPES = ("text/csv",)
#: Runs of one configuration emitted per tick at most (a long outage catches up over ticks).
MAX_RUNS_PER_TICK = 31
#: The due instant of an account with pending jobs: due at any time.
PENDING_DUE = datetime(1970, 1, 1, tzinfo=UTC)


class RecordStore(Protocol):
    def get(self, key: str) -> dict | None: ...
    def set(self, key: str, value: dict) -> None: ...
    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class Receipt:
    """An executed command as it is remembered: its correlation id, a fingerprint of what it
    asked for, the digest of its authorization, and how its result becomes its reply."""

    correlation_id: str
    fingerprint: str
    authorization: str
    reply_of: Callable[[Any], dict[str, Any]]

    def remembered(self, result: Any) -> dict[str, Any]:
        """The remembered command, with the reply of `result`."""
        return {"correlation_id": self.correlation_id, "fingerprint": self.fingerprint,
                "authorization": self.authorization, "reply": self.reply_of(result)}


def not_found(config_id: str) -> ReportError:
    """A 404 for a configuration id the account does not have."""
    return ReportError(404, "NOT_FOUND", f"no configuration {config_id} for this account",
                       [FieldError("id", "unknown configuration id")])


def conflict(code: str, message: str, loc: str = "config") -> ReportError:
    """A 409: the command conflicts with the account's configurations."""
    return ReportError(409, code, message, [FieldError(loc, message)])


def identity(config: dict[str, Any]) -> tuple:
    """What makes two configurations identical (409): everything but `name` and `emails`.

    Filters and content types are compared as sets; no content types means text/csv.
    """
    filters = sorted((f["filter"], f["value"]) for f in config.get("reportFilters") or ())
    content = sorted(config.get("contentTypes") or DEFAULT_CONTENT_TYPES)
    return (config["dataType"], config["schedule"], config["language"], tuple(filters),
            tuple(content))


def fingerprint(document: dict[str, Any]) -> str:
    """A digest of what a command asks for, to tell a redelivery from a reused correlation id."""
    asked = {k: document.get(k) for k in ("operation", "aid", "id", "config")}
    return hashlib.sha256(orjson.dumps(asked, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _runs_owed_after(stored: dict[str, Any]) -> datetime:
    """Runs after this instant are owed: after the schedule began and after the last job."""
    state = stored["_schedule"]
    after = parse_instant(state["anchor"])
    if state.get("last_run_at"):
        after = max(after, parse_instant(state["last_run_at"]))
    return after


def digest(text: str | None) -> str:
    """A digest of a secret-bearing value (the authorization), kept instead of the value."""
    return hashlib.sha256((text or "").encode()).hexdigest()


class ConfigRegistry:
    """Create, update, get, list and delete configurations; remember replies; emit jobs.

    Also keeps a derived, in-memory index: per account, the earliest instant at which one of
    its configurations has a job due (rebuilt from the store with `rebuild`).
    """

    def __init__(self, accounts: RecordStore, replies: RecordStore, *, zone: ZoneInfo,
                 max_configs: int = 100, remembered_commands: int = 100,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.accounts, self.replies, self.zone = accounts, replies, zone
        self.max_configs, self.remembered_commands = max_configs, remembered_commands
        self.new_id = new_id
        self.due: dict[str, datetime] = {}

    # --- reading ---------------------------------------------------------------------------

    def _record(self, aid: str) -> dict[str, Any]:
        return self.accounts.get(aid) or {"configs": [], "pending": [], "changes": []}

    def _write(self, aid: str, record: dict[str, Any]) -> None:
        if record["configs"] or record["pending"] or record.get("changes"):
            self.accounts.set(aid, record)
        else:
            self.accounts.delete(aid)
        self._index(aid, record)

    def next_run_of(self, stored: dict[str, Any]) -> Period:
        """The next run of a stored configuration that no job has been sent for."""
        return next_run(stored["schedule"], _runs_owed_after(stored), self.zone)

    def public(self, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored configuration as clients see it: without private fields, with next_run_at."""
        view = {k: v for k, v in stored.items() if not k.startswith("_")}
        view["next_run_at"] = iso(self.next_run_of(stored).run_at)
        return view

    def _find(self, record: dict[str, Any], config_id: str) -> int:
        for index, stored in enumerate(record["configs"]):
            if stored["id"] == config_id.lower():
                return index
        raise not_found(config_id)

    def get(self, aid: str, config_id: str) -> dict[str, Any]:
        """One configuration of the account (404 if unknown)."""
        record = self._record(aid)
        return self.public(record["configs"][self._find(record, config_id)])

    def list(self, aid: str) -> list[dict[str, Any]]:
        """The account's configurations in creation order."""
        return [self.public(stored) for stored in self._record(aid)["configs"]]

    # --- changing ----------------------------------------------------------------------------

    def _check_identical(self, record: dict[str, Any], config: dict[str, Any],
                         except_id: str | None = None) -> None:
        wanted = identity(config)
        for stored in record["configs"]:
            if stored["id"] != except_id and identity(stored) == wanted:
                raise conflict("CONFLICT", "an identical configuration exists: "
                               f"{stored['id']} (same dataType, schedule, language, "
                               "filters and content types)")

    def _write_change(self, aid: str, record: dict[str, Any], receipt: Receipt | None,
                      result: dict[str, Any]) -> dict[str, Any]:
        """Write a changed record together with the reply of the command that changed it;
        returns `result`."""
        if receipt is not None:
            changes = record.setdefault("changes", [])
            changes.append(receipt.remembered(result))
            del changes[:max(0, len(changes) - self.remembered_commands)]
        self._write(aid, record)
        return result

    def create(self, aid: str, config: dict[str, Any], subject: str, now: datetime,
               receipt: Receipt | None = None) -> dict[str, Any]:
        """Store a new configuration (409 when identical to another or over the bound)."""
        record = self._record(aid)
        if len(record["configs"]) >= self.max_configs:
            raise conflict("LIMIT_REACHED", f"account {aid} has {len(record['configs'])} "
                           f"configurations, the most allowed; delete one first")
        self._check_identical(record, config)
        stored = {"id": self.new_id(), "accountId": aid, "created_at": iso(now),
                  "created_by": subject, **config,
                  "_schedule": {"anchor": iso(now), "last_run_at": None}}
        record["configs"].append(stored)
        return self._write_change(aid, record, receipt, self.public(stored))

    def update(self, aid: str, config_id: str, config: dict[str, Any], subject: str,
               now: datetime, receipt: Receipt | None = None) -> dict[str, Any]:
        """Replace a configuration; `id` and `created_*` stay. A new schedule starts now."""
        record = self._record(aid)
        index = self._find(record, config_id)
        old = record["configs"][index]
        self._check_identical(record, config, except_id=old["id"])
        schedule = dict(old["_schedule"])
        if config["schedule"] != old["schedule"]:
            # Runs of the new schedule that fell before this update are not owed.
            schedule = {"anchor": iso(now), "last_run_at": schedule.get("last_run_at")}
        stored = {k: old[k] for k in ("id", "accountId", "created_at", "created_by")}
        stored.update(updated_at=iso(now), updated_by=subject, **config, _schedule=schedule)
        record["configs"][index] = stored
        return self._write_change(aid, record, receipt, self.public(stored))

    def delete(self, aid: str, config_id: str,
               receipt: Receipt | None = None) -> dict[str, Any]:
        """Remove a configuration; returns it as it was (404 if unknown)."""
        record = self._record(aid)
        stored = record["configs"].pop(self._find(record, config_id))
        return self._write_change(aid, record, receipt, self.public(stored))

    # --- replies of executed commands ----------------------------------------------------------

    def remembered(self, aid: str, correlation_id: str) -> dict[str, Any] | None:
        """{"fingerprint", "authorization", "reply"} of an executed command, if remembered:
        a change's in the account's record, any other command's in `replies`."""
        for change in self._record(aid).get("changes", ()):
            if change["correlation_id"] == correlation_id:
                return change
        return self.replies.get(f"{aid}{KEY_SEPARATOR}{correlation_id}")

    def remember(self, aid: str, correlation_id: str, command_fingerprint: str,
                 authorization_digest: str, reply: dict[str, Any]) -> None:
        """Keep the reply of a command that changed nothing; the oldest of the account's
        remembered replies beyond the bound goes. (A change's reply is written with the
        change: the `receipt` of create, update and delete.)"""
        order = (self.replies.get(aid) or {"order": []})["order"]
        if correlation_id not in order:
            order.append(correlation_id)
        while len(order) > self.remembered_commands:
            self.replies.delete(f"{aid}{KEY_SEPARATOR}{order.pop(0)}")
        self.replies.set(aid, {"order": order})
        self.replies.set(f"{aid}{KEY_SEPARATOR}{correlation_id}",
                         {"fingerprint": command_fingerprint,
                          "authorization": authorization_digest, "reply": reply})

    # --- schedules ------------------------------------------------------------------------------

    def _earliest_due(self, record: dict[str, Any]) -> datetime | None:
        if record["pending"]:
            return PENDING_DUE
        runs = [self.next_run_of(stored).run_at for stored in record["configs"]]
        return min(runs) if runs else None

    def _index(self, aid: str, record: dict[str, Any]) -> None:
        due = self._earliest_due(record)
        if due is None:
            self.due.pop(aid, None)
        else:
            self.due[aid] = due

    def rebuild(self, items: Iterable[tuple[str, dict]], keep: Callable[[str], bool]) -> None:
        """Rebuild the due index from the store's (aid, record) pairs, for accounts kept."""
        self.due.clear()
        for aid, record in items:
            if keep(aid):
                self._index(aid, record)

    def due_accounts(self, now: datetime, keep: Callable[[str], bool]) -> list[str]:
        """Accounts kept by `keep` with a job due at `now`, per the due index."""
        return sorted(aid for aid, due in self.due.items() if due <= now and keep(aid))

    def begin_jobs(self, aid: str, now: datetime) -> list[dict[str, Any]]:
        """The jobs of `aid` to emit now, recorded as pending before they are sent.

        Jobs still pending from an interrupted emission are returned again with `attempt`
        raised, so a consumer can tell that it may have seen them already.
        """
        record = self._record(aid)
        if record["pending"]:
            jobs = [{**job, "attempt": job["attempt"] + 1} for job in record["pending"]]
        else:
            jobs = []
            for stored in record["configs"]:
                for period in due_runs(stored["schedule"], _runs_owed_after(stored), now,
                                       self.zone, MAX_RUNS_PER_TICK):
                    jobs.append(self.job(stored, period))
        if jobs:
            record["pending"] = jobs
            self._write(aid, record)
        return jobs

    def finish_jobs(self, aid: str, jobs: list[dict[str, Any]]) -> None:
        """Record that `jobs` were sent: each configuration's last run moves to its job's run."""
        record = self._record(aid)
        sent = {job["job_id"] for job in jobs}
        record["pending"] = [job for job in record["pending"] if job["job_id"] not in sent]
        by_config = {stored["id"]: stored for stored in record["configs"]}
        for job in jobs:
            stored = by_config.get(job["configuration_id"])
            if stored is None:
                continue  # deleted while the job was being sent
            last = stored["_schedule"].get("last_run_at")
            if last is None or parse_instant(last) < parse_instant(job["run_at"]):
                stored["_schedule"] = {**stored["_schedule"], "last_run_at": job["run_at"]}
        self._write(aid, record)

    def job(self, stored: dict[str, Any], period: Period, attempt: int = 1) -> dict[str, Any]:
        """The ReportJob of one configuration and period."""
        job = {"job_id": job_id(stored["id"], period), "attempt": attempt,
               "configuration_id": stored["id"], "aid": stored["accountId"],
               "dataType": stored["dataType"], "schedule": stored["schedule"],
               "run_at": iso(period.run_at),
               "period": {"from_date": period.from_date.isoformat(),
                          "to_date": period.to_date.isoformat(), "start": iso(period.start),
                          "end": iso(period.end), "time_zone": self.zone.key},
               "language": stored["language"],
               "contentTypes": list(stored.get("contentTypes") or DEFAULT_CONTENT_TYPES),
               "reportFilters": list(stored.get("reportFilters") or ()),
               "emails": list(stored.get("emails") or ())}
        if stored.get("name"):
            job["name"] = stored["name"]
        return job
