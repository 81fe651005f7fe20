"""Signed saved plans: an HMAC-SHA256 over the plan file's canonical JSON, keyed from the
client secret, so that `apply PLANFILE` refuses a plan nobody with that secret made (an edit
with a recomputed checksum included).

Keys are derived here and only here: HMAC-SHA256(client secret, a fixed label), one label per
use: saved plans, and the local cache's file data (`cache_key`, which signs those stores so
that an edited cache is never taken for the files). Neither the secret nor a key is ever
written or shown; a signature (hex) reveals neither. Without a client secret (KORE_JWT only) a
plan is saved unsigned, and a signed plan cannot be checked, so it is refused (see
PlanSigning.check); the files are then parsed every run.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Literal

from campsync.config.target import Credentials
from campsync.errors import PlanSignatureError

SIGNATURE_PREFIX = "hmac-sha256:"
# Binds the derived key to this one use: the same secret signs JWTs (another purpose).
KEY_LABEL = b"campsync saved-plan signature key v1"
CACHE_KEY_LABEL = b"campsync local-cache file-data key v1"

Signed = Literal["verified", "unsigned", "unchecked"]  # how a saved plan's signature stands


def derive_key(client_secret: str, label: bytes = KEY_LABEL) -> bytes:
    return hmac.new(client_secret.encode("utf-8"), label, hashlib.sha256).digest()


def cache_key(credentials: Credentials) -> bytes | None:
    """The key the local cache signs its stores of file data with (None without a client
    secret: no file data is then recalled from the cache)."""
    secret = credentials.client_secret
    return derive_key(secret, CACHE_KEY_LABEL) if secret else None


@dataclass(frozen=True)
class PlanSigning:
    """How this run signs and checks saved plans: the key (None without a client secret)
    and the name of the variable the secret comes from, for messages."""

    key: bytes | None = field(default=None, repr=False)
    secret_name: str = "KORE_CLIENT_SECRET"

    def __repr__(self) -> str:
        return f"PlanSigning(signs={self.key is not None}, secret_name={self.secret_name!r})"

    @classmethod
    def of(cls, credentials: Credentials) -> PlanSigning:
        secret = credentials.client_secret
        return cls(derive_key(secret) if secret else None, credentials.names.client_secret)

    def sign(self, canonical: bytes) -> str | None:
        """The signature of `canonical`, or None without a key."""
        if self.key is None:
            return None
        return SIGNATURE_PREFIX + hmac.new(self.key, canonical, hashlib.sha256).hexdigest()

    def unsigned_note(self) -> str | None:
        """What `plan --out` says when it cannot sign (None when it signs)."""
        if self.key is not None:
            return None
        return (
            f"the saved plan is not signed ({self.secret_name} is not set); apply will check "
            "only its checksum"
        )

    def check(self, signature: object, canonical: bytes, where: str) -> None:
        """Raise PlanSignatureError (one line: what is wrong, what to do) unless the plan may
        be applied: signed with this key, or unsigned while this run has no key either."""
        self.require(self.verify(signature, canonical, where), where)

    def verify(self, signature: object, canonical: bytes, where: str) -> Signed:
        """How the plan's signature stands with this run's key: `verified`, `unsigned` (it
        has none) or `unchecked` (signed, and no key to check it with); PlanSignatureError
        when it does not verify."""
        if signature is None:
            return "unsigned"
        if self.key is None:
            return "unchecked"
        expected = self.sign(canonical) or ""
        if not isinstance(signature, str) or not hmac.compare_digest(
            signature.encode("utf-8", "surrogatepass"), expected.encode("ascii")
        ):
            raise PlanSignatureError(
                f"{where}: the signature does not verify: the plan was altered after it was "
                f"made, or made with another client secret than {self.secret_name}; make the "
                "plan again"
            )
        return "verified"

    def require(self, signed: Signed, where: str) -> None:
        """PlanSignatureError unless a plan whose signature stands so may be applied."""
        if signed == "unsigned" and self.key is not None:
            raise PlanSignatureError(
                f"{where}: the plan is not signed, and with {self.secret_name} set only a "
                f"plan signed with it is applied; make the plan again with {self.secret_name} "
                "set"
            )
        if signed == "unchecked":
            raise PlanSignatureError(
                f"{where}: the plan is signed, and without {self.secret_name} the signature "
                f"cannot be checked; set {self.secret_name} (the client secret the plan was "
                "made with)"
            )

    def note(self, signed: Signed) -> str:
        """How the signature stands, in words (what `show` tells)."""
        if signed == "verified":
            return f"the plan's signature verifies with {self.secret_name}"
        if signed == "unchecked":
            return f"the plan is signed; without {self.secret_name} its signature was not checked"
        if self.key is None:
            return "the plan is not signed (it was made without a client secret)"
        return (
            "the plan is not signed (it was made without a client secret); apply refuses it "
            f"while {self.secret_name} is set"
        )
