"""Who may send a ConfigCommand: JWT bearer tokens, scopes and the account claim.

The seed's security scheme: `Authorization: Bearer <JWT>`. Tokens are verified with PyJWT
against one key from the settings (an HS256 secret or an RS256 public key), the expected
audience and, when configured, the issuer; `exp` and `sub` are required. The token says what
its bearer may do in `scope` (space-separated, or a list) and for which merchant account in
`aid`:

* `create`, `update`, `delete` need `write:insight` or `admin:insight`;
* `get`, `list` need `read:insight`, `write:insight` or `admin:insight`;
* the token's `aid` must equal the command's `aid`, unless the token has `admin:insight`.

A missing, malformed, expired or badly signed token, or one for another audience, is a 401;
a valid token without the scope or for another account is a 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from workers.domain.errors import FieldError, ReportError

READ_SCOPE = "read:insight"
WRITE_SCOPE = "write:insight"
ADMIN_SCOPE = "admin:insight"
#: The claim naming the merchant account a token is for.
ACCOUNT_CLAIM = "aid"
WRITE_OPERATIONS = frozenset({"create", "update", "delete"})
READ_OPERATIONS = frozenset({"get", "list"})
#: The subject recorded as `created_by` / `updated_by` while checks are disabled.
UNCHECKED_SUBJECT = "unauthenticated-local-development"


@dataclass(frozen=True)
class Principal:
    """The verified caller: subject, scopes and the account the token is for."""

    subject: str
    scopes: frozenset[str]
    account: str | None


def unauthorized(message: str) -> ReportError:
    """A 401: the caller is not authenticated."""
    return ReportError(401, "UNAUTHORIZED", message, [FieldError("authorization", message)])


def forbidden(loc: str, message: str) -> ReportError:
    """A 403: the caller is authenticated but may not do this."""
    return ReportError(403, "FORBIDDEN", message, [FieldError(loc, message)])


def _scopes(claim: object) -> frozenset[str]:
    if isinstance(claim, str):
        return frozenset(claim.split())
    if isinstance(claim, list) and all(isinstance(s, str) for s in claim):
        return frozenset(claim)
    return frozenset()


class TokenVerifier:
    """Verifies bearer tokens with one key and algorithm (HS256 secret or RS256 public key)."""

    def __init__(self, key: str | bytes, algorithm: str, audience: str,
                 issuer: str | None = None, leeway_seconds: float = 0) -> None:
        if algorithm not in ("HS256", "RS256"):
            raise ValueError(f"unsupported algorithm {algorithm!r}")
        self.key, self.algorithm = key, algorithm
        self.audience, self.issuer, self.leeway = audience, issuer, leeway_seconds

    def verify(self, authorization: str | None) -> Principal:
        """The principal of a `Bearer <JWT>` value, or a 401 ReportError."""
        if not authorization:
            raise unauthorized("authorization is missing: send 'Bearer <JWT>'")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("authorization must be 'Bearer <JWT>'")
        required = ["exp", "sub", "aud"] + (["iss"] if self.issuer else [])
        try:
            # Only the configured algorithm is accepted: `alg: none` and algorithm confusion
            # (an HS256 token signed with the RS256 public key) fail here.
            claims = jwt.decode(token.strip(), self.key, algorithms=[self.algorithm],
                                audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": required})
        except jwt.ExpiredSignatureError:
            raise unauthorized("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise unauthorized(f"the token is not for audience {self.audience!r}") from None
        except jwt.InvalidIssuerError:
            raise unauthorized("the token has the wrong issuer") from None
        except jwt.InvalidSignatureError:
            raise unauthorized("the token signature is invalid") from None
        except jwt.InvalidAlgorithmError:
            raise unauthorized(f"the token must be signed with {self.algorithm}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise unauthorized(f"the token has no {exc.claim!r} claim") from None
        except jwt.ImmatureSignatureError:
            raise unauthorized("the token is not valid yet") from None
        except jwt.InvalidTokenError as exc:
            raise unauthorized(f"the token is malformed: {exc}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise unauthorized("the token's 'sub' claim must be a non-empty string")
        account = claims.get(ACCOUNT_CLAIM)
        return Principal(subject, _scopes(claims.get("scope")),
                         account if isinstance(account, str) else None)


class UncheckedVerifier:
    """Accepts everything: checks disabled for local development (never in production)."""

    def verify(self, authorization: str | None) -> Principal:  # noqa: ARG002
        return Principal(UNCHECKED_SUBJECT, frozenset({ADMIN_SCOPE}), None)


class UnconfiguredVerifier:
    """No key is configured and checks are not disabled: every command is refused."""

    def verify(self, authorization: str | None) -> Principal:  # noqa: ARG002
        raise ReportError(503, "AUTH_NOT_CONFIGURED",
                          "the service has no token verification key configured")


def authorize(principal: Principal, operation: str, aid: str) -> None:
    """Raise a 403 ReportError unless `principal` may run `operation` on account `aid`."""
    allowed = {WRITE_SCOPE, ADMIN_SCOPE}
    if operation in READ_OPERATIONS:
        allowed.add(READ_SCOPE)
    if not principal.scopes & allowed:
        raise forbidden("authorization", f"{operation} needs one of the scopes "
                                         f"{', '.join(sorted(allowed))}")
    if ADMIN_SCOPE not in principal.scopes and principal.account != aid:
        raise forbidden("aid", f"the token is not for account {aid}")


def mint_token(key: str | bytes, algorithm: str, *, subject: str, scopes: Iterable[str],
               aid: str | None, audience: str, issuer: str | None = None,
               ttl: timedelta = timedelta(hours=1), now: datetime | None = None) -> str:
    """A signed token for development and tests (`insights token`, `insights demo`)."""
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {"sub": subject, "scope": " ".join(scopes), "aud": audience,
                                 "iat": issued, "exp": issued + ttl}
    if aid is not None:
        claims[ACCOUNT_CLAIM] = aid
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, key, algorithm=algorithm)
