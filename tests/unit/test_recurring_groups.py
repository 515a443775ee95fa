"""Recurring groups kept in step with the history (workers/domain/recurring_groups.py), through
ConsumerState over DictStores: every change reaches the right buckets, batches settle once,
the bucket states equal a rebuild from the live transactions, and `verify` / `heal` repair a
recurring table cut at another point than the transactions table after a crash.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from schemas.contract import TransactionEvent
from workers.domain.consumer_state import ConsumerState
from workers.domain.history import DictStore, SourcePosition, client_view
from workers.domain.recurring_state import build_states, groups

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
SOURCE = "insights.transactions.v1:0"
# Counterparties whose bucket keys differ: a brand, an IBAN, a private landlord's name.
PARTIES = {
    "netflix": {"reference": "NETFLIX.COM 866-579-7172"},
    "rent": {"reference": "Miete", "counter_party": {"holder_name": "Erika Mustermann",
                                                     "iban": "DE02120300000000202051"}},
    "gym": {"reference": "Mitgliedsbeitrag", "counter_party": {"holder_name": "Fitness Weber"}},
}


def event(txn_id: str, day: date, party: str, amount: int = 1599, *, account: str = "acc-1",
          state: str = "PROCESSED", deleted: bool = False) -> dict:
    raw: dict[str, Any] = {"insights_consumer_id": CONSUMER, "insights_account_id": account,
                           "insights_transaction_id": txn_id, "booking_date": day.isoformat(),
                           "amount": {"amount": amount, "currency": "EUR"}, "type": "DEBIT",
                           "state": state, "deleted": deleted, **PARTIES[party]}
    return TransactionEvent.model_validate_json(orjson.dumps(raw)).model_dump(
        mode="json", exclude_none=True)


def monthly(prefix: str, party: str, count: int, day: int = 5, amount: int = 1599,
            start: date = date(2024, 1, 1)) -> list[dict]:
    out = []
    for i in range(count):
        year, month = divmod(start.month - 1 + i, 12)
        out.append(event(f"{prefix}{i:02d}", date(start.year + year, month + 1, day), party,
                         amount))
    return out


def apply_all(state: ConsumerState, events: list[dict], first_offset: int = 0) -> None:
    for offset, item in enumerate(events, start=first_offset):
        state.history.apply_transaction(item, SourcePosition(SOURCE, offset))


def live_records(state: ConsumerState) -> list[dict]:
    return [client_view(state.history.record_of(CONSUMER, meta.transaction_id))
            for meta in state.history.metas(CONSUMER) if not meta.deleted]


def reference_states(state: ConsumerState) -> list[dict]:
    """The bucket states built in one step from the live transactions."""
    return [s for _, s in sorted(build_states(live_records(state)).items())]


def test_a_batch_settles_each_bucket_once_and_equals_a_rebuild() -> None:
    state = ConsumerState.in_memory()
    apply_all(state, monthly("n", "netflix", 6) + monthly("r", "rent", 6, day=1, amount=95000))
    assert state.recurring.queued == 12
    assert state.settle_recurring() == 2  # two buckets written, one detection each
    assert state.recurring.queued == 0
    states = state.recurring.states(CONSUMER)
    assert states == reference_states(state)
    assert sorted(g["interval"] for s in states for g in groups(s)) == ["MONTHLY", "MONTHLY"]


def test_changes_queued_over_many_batches_settle_like_one_by_one() -> None:
    events = monthly("n", "netflix", 8) + monthly("r", "rent", 8, day=1, amount=95000)
    changes = [event("n03", date(2024, 4, 5), "gym"), event("r02", date(2024, 3, 1), "rent",
                                                            deleted=True),
               event("n05", date(2024, 6, 5), "netflix", 1799)]
    one_by_one = ConsumerState.in_memory()
    for offset, item in enumerate(events + changes):
        one_by_one.apply_transaction(item, SourcePosition(SOURCE, offset))
    deferred = ConsumerState.in_memory()
    apply_all(deferred, events + changes)
    assert deferred.recurring.queued == 17  # ids per bucket: 16, and n03 also under the gym
    assert deferred.settle_recurring() == 3
    assert deferred.recurring.states(CONSUMER) == one_by_one.recurring.states(CONSUMER)


def test_settling_one_consumer_leaves_the_others_queued() -> None:
    state = ConsumerState.in_memory()
    apply_all(state, monthly("n", "netflix", 4))
    other = {**event("x1", date(2024, 1, 5), "netflix"), "insights_consumer_id": "other"}
    state.history.apply_transaction(other, SourcePosition(SOURCE, 50))
    assert state.settle_recurring([CONSUMER]) == 1
    assert state.recurring.queued == 1
    assert state.recurring.states("other") == []
    assert state.settle_recurring() == 1 and state.recurring.queued == 0


def test_a_settle_with_a_budget_leaves_the_rest_queued() -> None:
    state = ConsumerState.in_memory()
    apply_all(state, monthly("n", "netflix", 4) + monthly("r", "rent", 4, day=1, amount=95000)
              + monthly("g", "gym", 4, day=15, amount=3900))
    assert state.settle_recurring(max_buckets=2) == 2
    assert state.recurring.queued == 4
    assert state.settle_recurring(max_buckets=2) == 1
    assert state.recurring.queued == 0
    assert state.recurring.states(CONSUMER) == reference_states(state)


def test_moves_between_buckets_deletes_and_failures_follow_the_transaction() -> None:
    state = ConsumerState.in_memory()
    events = monthly("n", "netflix", 5)
    apply_all(state, events)
    state.settle_recurring()
    # t n02 becomes a gym payment, n03 fails, n04 is deleted: the Netflix bucket keeps 2.
    moved = event("n02", date(2024, 3, 5), "gym")
    failed = event("n03", date(2024, 4, 5), "netflix", state="FAILED")
    deleted = event("n04", date(2024, 5, 5), "netflix", deleted=True)
    apply_all(state, [moved, failed, deleted], first_offset=10)
    state.settle_recurring()
    states = state.recurring.states(CONSUMER)
    assert states == reference_states(state)
    members = sorted(sorted(t for a in s["items"].values() for t in a) for s in states)
    assert members == [["n00", "n01"], ["n02"]]


def test_retention_removes_expired_transactions_from_their_buckets() -> None:
    state = ConsumerState.in_memory(retention_days=100)
    apply_all(state, monthly("n", "netflix", 6))
    state.settle_recurring()
    # Only the payments of the last 100 days before the newest date stay, in the bucket too.
    kept = sorted(t for s in state.recurring.states(CONSUMER) for a in s["items"].values()
                  for t in a)
    assert kept == sorted(m.transaction_id for m in state.history.metas(CONSUMER)
                          if not m.deleted)
    assert kept == ["n02", "n03", "n04", "n05"]  # newest 2024-06-05, cutoff 2024-02-26


def test_a_clean_state_verifies_and_a_damaged_one_is_repaired() -> None:
    state = ConsumerState.in_memory()
    apply_all(state, monthly("n", "netflix", 6) + monthly("r", "rent", 4, day=1, amount=95000))
    state.settle_recurring()
    assert state.recurring.verify(state.history) == []
    good = copy.deepcopy(state.recurring.states(CONSUMER))
    store = state.recurring.store
    netflix_key, rent_key = sorted(store)
    damaged = copy.deepcopy(store[netflix_key])
    account = damaged["items"]["acc-1"]
    account.pop(sorted(account)[-1])  # a lost upsert
    account["ghost"] = ["2024-02-05", 1599]  # a lost removal
    store[netflix_key] = damaged
    del store[rent_key]  # a lost bucket
    assert sorted(b for _, b in state.recurring.verify(state.history)) == sorted(
        [netflix_key.split("\x1f")[1], rent_key.split("\x1f")[1]])
    assert state.verify_recurring() == 2
    assert state.recurring.states(CONSUMER) == good
    assert state.recurring.verify(state.history) == []


def test_after_a_recovery_a_consumer_is_checked_before_its_buckets_are_used() -> None:
    """The store a recovery leaves (here: empty, as a local table after a crash) is checked
    consumer by consumer: before the consumer's queued changes are settled or its report
    reads the buckets, or in the background; nobody sees an unchecked bucket."""
    other = "0b1c2d3-4e5f607-182930-a1b2c-3d4e5f"
    state = ConsumerState.in_memory()
    apply_all(state, monthly("n", "netflix", 6) + monthly("r", "rent", 4, day=1, amount=95000))
    apply_all(state, [{**e, "insights_consumer_id": other}
                      for e in monthly("g", "gym", 5, day=15, amount=3900)], first_offset=50)
    state.settle_recurring()
    expected = {c: state.recurring.states(c) for c in (CONSUMER, other)}

    state.recurring.store.clear()
    state.recurring.rebuild([])
    state.defer_recurring_check()
    assert state.recurring.unchecked == 2
    assert state.recurring.states(CONSUMER) == []  # the store holds nothing yet

    # A new payment of CONSUMER: its settle checks CONSUMER first; `other` stays unchecked.
    state.history.apply_transaction(event("n06", date(2024, 7, 5), "netflix"),
                                    SourcePosition(SOURCE, 99))
    state.settle_recurring([CONSUMER])
    assert state.recurring.states(CONSUMER) == reference_states(state)
    assert len(groups(state.recurring.states(CONSUMER)[0])[0]["ids"]) == 7
    assert state.recurring.unchecked == 1 and state.recurring.states(other) == []

    assert state.check_recurring(max_consumers=1) == 1  # the gym bucket
    assert state.recurring.unchecked == 0
    assert state.recurring.states(other) == expected[other]
    assert state.recurring.verify(state.history) == []
    assert state.check_recurring() == 0


def test_a_deferred_check_applies_the_changes_queued_meanwhile() -> None:
    state = ConsumerState.in_memory()
    apply_all(state, monthly("n", "netflix", 6))
    state.settle_recurring()
    state.recurring.rebuild(list(state.recurring.store.items()))
    state.defer_recurring_check()
    apply_all(state, [event("n02", date(2024, 3, 5), "netflix", deleted=True)], first_offset=60)
    assert state.recurring.queued == 1
    state.settle_recurring()  # all queued consumers: the unchecked one is checked instead
    assert state.recurring.queued == 0 and state.recurring.unchecked == 0
    assert state.recurring.states(CONSUMER) == reference_states(state)


def test_a_trimmed_bucket_that_lost_its_oldest_items_to_the_cap_verifies() -> None:
    state = ConsumerState.in_memory()
    start = date(2024, 1, 1)
    shop = [event(f"s{i:03d}", start + timedelta(days=i // 2), "gym", 1000 + i)
            for i in range(170)]
    apply_all(state, shop)
    state.settle_recurring()
    [bucket] = state.recurring.states(CONSUMER)
    assert bucket["trimmed"] and sum(len(a) for a in bucket["items"].values()) == 160
    assert state.recurring.verify(state.history) == []


# --- a crash: both changelogs cut at their own point --------------------------------------

class LoggedStore(DictStore):
    """A DictStore appending every write to its own log, as its changelog would receive it."""

    def __init__(self, event_index: list[int]) -> None:
        super().__init__()
        self.log: list[tuple[str, Any, int]] = []
        self.event_index = event_index

    def set(self, key: str, value: dict) -> None:
        self.log.append((key, copy.deepcopy(value), self.event_index[0]))
        super().set(key, value)

    def delete(self, key: str) -> None:
        self.log.append((key, None, self.event_index[0]))
        super().delete(key)


def replayed(log: list, cut: int) -> DictStore:
    store = DictStore()
    for key, value, _ in log[:cut]:
        if value is None:
            store.pop(key, None)
        else:
            store[key] = copy.deepcopy(value)
    return store


@st.composite
def recurring_streams(draw: st.DrawFn) -> list[dict]:
    """Monthly series at three counterparties, with re-sent versions that change amounts,
    move a payment to another counterparty, fail it or delete it."""
    events = (monthly("n", "netflix", draw(st.integers(2, 6)))
              + monthly("r", "rent", draw(st.integers(2, 5)), day=1, amount=95000)
              + monthly("g", "gym", draw(st.integers(0, 4)), day=15, amount=3900))
    events = draw(st.permutations(events))
    for _ in range(draw(st.integers(0, 6))):
        original = draw(st.sampled_from(events))
        change = draw(st.sampled_from(["amount", "move", "fail", "delete"]))
        day = date.fromisoformat(original["booking_date"])
        party = "gym" if change == "move" else (
            "rent" if original["insights_transaction_id"].startswith("r") else "netflix")
        amount = original["amount"]["amount"] + (draw(st.integers(1, 500))
                                                 if change == "amount" else 0)
        events.insert(draw(st.integers(0, len(events))), event(
            original["insights_transaction_id"], day, party, amount,
            state="FAILED" if change == "fail" else "PROCESSED", deleted=change == "delete"))
    return events


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(events=recurring_streams(), data=st.data())
def test_a_crash_between_the_two_changelogs_is_repaired_at_recovery(
        events: list[dict], data: st.DataObject) -> None:
    """Each changelog holds a prefix of its writes; the source was committed no further than
    its first event with a write missing from either; recovery rebuilds both tables from the
    prefixes, `verify_recurring` repairs the groups, and the redelivered events bring the state
    to exactly where a crash-free run ends."""
    event_index = [0]
    transactions, recurring = LoggedStore(event_index), LoggedStore(event_index)
    state = ConsumerState(transactions, DictStore(), recurring, DictStore())
    for index, item in enumerate(events):
        event_index[0] = index
        state.apply_transaction(item, SourcePosition(SOURCE, index))
    cut_history = data.draw(st.integers(0, len(transactions.log)), label="transaction writes")
    cut_recurring = data.draw(st.integers(0, len(recurring.log)), label="recurring writes")
    unsent = ({entry[2] for entry in transactions.log[cut_history:]}
              | {entry[2] for entry in recurring.log[cut_recurring:]})
    limit = min(unsent | {len(events)})
    committed = data.draw(st.integers(0, limit), label="first redelivered event")
    note(f"{len(events)} events, committed {committed}")

    recovered_transactions = replayed(transactions.log, cut_history)
    recovered_recurring = replayed(recurring.log, cut_recurring)
    recovered = ConsumerState(recovered_transactions, DictStore(), recovered_recurring,
                              DictStore())
    recovered.history.rebuild(recovered_transactions.items())
    recovered.recurring.rebuild(recovered_recurring.items())
    recovered.verify_recurring()
    for index in range(committed, len(events)):
        recovered.apply_transaction(events[index], SourcePosition(SOURCE, index))

    assert recovered.recurring.states(CONSUMER) == state.recurring.states(CONSUMER)
    assert dict(recovered_recurring) == dict(recurring)
    assert recovered.recurring.states(CONSUMER) == reference_states(state)
