"""Verifies a Cognito user pool's JWT, for the WebSocket API's `$connect` authorizer (API Gateway has no
Cognito authorizer for WebSocket APIs, and a browser cannot set headers on the handshake, so the token
arrives as a query parameter).

What is checked, as AWS documents for Cognito tokens: the RS256 signature against the pool's JWKS (the key
named by the token's `kid`, fetched once and cached), the issuer (`https://cognito-idp.<region>.amazonaws.com/<pool>`),
`token_use` (`id` or `access`), the audience (`aud` of an ID token, `client_id` of an access token) among the
pool's clients, and `exp` (no leeway beyond a few seconds of clock skew). Any failure is one error type, and
the token itself is never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from imagejobs.errors import ImgrecError

CLOCK_SKEW_SECONDS = 5
ALGORITHMS = ["RS256"]


class InvalidTokenError(ImgrecError):
    """The token is not one of this pool's valid tokens (the reason is safe to log; the token is not)."""


class SigningKeys(Protocol):
    def key_for(self, token: str) -> Any:
        """The public key the token names (its `kid`), from the pool's JWKS."""
        ...


class PoolKeys:
    """The pool's JWKS over HTTPS, cached for the execution environment (PyJWT's client)."""

    def __init__(self, jwks_url: str) -> None:
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=3)

    def key_for(self, token: str) -> Any:
        try:
            return self._client.get_signing_key_from_jwt(token).key
        except jwt.PyJWTError as error:
            raise InvalidTokenError(f"no signing key for the token: {type(error).__name__}") from error


@dataclass(frozen=True)
class Identity:
    subject: str
    username: str


@dataclass(frozen=True)
class CognitoVerifier:
    issuer: str
    client_ids: frozenset[str]
    keys: SigningKeys

    def verify(self, token: str) -> Identity:
        try:
            claims = jwt.decode(
                token,
                self.keys.key_for(token),
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(f"{type(error).__name__}: {error}") from error
        use = claims.get("token_use")
        audience = claims.get("aud") if use == "id" else claims.get("client_id") if use == "access" else None
        if use not in ("id", "access"):
            raise InvalidTokenError(f"token_use {use!r} is neither id nor access")
        if audience not in self.client_ids:
            raise InvalidTokenError("the token was issued to another client")
        username = claims.get("cognito:username") or claims.get("username") or claims["sub"]
        return Identity(subject=str(claims["sub"]), username=str(username))


def issuer_of(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
