"""The emulator's settings, with demo defaults so that it runs with none given."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from campsync.errors import UsageError

DEMO_CLIENT_ID = "cs-demo-client"
DEMO_CLIENT_SECRET = "campsync-demo-secret-for-the-local-emulator-only"
DEMO_STREAM_ID = "st-00000000-0000-4000-8000-000000000001"
DEMO_ACCOUNT_ID = "demo-account"


@dataclass
class EmulatorConfig:
    client_id: str
    client_secret: str = field(repr=False)
    stream_id: str
    account_id: str
    rate_limit: int = 60  # requests per rate_window seconds per account; 0 = unlimited
    rate_window: float = 60.0
    latency_ms: float = 0
    fail_rate: float = 0
    drop_rate: float = 0
    lost_write_rate: float = 0
    ready_after: float = 2.0  # seconds a new campaign stays "Preparing"
    retry_after_header: bool = False  # the platform does not document Retry-After
    state_file: Path | None = None
    seed_file: Path | None = None
    random_seed: int | None = None
    request_log_size: int = 1000  # API requests kept for GET /_emulator/requests
    body_timeout: float = 30.0  # seconds a request body may take to arrive in full (then 408)
    queues_forbidden: bool = False  # the queues call answers 403 (an app without that scope)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> EmulatorConfig:
        """KORE_CLIENT_ID/SECRET/STREAM_ID/ACCOUNT_ID, each with a demo default when unset."""
        env = os.environ if env is None else env
        config = cls(
            client_id=env.get("KORE_CLIENT_ID") or DEMO_CLIENT_ID,
            client_secret=env.get("KORE_CLIENT_SECRET") or DEMO_CLIENT_SECRET,
            stream_id=env.get("KORE_STREAM_ID") or DEMO_STREAM_ID,
            account_id=env.get("KORE_ACCOUNT_ID") or DEMO_ACCOUNT_ID,
        )
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise TypeError(f"unknown emulator setting {key!r}")
            setattr(config, key, value)
        return config

    def check(self) -> None:
        """Raise UsageError (one line) for a value the emulator cannot run with."""
        for name in ("client_id", "client_secret", "stream_id", "account_id"):
            if not getattr(self, name):
                raise UsageError(f"emulator: {name} must not be empty")
        if self.rate_limit < 0:
            raise UsageError("--rate-limit must be 0 (unlimited) or a positive number")
        if not finite(self.rate_window) or self.rate_window <= 0:
            raise UsageError("the rate-limit window must be a positive number of seconds")
        if not finite(self.latency_ms) or self.latency_ms < 0:
            raise UsageError("--latency-ms must be 0 or more")
        if not finite(self.ready_after) or self.ready_after < 0:
            raise UsageError("--ready-after must be 0 or more seconds")
        for name in ("fail_rate", "drop_rate", "lost_write_rate"):
            check_rate(name.replace("_", "-"), getattr(self, name))
        if not finite(self.body_timeout) or self.body_timeout <= 0:
            raise UsageError("--body-timeout must be a positive number of seconds")
        if self.request_log_size < 0:
            raise UsageError("the request log size must be 0 or more")


def check_rate(name: str, value: float) -> None:
    if not finite(value) or not 0 <= value <= 1:
        raise UsageError(f"--{name} must be between 0 and 1, got {value}")


def finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
