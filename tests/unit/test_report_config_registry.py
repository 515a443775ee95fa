"""Operations, idempotence and report jobs of configurations (workers/domain/report_configs.py,
workers/report_configs.py) over plain dict stores."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from schemas.configs import ConfigReply, ReportJob
from workers.domain.authorization import TokenVerifier, mint_token
from workers.domain.history import DictStore
from workers.domain.report_configs import MAX_RUNS_PER_TICK, ConfigRegistry
from workers.report_configs import ConfigCommands
from workers.reports import peek

AID, OTHER = "P00000001", "T00000002"
SECRET = "k" * 40
OSLO = ZoneInfo("Europe/Oslo")
T0 = datetime(2025, 1, 10, 12, tzinfo=UTC)
DAILY = {"dataType": "checkout/transactions", "language": "en", "schedule": "daily"}
MONTHLY = {"dataType": "wallets/transactions", "language": "no", "schedule": "monthly",
           "name": "Wallets", "emails": ["a@example.com"]}


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.instant = now

    def now(self) -> datetime:
        return self.instant


def token(aid=AID, *scopes, subject="user-1"):
    return "Bearer " + mint_token(SECRET, "HS256", subject=subject,
                                  scopes=scopes or ("write:insight",), aid=aid,
                                  audience="account-insights")


class Service:
    """ConfigCommands over dict stores with a fake clock and predictable ids."""

    def __init__(self, **registry_options) -> None:
        counter = itertools.count(1)
        self.accounts, self.replies = DictStore(), DictStore()
        self.registry = ConfigRegistry(self.accounts, self.replies, zone=OSLO,
                                       new_id=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
                                       **registry_options)
        self.clock = FakeClock(T0)
        self.commands = ConfigCommands(self.registry,
                                       TokenVerifier(SECRET, "HS256", "account-insights"),
                                       self.clock)
        self._ids = itertools.count(1)

    def send(self, operation, aid=AID, *, authorization=None, correlation_id=None, **fields):
        document = {"correlation_id": correlation_id or f"c-{next(self._ids)}",
                    "operation": operation, "aid": aid,
                    "authorization": authorization if authorization is not None else token(aid)}
        document.update(fields)
        raw = orjson.dumps(document)
        reply = self.commands.answer(raw, peek(raw))
        ConfigReply.model_validate_json(orjson.dumps(reply))
        return reply


def test_create_get_list_update_delete():
    service = Service()
    created = service.send("create", config=DAILY)
    assert created["status"] == 200
    data = created["data"]
    assert data == {"id": "00000000-0000-4000-8000-000000000001", "accountId": AID,
                    "created_at": "2025-01-10T12:00:00.000Z", "created_by": "user-1",
                    **DAILY, "next_run_at": "2025-01-11T06:00:00.000+01:00"}
    second = service.send("create", config=MONTHLY)["data"]
    assert service.send("get", id=data["id"].upper())["data"] == data
    assert service.send("list")["data"] == [data, second]

    service.clock.instant = T0 + timedelta(days=1)
    updated = service.send("update", id=data["id"], config={**DAILY, "name": "Renamed"},
                           authorization=token(AID, "admin:insight", subject="support"))
    assert updated["data"] == {**data, "name": "Renamed", "updated_at": "2025-01-11T12:00:00.000Z",
                               "updated_by": "support"}
    # An update replaces the configuration: fields left out are gone.
    assert "name" not in service.send("update", id=data["id"], config=DAILY)["data"]

    deleted = service.send("delete", id=second["id"])
    assert deleted["status"] == 200 and deleted["data"]["id"] == second["id"]
    assert [c["id"] for c in service.send("list")["data"]] == [data["id"]]
    assert service.send("list", OTHER)["data"] == []
    service.send("delete", id=data["id"])
    # An account without configurations keeps only the replies of its last changes.
    assert service.accounts[AID]["configs"] == service.accounts[AID]["pending"] == []
    assert len(service.accounts[AID]["changes"]) == 6  # two creates, two updates, two deletes


@pytest.mark.parametrize("operation, fields", [
    ("get", {}), ("delete", {}), ("update", {"config": DAILY})])
def test_unknown_ids_are_404(operation, fields):
    service = Service()
    service.send("create", config=DAILY)
    reply = service.send(operation, id="00000000-0000-4000-8000-00000000ffff", **fields)
    assert reply["status"] == 404 and reply["error"]["errors"][0]["loc"] == "id"
    other = service.send(operation, OTHER, id="00000000-0000-4000-8000-000000000001", **fields)
    assert other["status"] == 404  # ids of another account are unknown here


IDENTICAL = [
    ("same fields", DAILY, DAILY, True),
    ("name and e-mails do not count", DAILY, {**DAILY, "name": "x", "emails": ["b@example.com"]},
     True),
    ("content types are a set", {**DAILY, "contentTypes": ["text/csv", "application/pdf"]},
     {**DAILY, "contentTypes": ["application/pdf", "text/csv"]}, True),
    ("no content types means text/csv", DAILY, {**DAILY, "contentTypes": ["text/csv"]}, True),
    ("filters are a set", {**DAILY, "reportFilters": [{"filter": "store_id", "value": "a"},
                                                      {"filter": "store_id", "value": "b"}]},
     {**DAILY, "reportFilters": [{"filter": "store_id", "value": "b"},
                                 {"filter": "store_id", "value": "a"}]}, True),
    ("no filters equal an empty list", DAILY, {**DAILY, "reportFilters": []}, True),
    ("another schedule", DAILY, {**DAILY, "schedule": "weekly"}, False),
    ("another language", DAILY, {**DAILY, "language": "no"}, False),
    ("another filter value", {**DAILY, "reportFilters": [{"filter": "store_id", "value": "a"}]},
     {**DAILY, "reportFilters": [{"filter": "store_id", "value": "b"}]}, False),
    ("pdf besides csv", DAILY, {**DAILY, "contentTypes": ["application/pdf", "text/csv"]}, False),
    ("another data type", DAILY, {**DAILY, "dataType": "checkout/transactions/open"}, False),
]


@pytest.mark.parametrize("first, second, conflict", [(a, b, c) for _, a, b, c in IDENTICAL],
                         ids=[n for n, *_ in IDENTICAL])
def test_409_for_an_identical_configuration(first, second, conflict):
    service = Service()
    assert service.send("create", config=first)["status"] == 200
    reply = service.send("create", config=second)
    assert reply["status"] == (409 if conflict else 200), reply
    if conflict:
        assert reply["error"]["code"] == "CONFLICT"
    assert service.send("create", OTHER, config=second)["status"] == 200  # per account


def test_an_update_may_keep_itself_but_not_copy_another():
    service = Service()
    first = service.send("create", config=DAILY)["data"]["id"]
    second = service.send("create", config={**DAILY, "schedule": "weekly"})["data"]["id"]
    assert service.send("update", id=first, config={**DAILY, "name": "n"})["status"] == 200
    reply = service.send("update", id=second, config=DAILY)
    assert reply["status"] == 409 and first in reply["error"]["message"]


def test_the_number_of_configurations_per_account_is_bounded():
    service = Service(max_configs=2)
    assert service.send("create", config=DAILY)["status"] == 200
    kept = service.send("create", config=MONTHLY)["data"]["id"]
    over = service.send("create", config={**DAILY, "schedule": "weekly"})
    assert over["status"] == 409 and over["error"]["code"] == "LIMIT_REACHED"
    assert len(service.send("list")["data"]) == 2
    service.send("delete", id=kept)
    assert service.send("create", config={**DAILY, "schedule": "weekly"})["status"] == 200


def test_a_command_delivered_twice_is_applied_once_with_the_same_reply():
    service = Service()
    first = service.send("create", config=DAILY, correlation_id="same")
    service.clock.instant += timedelta(hours=1)
    assert service.send("create", config=DAILY, correlation_id="same") == first
    # A client's retry with a fresh token is the same command.
    retry = service.send("create", config=DAILY, correlation_id="same",
                         authorization=token(AID, "write:insight", subject="someone"))
    assert retry == first
    assert len(service.send("list")["data"]) == 1
    # Reads and failures are remembered too: the same reply, even after a change.
    listed = service.send("list", correlation_id="read-1")
    service.send("delete", id=first["data"]["id"])
    assert service.send("list", correlation_id="read-1") == listed
    missing = service.send("get", id=first["data"]["id"], correlation_id="miss")
    service.send("create", config=DAILY)
    assert service.send("get", id=first["data"]["id"], correlation_id="miss") == missing


def test_a_change_and_its_reply_are_one_write():
    """After a crash the changelogs of the two stores can disagree; a change's reply travels
    with the change, so a redelivered command gets its reply back whatever the replies store
    lost, and is applied anew (once) when the change itself was lost."""
    service = Service()
    created = service.send("create", config=DAILY, correlation_id="create-1")
    config_id = created["data"]["id"]
    renamed = {**DAILY, "name": "Daily"}
    updated = service.send("update", id=config_id, config=renamed, correlation_id="update-1")
    assert service.replies == {}  # changes are remembered in the account's record only
    assert service.send("create", config=DAILY, correlation_id="create-1") == created
    assert service.send("update", id=config_id, config=renamed,
                        correlation_id="update-1") == updated
    assert [c["id"] for c in service.send("list")["data"]] == [config_id]

    # The account's record lost (its changelog record never written): the command runs again.
    service.accounts.clear()
    rerun = service.send("create", config=DAILY, correlation_id="create-1")
    assert rerun["status"] == 200 and rerun["data"]["id"] != config_id
    assert len(service.send("list")["data"]) == 1


def test_the_replies_of_changes_are_bounded_per_account():
    service = Service(remembered_commands=2)
    ids = [service.send("create", config={**DAILY, "schedule": schedule},
                        correlation_id=f"c{index}")["data"]["id"]
           for index, schedule in enumerate(("daily", "weekly", "monthly"))]
    assert [c["correlation_id"] for c in service.accounts[AID]["changes"]] == ["c1", "c2"]
    # c0 is forgotten: sent again, it runs again and finds its own configuration.
    again = service.send("create", config=DAILY, correlation_id="c0")
    assert again["status"] == 409 and ids[0] in again["error"]["message"]
    # Deleting the last configuration keeps the record for the replies it remembers.
    for config_id in ids:
        service.send("delete", id=config_id, correlation_id=f"d-{config_id}")
    assert service.accounts[AID]["configs"] == []
    deleted = service.send("delete", id=ids[-1], correlation_id=f"d-{ids[-1]}")
    assert deleted["status"] == 200 and deleted["data"]["id"] == ids[-1]


def test_a_correlation_id_reused_for_another_command_is_a_409():
    service = Service()
    service.send("create", config=DAILY, correlation_id="same")
    reply = service.send("create", config=MONTHLY, correlation_id="same")
    assert reply["status"] == 409 and reply["error"]["code"] == "CORRELATION_ID_REUSED"
    assert len(service.send("list")["data"]) == 1


def test_rejected_commands_are_not_remembered():
    service = Service()
    denied = service.send("create", config=DAILY, correlation_id="c",
                          authorization=token(AID, "read:insight"))
    assert denied["status"] == 403
    invalid = service.send("create", config={**DAILY, "schedule": "hourly"}, correlation_id="d")
    assert invalid["status"] == 400
    assert service.send("create", config=DAILY, correlation_id="c")["status"] == 200
    assert service.send("create", config=MONTHLY, correlation_id="d")["status"] == 200
    anonymous = service.send("list", correlation_id="e", authorization="")
    assert anonymous["status"] == 401
    assert service.send("list", correlation_id="e")["status"] == 200


def test_an_exact_redelivery_is_answered_even_when_its_token_no_longer_verifies():
    service = Service()
    reader = token(AID, "read:insight")
    first = service.send("list", correlation_id="r", authorization=reader)
    # As if the token had expired meanwhile: no token verifies any more.
    service.commands.verifier = TokenVerifier("z" * 40, "HS256", "account-insights")
    assert service.send("list", correlation_id="r", authorization=reader) == first
    assert service.send("list", correlation_id="r2", authorization=reader)["status"] == 401


def test_remembered_replies_are_bounded_per_account():
    service = Service(remembered_commands=3)
    for index in range(5):
        service.send("list", correlation_id=f"r{index}")
    keys = sorted(k for k in service.replies if "\x1f" in k)
    assert keys == [f"{AID}\x1fr2", f"{AID}\x1fr3", f"{AID}\x1fr4"]
    assert service.replies[AID] == {"order": ["r2", "r3", "r4"]}


# --- report jobs -------------------------------------------------------------------------------


def emit(registry: ConfigRegistry, now: datetime, aid: str = AID) -> list[dict]:
    jobs = registry.begin_jobs(aid, now)
    registry.finish_jobs(aid, jobs)
    return jobs


def test_jobs_are_emitted_once_per_period():
    service = Service()
    registry = service.registry
    daily = service.send("create", config=DAILY)["data"]
    monthly = service.send("create", config=MONTHLY)["data"]
    assert registry.due == {AID: datetime(2025, 1, 11, 6, tzinfo=OSLO)}
    assert registry.due_accounts(T0, keep=lambda aid: True) == []
    assert emit(registry, T0) == []

    now = datetime(2025, 2, 1, 7, tzinfo=UTC)
    jobs = emit(registry, now)
    for job in jobs:
        ReportJob.model_validate(job)
    by_config = {c: [j for j in jobs if j["configuration_id"] == c]
                 for c in (daily["id"], monthly["id"])}
    assert [j["period"]["from_date"] for j in by_config[daily["id"]]] == [
        (datetime(2025, 1, 10) + timedelta(days=d)).date().isoformat() for d in range(22)]
    [wallets] = by_config[monthly["id"]]
    assert wallets["period"] == {"from_date": "2025-01-01", "to_date": "2025-01-31",
                                 "start": "2025-01-01T00:00:00.000+01:00",
                                 "end": "2025-02-01T00:00:00.000+01:00",
                                 "time_zone": "Europe/Oslo"}
    assert (wallets["run_at"], wallets["attempt"], wallets["name"], wallets["emails"],
            wallets["contentTypes"]) == ("2025-02-01T06:00:00.000+01:00", 1, "Wallets",
                                         ["a@example.com"], ["text/csv"])
    assert emit(registry, now) == []  # nothing is due twice
    got = service.send("get", id=daily["id"])["data"]
    assert got["next_run_at"] == "2025-02-02T06:00:00.000+01:00"
    assert "_schedule" not in got


def test_an_interrupted_emission_is_repeated_with_the_same_job_ids_flagged():
    service = Service()
    service.send("create", config=DAILY)
    registry = service.registry
    now = datetime(2025, 1, 12, 7, tzinfo=UTC)
    first = registry.begin_jobs(AID, now)  # sent, then a crash before finish_jobs
    assert registry.due_accounts(now, keep=lambda aid: True) == [AID]
    again = registry.begin_jobs(AID, now + timedelta(days=5))
    assert [j["job_id"] for j in again] == [j["job_id"] for j in first]
    assert {j["attempt"] for j in again} == {2}
    registry.finish_jobs(AID, again)
    later = emit(registry, now + timedelta(days=5))
    assert later[0]["period"]["from_date"] == "2025-01-12"  # continues after the last period
    assert not set(j["job_id"] for j in later) & set(j["job_id"] for j in first)


def test_changes_while_jobs_are_sent():
    service = Service()
    registry = service.registry
    daily = service.send("create", config=DAILY)["data"]["id"]
    monthly = service.send("create", config=MONTHLY)["data"]["id"]
    now = datetime(2025, 2, 1, 7, tzinfo=UTC)
    jobs = registry.begin_jobs(AID, now)
    service.send("delete", id=monthly)
    registry.finish_jobs(AID, jobs)
    assert registry.accounts[AID]["pending"] == []
    assert [c["id"] for c in service.send("list")["data"]] == [daily]


def test_a_new_schedule_owes_no_runs_from_before_it():
    service = Service()
    config_id = service.send("create", config={**DAILY, "schedule": "monthly"})["data"]["id"]
    service.clock.instant = datetime(2025, 1, 20, 12, tzinfo=UTC)
    updated = service.send("update", id=config_id, config=DAILY)["data"]
    assert updated["next_run_at"] == "2025-01-21T06:00:00.000+01:00"
    jobs = emit(service.registry, datetime(2025, 1, 22, 7, tzinfo=UTC))
    assert [j["period"]["from_date"] for j in jobs] == ["2025-01-20", "2025-01-21"]
    # Changing only the name keeps the schedule's progress.
    service.clock.instant = datetime(2025, 1, 23, 12, tzinfo=UTC)
    renamed = service.send("update", id=config_id, config={**DAILY, "name": "n"})["data"]
    assert renamed["next_run_at"] == "2025-01-23T06:00:00.000+01:00"


def test_a_long_outage_catches_up_in_bounded_steps():
    service = Service()
    service.send("create", config=DAILY)
    now = T0 + timedelta(days=100)
    batches = []
    while jobs := emit(service.registry, now):
        batches.append(len(jobs))
    assert batches == [MAX_RUNS_PER_TICK] * 3 + [100 - 3 * MAX_RUNS_PER_TICK]


def test_the_due_index_is_rebuilt_from_the_store_for_owned_accounts():
    service = Service()
    service.send("create", config=DAILY)
    service.send("create", OTHER, config=MONTHLY)
    expected = dict(service.registry.due)
    service.registry.due.clear()
    service.registry.rebuild(service.accounts.items(), keep=lambda aid: True)
    assert service.registry.due == expected
    service.registry.rebuild(service.accounts.items(), keep=lambda aid: aid == OTHER)
    assert list(service.registry.due) == [OTHER]
