"""The local Kore.ai campaign platform: `campsync emulator`, and the tests' fake platform.

`config` holds its settings; `catalog` the objects campaigns name (contact lists, DNC
lists, queues, flows); `rules` the documented body rules and `queries` the query and
paging rules; `records` a stored campaign and its views; `store` the campaigns, catalog
and counters, `statefile` and `seeding` what is read from and written to disk; `auth` the
JWT check, `limits` the per-account rate limit, `bodies` reading a request body;
`calls` the platform's calls, `admin` the /_emulator/ routes, `context` what one running
emulator holds, `app` the gate in front of them; `runner` serving it (in the foreground or
in a background thread).
"""

from __future__ import annotations

from campsync.emulator.config import EmulatorConfig
from campsync.emulator.runner import RunningEmulator, start_in_thread

__all__ = ["EmulatorConfig", "RunningEmulator", "start_in_thread"]
