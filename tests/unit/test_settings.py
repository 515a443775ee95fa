"""Settings from environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.settings import Settings, SettingsError


def test_defaults_without_bootstrap_use_the_embedded_profile():
    settings = Settings.from_env({})
    assert settings.bootstrap_servers is None
    assert settings.broker_profile == "embedded"
    assert settings.table_store == "rocksdb://"
    assert settings.retention_days == 400
    assert settings.partitions == 4
    assert settings.compression == "snappy"
    assert settings.topic("insights.transactions.v1") == "insights.transactions.v1"


def test_values_from_the_environment():
    settings = Settings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092", "INSIGHTS_TOPIC_PREFIX": "stage.",
        "INSIGHTS_PARTITIONS": "12", "INSIGHTS_TABLE_STORE": "memory://",
        "INSIGHTS_DATA_DIR": "/tmp/state", "INSIGHTS_RETENTION_DAYS": "30",
        "KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p", "INSIGHTS_COMPRESSION": "ZSTD"})
    assert settings.broker_profile == "kafka"
    assert settings.compression == "zstd"
    assert settings.topic("insights.accounts.v1") == "stage.insights.accounts.v1"
    assert settings.partitions == 12
    assert settings.data_dir == Path("/tmp/state")
    assert settings.retention_days == 30
    kwargs = settings.security.aiokafka_kwargs()
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "u"
    assert "ssl_context" in kwargs


@pytest.mark.parametrize("env, message", [
    ({"INSIGHTS_PARTITIONS": "four"}, "INSIGHTS_PARTITIONS must be an integer"),
    ({"INSIGHTS_PARTITIONS": "0"}, "INSIGHTS_PARTITIONS must be >= 1"),
    ({"INSIGHTS_TABLE_STORE": "redis://"}, "INSIGHTS_TABLE_STORE"),
    ({"INSIGHTS_BROKER_PROFILE": "tansu"}, "INSIGHTS_BROKER_PROFILE"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL3"}, "KAFKA_SECURITY_PROTOCOL"),
    ({"INSIGHTS_COMPRESSION": "brotli"}, "INSIGHTS_COMPRESSION must be one of none, gzip"),
])
def test_invalid_values_are_rejected_with_the_variable_name(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("codec, producer_codec", [("snappy", "snappy"), ("zstd", "zstd"),
                                                    ("none", None)])
def test_the_compression_setting_reaches_the_producer(codec, producer_codec):
    from workers.app import output_settings

    settings = Settings.from_env({"INSIGHTS_COMPRESSION": codec})
    assert output_settings(settings) == {"producer_compression_type": producer_codec}
