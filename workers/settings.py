"""Service settings, read from environment variables (documented in the README)."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

BrokerProfile = Literal["kafka", "embedded"]
#: Record batch compression codecs (Kafka's); "none" sends uncompressed batches.
COMPRESSION_CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _env_int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class KafkaSecurity:
    """TLS / SASL options passed through unchanged to every Kafka client the service creates."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        if "SSL" not in self.protocol:
            return None
        context = ssl.create_default_context(cafile=self.ssl_cafile)
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def aiokafka_kwargs(self) -> dict:
        """Keyword arguments for aiokafka producers, consumers and admin clients."""
        kwargs: dict = {"security_protocol": self.protocol}
        context = self.ssl_context()
        if context is not None:
            kwargs["ssl_context"] = context
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password
        return kwargs


@dataclass(frozen=True)
class ReportConfigSettings:
    """Report configurations: token verification, limits, schedules (README, "Settings")."""

    auth_disabled: bool = False
    jwt_hs256_secret: str | None = None
    jwt_rs256_public_key_file: Path | None = None
    jwt_audience: str = "account-insights"
    jwt_issuer: str | None = None
    time_zone: str = "Europe/Oslo"
    max_configs_per_account: int = 100
    schedule_tick_seconds: float = 30.0
    clock_file: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str]) -> ReportConfigSettings:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        disabled = (env.get("INSIGHTS_AUTH_DISABLED_FOR_LOCAL_DEVELOPMENT") or "").lower()
        if disabled not in ("", "0", "false", "1", "true"):
            raise SettingsError("INSIGHTS_AUTH_DISABLED_FOR_LOCAL_DEVELOPMENT must be true or "
                                f"false, got {disabled!r}")
        secret = env.get("INSIGHTS_JWT_HS256_SECRET") or None
        key_file = env.get("INSIGHTS_JWT_RS256_PUBLIC_KEY_FILE") or None
        if secret and key_file:
            raise SettingsError("set INSIGHTS_JWT_HS256_SECRET or "
                                "INSIGHTS_JWT_RS256_PUBLIC_KEY_FILE, not both")
        if secret is not None and len(secret.encode()) < 32:
            raise SettingsError("INSIGHTS_JWT_HS256_SECRET must be at least 32 bytes")
        if key_file is not None and not Path(key_file).is_file():
            raise SettingsError(f"INSIGHTS_JWT_RS256_PUBLIC_KEY_FILE {key_file!r} is not a file")
        zone = env.get("INSIGHTS_REPORT_TIME_ZONE") or "Europe/Oslo"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"INSIGHTS_REPORT_TIME_ZONE {zone!r} is not a time zone") from exc
        tick = env.get("INSIGHTS_SCHEDULE_TICK_SECONDS") or "30"
        try:
            tick_seconds = float(tick)
        except ValueError as exc:
            raise SettingsError(f"INSIGHTS_SCHEDULE_TICK_SECONDS must be a number, got {tick!r}"
                                ) from exc
        if not 0.1 <= tick_seconds <= 3600:
            raise SettingsError(f"INSIGHTS_SCHEDULE_TICK_SECONDS must be 0.1 to 3600, got {tick}")
        clock_file = env.get("INSIGHTS_CLOCK_FILE") or None
        return cls(
            auth_disabled=disabled in ("1", "true"),
            jwt_hs256_secret=secret,
            jwt_rs256_public_key_file=Path(key_file) if key_file else None,
            jwt_audience=env.get("INSIGHTS_JWT_AUDIENCE") or "account-insights",
            jwt_issuer=env.get("INSIGHTS_JWT_ISSUER") or None,
            time_zone=zone,
            max_configs_per_account=_env_int(env, "INSIGHTS_MAX_CONFIGS_PER_ACCOUNT", 100,
                                             minimum=1),
            schedule_tick_seconds=tick_seconds,
            clock_file=Path(clock_file) if clock_file else None,
        )


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a worker. Build with `Settings.from_env()`."""

    bootstrap_servers: str | None = None
    broker_profile: BrokerProfile = "kafka"
    app_id: str = "account-insights"
    topic_prefix: str = ""
    partitions: int = 4
    replication_factor: int = 1
    table_store: str = "rocksdb://"
    data_dir: Path = field(default_factory=lambda: Path("data"))
    retention_days: int = 400
    max_event_bytes: int = 1_048_576
    ingest_batch_size: int = 500
    ingest_batch_seconds: float = 0.05
    #: How often each worker rewrites records of an earlier enrichment version, and how many
    #: per partition and tick.
    enrichment_refresh_seconds: float = 5.0
    enrichment_refresh_batch: int = 500
    #: While ingestion is behind, recurring groups are recomputed at the latest after this
    #: many queued changes or this many seconds (docs/recurring.md, "How the worker keeps it").
    recurring_max_pending: int = 50_000
    recurring_max_delay_seconds: float = 30.0
    web_port: int | None = None
    log_level: str = "WARNING"
    compression: str = "snappy"
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    configs: ReportConfigSettings = field(default_factory=ReportConfigSettings)

    @property
    def compression_type(self) -> str | None:
        """INSIGHTS_COMPRESSION as Kafka clients take it (None: uncompressed batches)."""
        return None if self.compression == "none" else self.compression

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS") or None
        profile = env.get("INSIGHTS_BROKER_PROFILE") or ("kafka" if bootstrap else "embedded")
        if profile not in ("kafka", "embedded"):
            raise SettingsError(f"INSIGHTS_BROKER_PROFILE must be kafka or embedded, got {profile!r}")
        store = env.get("INSIGHTS_TABLE_STORE") or "rocksdb://"
        if not (store.startswith("rocksdb://") or store.startswith("memory://")):
            raise SettingsError(f"INSIGHTS_TABLE_STORE must be rocksdb:// or memory://, got {store!r}")
        web_port = env.get("INSIGHTS_WEB_PORT")
        compression = (env.get("INSIGHTS_COMPRESSION") or "snappy").lower()
        if compression not in COMPRESSION_CODECS:
            raise SettingsError(f"INSIGHTS_COMPRESSION must be one of {', '.join(COMPRESSION_CODECS)}"
                                f", got {compression!r}")
        protocol = (env.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT").upper()
        if protocol not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
            raise SettingsError(f"KAFKA_SECURITY_PROTOCOL {protocol!r} is not supported")
        return cls(
            bootstrap_servers=bootstrap,
            broker_profile=profile,  # type: ignore[arg-type]
            app_id=env.get("INSIGHTS_APP_ID") or "account-insights",
            topic_prefix=env.get("INSIGHTS_TOPIC_PREFIX", ""),
            partitions=_env_int(env, "INSIGHTS_PARTITIONS", 4, minimum=1),
            replication_factor=_env_int(env, "INSIGHTS_REPLICATION_FACTOR", 1, minimum=1),
            table_store=store,
            data_dir=Path(env.get("INSIGHTS_DATA_DIR") or "data"),
            retention_days=_env_int(env, "INSIGHTS_RETENTION_DAYS", 400, minimum=1),
            max_event_bytes=_env_int(env, "INSIGHTS_MAX_EVENT_BYTES", 1_048_576, minimum=1024),
            ingest_batch_size=_env_int(env, "INSIGHTS_INGEST_BATCH_SIZE", 500, minimum=1),
            enrichment_refresh_seconds=float(_env_int(
                env, "INSIGHTS_ENRICHMENT_REFRESH_SECONDS", 5, minimum=1)),
            enrichment_refresh_batch=_env_int(env, "INSIGHTS_ENRICHMENT_REFRESH_BATCH", 500,
                                              minimum=1),
            recurring_max_pending=_env_int(env, "INSIGHTS_RECURRING_MAX_PENDING", 50_000,
                                           minimum=0),
            recurring_max_delay_seconds=float(_env_int(
                env, "INSIGHTS_RECURRING_MAX_DELAY_SECONDS", 30, minimum=0)),
            web_port=int(web_port) if web_port else None,
            log_level=(env.get("INSIGHTS_LOG_LEVEL") or "WARNING").upper(),
            compression=compression,
            security=KafkaSecurity(
                protocol=protocol,
                sasl_mechanism=env.get("KAFKA_SASL_MECHANISM") or None,
                sasl_username=env.get("KAFKA_SASL_USERNAME") or None,
                sasl_password=env.get("KAFKA_SASL_PASSWORD") or None,
                ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
                ssl_certfile=env.get("KAFKA_SSL_CERTFILE") or None,
                ssl_keyfile=env.get("KAFKA_SSL_KEYFILE") or None,
            ),
            configs=ReportConfigSettings.from_env(env),
        )

    def with_bootstrap(self, bootstrap_servers: str) -> Settings:
        return replace(self, bootstrap_servers=bootstrap_servers)

    def topic(self, name: str) -> str:
        """The full topic name for a default name of the contract (prefix applied)."""
        return f"{self.topic_prefix}{name}"
