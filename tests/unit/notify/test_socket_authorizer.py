"""The WebSocket authorizer's Cognito token checks: signature (the pool's key), issuer, token use, client,
expiry; a good token allows the connection as its subject, anything else denies it."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.cognito_tokens import CognitoVerifier, InvalidTokenError, issuer_of
from api.handle_socket_auth import authorize

POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER = issuer_of("eu-west-1", "eu-west-1_Pool")


class PoolKeys:
    """The pool's JWKS, as the adapter resolves it: the public key for the token's `kid`."""

    def key_for(self, token: str) -> Any:
        if jwt.get_unverified_header(token).get("kid") != "pool-key":
            raise InvalidTokenError("unknown kid")
        return POOL_KEY.public_key()


VERIFIER = CognitoVerifier(issuer=ISSUER, client_ids=frozenset({"web-client", "cli-client"}), keys=PoolKeys())


def token(key: Any = POOL_KEY, kid: str = "pool-key", algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "sub": "5f1c-sub",
        "iss": ISSUER,
        "token_use": "id",
        "aud": "web-client",
        "iat": now,
        "exp": now + 3600,
        "cognito:username": "ann",
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm, headers={"kid": kid})


def test_an_id_token_and_an_access_token_of_the_pools_clients_are_accepted():
    assert VERIFIER.verify(token()).subject == "5f1c-sub"
    access = token(token_use="access", aud=None, client_id="cli-client")
    assert VERIFIER.verify(access).username == "ann"


@pytest.mark.parametrize(
    "bad",
    [
        token(key=OTHER_KEY),  # signed by another key under the pool's kid
        token(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"),
        token(aud="another-client"),
        token(token_use="refresh"),
        token(exp=int(time.time()) - 60),
        token(token_use="access", aud=None, client_id="another-client"),
        token(sub=None),
        "not-a-token",
    ],
)
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(bad)


def test_the_unsigned_alg_none_trick_is_refused():
    unsigned = jwt.encode({"sub": "x", "iss": ISSUER, "token_use": "id", "aud": "web-client"}, None, algorithm="none")
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(unsigned)


def test_the_authorizer_allows_the_subject_or_denies_without_saying_more():
    arn = "arn:aws:execute-api:eu-west-1:1:abc/v1/$connect"
    allowed = authorize({"queryStringParameters": {"token": token()}, "methodArn": arn}, VERIFIER)
    assert allowed["principalId"] == "5f1c-sub" and allowed["context"] == {"sub": "5f1c-sub", "username": "ann"}
    assert allowed["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": arn,
    }
    for query in ({"token": token(aud="x")}, {}, None):
        denied = authorize({"queryStringParameters": query, "methodArn": arn}, VERIFIER)
        assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny" and "context" not in denied
