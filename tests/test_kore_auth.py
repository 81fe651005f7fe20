"""JWT signing for the `auth` header."""

from __future__ import annotations

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from campsync.config.target import CredentialNames, Credentials
from campsync.errors import ConfigError
from campsync.kore.auth import JwtSigner, StaticToken, token_source

SECRET = "a-client-secret-" + "k" * 32


def test_each_token_is_fresh_and_carries_the_claims() -> None:
    signer = JwtSigner("cs-app", SECRET, clock=lambda: 1_700_000_000.7)
    tokens = [signer.token() for _ in range(50)]
    claims = [
        jwt.decode(t, SECRET, algorithms=["HS256"], options={"verify_exp": False}) for t in tokens
    ]
    assert len({c["jti"] for c in claims}) == 50
    for c in claims:
        assert c["appId"] == "cs-app" and c["sub"] == "cs-app"
        assert c["iat"] == 1_700_000_000
        assert c["exp"] == 1_700_000_600
    assert jwt.get_unverified_header(tokens[0])["alg"] == "HS256"


def test_a_token_signed_now_verifies_now() -> None:
    token = JwtSigner("cs-app", SECRET).token()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])  # checks exp and iat
    assert claims["exp"] - claims["iat"] <= 3600
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET + "x", algorithms=["HS256"])


def test_a_short_secret_signs_without_a_warning() -> None:
    token = JwtSigner("cs-app", "short").token()  # filterwarnings=error would fail here
    with pytest.warns(InsecureKeyLengthWarning):  # the verifying side still warns
        claims = jwt.decode(token, "short", algorithms=["HS256"])
    assert claims["appId"] == "cs-app"


def test_lifetime_is_at_most_an_hour() -> None:
    with pytest.raises(ValueError):
        JwtSigner("cs-app", SECRET, lifetime=3601)
    token = JwtSigner("cs-app", SECRET, lifetime=3600).token()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600


def test_nothing_secret_in_reprs() -> None:
    signer = JwtSigner("cs-app", SECRET)
    token = signer.token()
    static = StaticToken(token)
    for text in (repr(signer), str(signer), repr(static), str(static)):
        assert SECRET not in text and token not in text
    assert signer.secrets() == (SECRET,)
    assert static.secrets() == (token,)
    assert static.token() == token and static.static and not signer.static


def test_token_source_choice() -> None:
    given = token_source(Credentials(client_id="cs-app", client_secret=SECRET, jwt="tok"))
    assert isinstance(given, StaticToken) and given.token() == "tok"
    signed = token_source(Credentials(client_id="cs-app", client_secret=SECRET))
    assert isinstance(signed, JwtSigner)
    with pytest.raises(ConfigError, match="KORE_CLIENT_ID"):
        token_source(Credentials(client_id="cs-app"))


def test_a_ready_token_with_a_jti_is_refused_without_showing_it() -> None:
    """Such a token works for one request only (the platform refuses its replay)."""
    once = jwt.encode({"appId": "cs-app", "jti": "j-1", "exp": 1}, SECRET, algorithm="HS256")
    with pytest.raises(ConfigError) as caught:
        token_source(Credentials(jwt=once))
    message = str(caught.value)
    assert message.startswith("KORE_JWT carries a jti claim")
    assert "KORE_CLIENT_ID" in message and "\n" not in message
    assert once not in message and once.split(".")[1] not in message
    names = CredentialNames(jwt="STAGING_JWT", client_id="STAGING_ID", client_secret="STAGING_S")
    with pytest.raises(ConfigError, match=r"^STAGING_JWT carries .* set STAGING_ID and STAGING_S"):
        token_source(Credentials(jwt=once, names=names))  # an environment's own variables


@pytest.mark.parametrize("token", ["tok", "eyJ.given.token", "a.b.c", "x" * 5000])
def test_a_ready_token_that_is_not_a_jwt_is_left_to_the_platform(token: str) -> None:
    assert token_source(Credentials(jwt=token)).token() == token


def test_a_ready_token_without_a_jti_is_sent_as_is() -> None:
    reusable = jwt.encode({"appId": "cs-app", "exp": 1}, SECRET, algorithm="HS256")
    assert token_source(Credentials(jwt=reusable)).token() == reusable
