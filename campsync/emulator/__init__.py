"""The local Kore.ai campaign platform: `campsync emulator`, and the tests' fake platform.

`config` holds its settings, `catalog` the objects campaigns refer to by name,
`rules` the documented request validation, `store` the campaigns and counters,
`auth` the JWT check, `limits` the per-account rate limit, `app` the aiohttp
routes, `runner` serving it (in the foreground or in a background thread).
"""

from __future__ import annotations

from campsync.emulator.config import EmulatorConfig
from campsync.emulator.runner import RunningEmulator, start_in_thread

__all__ = ["EmulatorConfig", "RunningEmulator", "start_in_thread"]
