"""Which partition owns a consumer: the Java client's default partitioner (murmur2 of the key)."""

from __future__ import annotations

from functools import lru_cache

from aiokafka.partitioner import murmur2


@lru_cache(maxsize=65536)
def partition_for(key: str, partitions: int) -> int:
    """The partition that Kafka's default partitioner (Java, aiokafka, Faust, librdkafka with
    `partitioner=murmur2_random`) picks for this key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
