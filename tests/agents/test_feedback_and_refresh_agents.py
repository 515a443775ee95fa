"""The category-correction agents and the enrichment refresh (workers/agents/ingestion.py)
without a broker."""

from __future__ import annotations

from typing import Any

import orjson

from workers.agents.ingestion import (
    ingest_feedback,
    ingest_rekeyed_feedback,
    ingest_transactions,
    refresh_enrichment,
)
from workers.domain.enrichment import ENRICHMENT_VERSION, taxonomy
from workers.domain.history import ENRICHMENT, record_key
from workers.ingestion import ingestion_counts
from workers.state import consumer_state, history, recurring_settles
from workers.tables import corrections_table, recurring_table, transactions_table
from workers.topics import CATEGORIZATION_FEEDBACK, CATEGORIZATION_FEEDBACK_REKEYED

from .conftest import (
    Sent,
    assert_dead_letter,
    other_partition,
    owner,
    processed,
    sent_value,
    until,
)

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
CLOTHES = taxonomy.by_key("shopping/clothes").id


def transaction(txn_id: str, day: str) -> dict[str, Any]:
    return {"insights_consumer_id": CONSUMER, "insights_account_id": "acc-1",
            "insights_transaction_id": txn_id, "booking_date": day,
            "amount": {"amount": 1599, "currency": "EUR"}, "type": "DEBIT",
            "reference": "NETFLIX.COM 866-579-7172"}


def feedback(**fields: Any) -> dict[str, Any]:
    message = {"feedback_id": "fb-1", "insights_consumer_id": CONSUMER,
               "insights_transaction_id": "t1", "category_id": CLOTHES, "scope": "SIMILAR",
               "created_at": "2020-03-01T12:00:00Z"}
    message.update(fields)
    return message


async def _ingest(events: list[dict]) -> None:
    async with ingest_transactions.test_context() as ctx:
        for event in events:
            await ctx.put(value=orjson.dumps(event), key=CONSUMER.encode(),
                          partition=owner(CONSUMER))
        await processed(len(events))


async def test_a_correction_is_stored_and_shown_by_reports(sent: Sent) -> None:
    await _ingest([transaction("t1", "2020-01-10"), transaction("t2", "2020-02-10")])
    async with ingest_feedback.test_context() as ctx:
        await ctx.put(value=orjson.dumps(feedback()), key=CONSUMER.encode(),
                      partition=owner(CONSUMER))
        await ctx.put(value=orjson.dumps(feedback()), key=CONSUMER.encode(),
                      partition=owner(CONSUMER))  # delivered twice
        await processed(4)
    assert ingestion_counts["feedback:applied"] == 1
    assert ingestion_counts["feedback:unchanged"] == 1
    stored = corrections_table.data[record_key(CONSUMER, "t1")]
    assert stored["category_id"] == CLOTHES and stored["anchor_date"] == "2020-01-10"
    overrides = consumer_state.categories.overrides(CONSUMER)
    assert [c["id"] for c in overrides["t2"]["categories"]][0] == CLOTHES  # later, similar
    records = sent.changelog_messages(corrections_table)
    assert [(r.key, r.partition) for r in records] == [
        (record_key(CONSUMER, "t1").encode(), owner(CONSUMER))]


async def test_invalid_corrections_are_dead_lettered(sent: Sent) -> None:
    bad = orjson.dumps(feedback(category_id="not-a-category"))
    async with ingest_feedback.test_context() as ctx:
        event = await ctx.put(value=bad, key=CONSUMER.encode(), partition=owner(CONSUMER))
        await processed(1)
    [call] = sent.dead_letters.call_args_list
    letter = assert_dead_letter(call, code="INVALID_EVENT", topic=CATEGORIZATION_FEEDBACK,
                                partition=owner(CONSUMER), offset=event.message.offset,
                                key=CONSUMER.encode(),
                                value=bad)
    assert "category_id" in {error.loc for error in letter.error.errors}
    assert not corrections_table.data


async def test_a_correction_on_another_partition_is_forwarded_and_applied(sent: Sent) -> None:
    message = orjson.dumps(feedback())
    async with ingest_feedback.test_context() as ctx:
        await ctx.put(value=message, key=b"wrong", partition=other_partition(CONSUMER))
        await processed(1)
    [call] = sent.rekeyed[CATEGORIZATION_FEEDBACK_REKEYED].call_args_list
    assert call.kwargs["partition"] == owner(CONSUMER)
    async with ingest_rekeyed_feedback.test_context() as ctx:
        await ctx.put(value=call.kwargs["value"], key=call.kwargs["key"],
                      partition=owner(CONSUMER))
        await processed(2)
    assert sent_value(call)["event"]["feedback_id"] == "fb-1"
    assert record_key(CONSUMER, "t1") in corrections_table.data


async def test_a_refresh_tick_rewrites_records_of_an_earlier_enrichment_version(
        sent: Sent) -> None:
    await _ingest([transaction(f"t{m}", f"2020-0{m}-10") for m in range(1, 5)])
    # As an earlier release left them: another version, no brand.
    for txn_id in ("t1", "t2"):
        key = record_key(CONSUMER, txn_id)
        old = dict(transactions_table.data[key])
        old.pop("brand")
        old[ENRICHMENT] = "0.old"
        transactions_table.data[key] = old
    history.rebuild(transactions_table.data.items(), ())
    consumer_state.recurring.rebuild(recurring_table.data.items())
    assert history.stale_transactions(CONSUMER) == ["t1", "t2"]
    assert consumer_state.verify_recurring() == 2  # the brand bucket lost two, another got two
    sent.changelog.reset_mock()

    async with refresh_enrichment.test_context() as ctx:
        await ctx.put(value=b"{}", key=b"tick", partition=owner(CONSUMER))
        await until(lambda: not history.stale_transactions(CONSUMER), what="the refresh")
    assert transactions_table.data[record_key(CONSUMER, "t1")][ENRICHMENT] == ENRICHMENT_VERSION
    written = {r.key.decode().split("\x1f")[1] for r in sent.changelog_messages(transactions_table)}
    assert written == {"t1", "t2"}
    [bucket] = consumer_state.recurring.states(CONSUMER)  # all four with Netflix again
    assert sum(len(items) for items in bucket["items"].values()) == 4
    assert consumer_state.recurring.verify(history) == []


async def test_after_a_recovery_the_recurring_groups_are_checked_in_the_background(
        sent: Sent) -> None:
    await _ingest([transaction(f"t{m}", f"2020-0{m}-10") for m in range(1, 5)])
    [expected] = consumer_state.recurring.states(CONSUMER)
    # As a crash leaves the local recurring table: empty, while the history is recovered.
    recurring_table.data.clear()
    consumer_state.recurring.rebuild(())
    consumer_state.defer_recurring_check()
    assert consumer_state.recurring.unchecked == 1
    assert consumer_state.recurring.states(CONSUMER) == []

    # What the settle timer does every second (it calls this after its settle step).
    assert await recurring_settles.check_in_background() == 1
    assert consumer_state.recurring.unchecked == 0
    assert consumer_state.recurring.states(CONSUMER) == [expected]
    assert sum(len(items) for items in expected["items"].values()) == 4
    assert consumer_state.recurring.verify(history) == []
