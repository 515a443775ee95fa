"""Token verification and authorization (workers/domain/authorization.py) and their settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from workers.domain.authorization import (
    TokenVerifier,
    UncheckedVerifier,
    UnconfiguredVerifier,
    authorize,
    mint_token,
)
from workers.domain.errors import ReportError
from workers.report_configs import verifier_from
from workers.settings import ReportConfigSettings, Settings, SettingsError

SECRET = "s" * 40
AUDIENCE = "account-insights"
NOW = datetime.now(UTC)
VERIFIER = TokenVerifier(SECRET, "HS256", AUDIENCE)


def claims(**changes) -> dict:
    base = {"sub": "user-1", "aud": AUDIENCE, "aid": "P00000001", "scope": "write:insight",
            "exp": NOW + timedelta(minutes=5)}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def _part(data: dict) -> str:
    text = json.dumps(data, default=lambda d: int(d.timestamp())).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def unsigned(payload: dict) -> str:
    """An `alg: none` token built by hand."""
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(payload)}."


def status(verifier, authorization) -> tuple[int, str]:
    try:
        verifier.verify(authorization)
    except ReportError as error:
        return error.status, error.message
    return 200, ""


UNAUTHENTICATED = [
    ("missing", None, "missing"),
    ("empty", "", "missing"),
    ("not bearer", "Basic dXNlcjpwYXNz", "Bearer"),
    ("bearer without token", "Bearer ", "Bearer"),
    ("garbage", "Bearer abc.def", "malformed"),
    ("expired", "Bearer " + jwt.encode(claims(exp=NOW - timedelta(seconds=5)), SECRET), "expired"),
    ("not yet valid", "Bearer " + jwt.encode(claims(nbf=NOW + timedelta(hours=1)), SECRET),
     "not valid yet"),
    ("wrong signature", "Bearer " + jwt.encode(claims(), "t" * 40), "signature"),
    ("alg none", "Bearer " + unsigned(claims()), "HS256"),
    ("HS512", "Bearer " + jwt.encode(claims(), SECRET * 2, algorithm="HS512"), "HS256"),
    ("wrong audience", "Bearer " + jwt.encode(claims(aud="other"), SECRET), "audience"),
    ("no audience", "Bearer " + jwt.encode(claims(aud=None), SECRET), "'aud'"),
    ("no expiry", "Bearer " + jwt.encode(claims(exp=None), SECRET), "'exp'"),
    ("no subject", "Bearer " + jwt.encode(claims(sub=None), SECRET), "'sub'"),
    ("empty subject", "Bearer " + jwt.encode(claims(sub=""), SECRET), "sub"),
]


@pytest.mark.parametrize("authorization, words", [(a, w) for _, a, w in UNAUTHENTICATED],
                         ids=[n for n, _, _ in UNAUTHENTICATED])
def test_bad_tokens_are_401(authorization, words):
    code, message = status(VERIFIER, authorization)
    assert code == 401 and words in message, message


def test_a_valid_token_gives_subject_scopes_and_account():
    token = mint_token(SECRET, "HS256", subject="user-1", scopes=["read:insight", "x"],
                       aid="P00000001", audience=AUDIENCE)
    principal = VERIFIER.verify(f"bearer {token}")
    assert principal.subject == "user-1"
    assert principal.scopes == {"read:insight", "x"}
    assert principal.account == "P00000001"
    as_list = jwt.encode(claims(scope=["read:insight", "write:insight"]), SECRET)
    assert VERIFIER.verify(f"Bearer {as_list}").scopes == {"read:insight", "write:insight"}


def test_issuer_is_checked_when_configured():
    verifier = TokenVerifier(SECRET, "HS256", AUDIENCE, issuer="https://auth.example")
    assert status(verifier, "Bearer " + jwt.encode(claims(iss="https://auth.example"),
                                                   SECRET))[0] == 200
    assert status(verifier, "Bearer " + jwt.encode(claims(iss="https://evil"), SECRET))[0] == 401
    assert status(verifier, "Bearer " + jwt.encode(claims(), SECRET))[0] == 401


@pytest.fixture(scope="module")
def rsa_keys(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path_factory.mktemp("keys") / "public.pem"
    path.write_bytes(public)
    return private, public, path


def test_rs256_public_key_from_the_settings(rsa_keys):
    private, public, path = rsa_keys
    verifier = verifier_from(ReportConfigSettings(jwt_rs256_public_key_file=path))
    good = mint_token(private, "RS256", subject="svc", scopes=["admin:insight"], aid=None,
                      audience=AUDIENCE)
    assert verifier.verify(f"Bearer {good}").subject == "svc"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), other, algorithm="RS256")
    assert status(verifier, f"Bearer {forged}")[0] == 401
    # Algorithm confusion: an HS256 token whose secret is the public key must not pass.
    # (PyJWT refuses to sign with a PEM key as HMAC secret, so the token is built by hand.)
    signing_input = f"{_part({'alg': 'HS256', 'typ': 'JWT'})}.{_part(claims())}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
    assert status(verifier, f"Bearer {confused}")[0] == 401
    assert status(verifier, "Bearer " + unsigned(claims()))[0] == 401


AUTHORIZATION = [
    # (scopes, token account, operation, command aid, expected status)
    ({"write:insight"}, "P00000001", "create", "P00000001", 200),
    ({"write:insight"}, "P00000001", "update", "P00000001", 200),
    ({"write:insight"}, "P00000001", "delete", "P00000001", 200),
    ({"write:insight"}, "P00000001", "list", "P00000001", 200),
    ({"read:insight"}, "P00000001", "get", "P00000001", 200),
    ({"read:insight"}, "P00000001", "list", "P00000001", 200),
    ({"read:insight"}, "P00000001", "create", "P00000001", 403),
    ({"read:insight"}, "P00000001", "update", "P00000001", 403),
    ({"read:insight"}, "P00000001", "delete", "P00000001", 403),
    (set(), "P00000001", "get", "P00000001", 403),
    ({"openid", "profile"}, "P00000001", "list", "P00000001", 403),
    ({"write:insight"}, "P00000002", "create", "P00000001", 403),
    ({"read:insight"}, None, "list", "P00000001", 403),
    ({"admin:insight"}, None, "create", "T12345678", 200),
    ({"admin:insight"}, "P00000002", "delete", "P00000001", 200),
    ({"admin:insight"}, None, "list", "P00000001", 200),
]


@pytest.mark.parametrize("scopes, account, operation, aid, expected", AUTHORIZATION)
def test_scopes_and_account(scopes, account, operation, aid, expected):
    from workers.domain.authorization import Principal

    try:
        authorize(Principal("u", frozenset(scopes), account), operation, aid)
        result = 200
    except ReportError as error:
        result = error.status
        assert error.code == "FORBIDDEN"
    assert result == expected


def test_settings_choose_the_verifier():
    env = {"INSIGHTS_JWT_HS256_SECRET": SECRET}
    assert isinstance(verifier_from(Settings.from_env(env).configs), TokenVerifier)
    assert isinstance(verifier_from(Settings.from_env({}).configs), UnconfiguredVerifier)
    disabled = Settings.from_env({"INSIGHTS_AUTH_DISABLED_FOR_LOCAL_DEVELOPMENT": "true"})
    assert isinstance(verifier_from(disabled.configs), UncheckedVerifier)
    assert UncheckedVerifier().verify(None).scopes == {"admin:insight"}
    assert status(UnconfiguredVerifier(), "Bearer x")[0] == 503


@pytest.mark.parametrize("env, words", [
    ({"INSIGHTS_JWT_HS256_SECRET": "short"}, "32 bytes"),
    ({"INSIGHTS_JWT_HS256_SECRET": SECRET, "INSIGHTS_JWT_RS256_PUBLIC_KEY_FILE": "/x"}, "not both"),
    ({"INSIGHTS_JWT_RS256_PUBLIC_KEY_FILE": "/does/not/exist.pem"}, "not a file"),
    ({"INSIGHTS_AUTH_DISABLED_FOR_LOCAL_DEVELOPMENT": "maybe"}, "true or false"),
    ({"INSIGHTS_REPORT_TIME_ZONE": "Mars/Olympus"}, "time zone"),
    ({"INSIGHTS_SCHEDULE_TICK_SECONDS": "soon"}, "number"),
    ({"INSIGHTS_SCHEDULE_TICK_SECONDS": "0"}, "0.1 to 3600"),
    ({"INSIGHTS_MAX_CONFIGS_PER_ACCOUNT": "0"}, ">= 1"),
])
def test_invalid_settings_are_refused(env, words):
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(env)


def test_setting_defaults_and_values(tmp_path):
    defaults = Settings.from_env({}).configs
    assert (defaults.time_zone, defaults.max_configs_per_account, defaults.jwt_audience,
            defaults.schedule_tick_seconds, defaults.auth_disabled) == (
        "Europe/Oslo", 100, "account-insights", 30.0, False)
    configs = Settings.from_env({
        "INSIGHTS_REPORT_TIME_ZONE": "UTC", "INSIGHTS_MAX_CONFIGS_PER_ACCOUNT": "5",
        "INSIGHTS_JWT_AUDIENCE": "aud", "INSIGHTS_JWT_ISSUER": "iss",
        "INSIGHTS_SCHEDULE_TICK_SECONDS": "0.5", "INSIGHTS_CLOCK_FILE": str(tmp_path / "c"),
    }).configs
    assert (configs.time_zone, configs.max_configs_per_account, configs.jwt_audience,
            configs.jwt_issuer, configs.schedule_tick_seconds, configs.clock_file) == (
        "UTC", 5, "aud", "iss", 0.5, tmp_path / "c")
