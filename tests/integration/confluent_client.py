"""A report client that knows only Kafka and CONTRACT.md: confluent-kafka (librdkafka), no project code.

Usage: confluent_client.py BOOTSTRAP TOPIC_PREFIX EVENTS.jsonl REQUESTS.json OUT.json
Produces every line of EVENTS.jsonl to insights.transactions.v1 keyed by insights_consumer_id
(librdkafka's default partitioner, which differs from Java's), sends each request of
REQUESTS.json to insights.report-requests.v1 with its own reply topic, and writes the replies.
A request is a Categorized Transactions Report body, or {"report": NAME, "request": BODY}.
"""

import json
import sys
import time
import uuid

from confluent_kafka import OFFSET_END, Consumer, Producer, TopicPartition


def main() -> int:
    bootstrap, prefix, events_path, requests_path, out_path = sys.argv[1:6]
    producer = Producer({"bootstrap.servers": bootstrap})
    with open(events_path) as handle:
        for line in handle:
            event = json.loads(line)
            producer.produce(f"{prefix}insights.transactions.v1",
                             key=event["insights_consumer_id"], value=line.strip())
            producer.poll(0)
    producer.flush(30)

    reply_topic = f"{prefix}insights.report-replies.v1"
    # No consumer group: the client reads every partition of its reply topic from the end.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"cli-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    partitions = consumer.list_topics(reply_topic, timeout=30).topics[reply_topic].partitions
    consumer.assign([TopicPartition(reply_topic, p, OFFSET_END) for p in partitions])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        consumer.poll(0.1)
        if all(tp.offset >= 0 for tp in consumer.position(consumer.assignment())):
            break

    with open(requests_path) as handle:
        requests = json.load(handle)
    wanted = {}
    for index, item in enumerate(requests):
        report, request = ((item["report"], item["request"]) if "report" in item
                           else ("categorization", item))
        correlation_id = f"confluent-{index}-{uuid.uuid4().hex[:8]}"
        wanted[correlation_id] = index
        envelope = {"correlation_id": correlation_id, "report": report, "request": request}
        producer.produce(f"{prefix}insights.report-requests.v1",
                         key=request["insights_consumer_id"], value=json.dumps(envelope))
    producer.flush(30)

    replies = [None] * len(requests)
    deadline = time.monotonic() + 60
    while any(r is None for r in replies) and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        reply = json.loads(message.value())
        index = wanted.get(reply.get("correlation_id"))
        if index is not None and replies[index] is None:
            assert message.key().decode() == reply["correlation_id"]
            replies[index] = reply
    consumer.close()
    with open(out_path, "w") as handle:
        json.dump(replies, handle)
    return 0 if all(r is not None for r in replies) else 1


if __name__ == "__main__":
    sys.exit(main())
