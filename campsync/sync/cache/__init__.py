"""The local cache: what campsync saw last time, so that the next run does less.

Five stores, each one JSON file under the cache folder (`settings.cache_dir`, default
`.campsync/cache`), which holds a `.gitignore` of `*` so it never ends up in a repository:

- `CampaignCache`: the platform's full get-one bodies, keyed by campaign id and `updatedAt`,
  one file per platform target (host + stream + account, hashed into the file name, and
  checked again inside the file: a cache for one account never serves another). A plan
  fetches only the campaigns whose listed `updatedAt` it has no body for. Bodies are kept
  without their `status`: a status can change without moving `updatedAt` (Preparing ->
  Ready), so it is never taken from the cache (the list gives it afresh every run).
- `FileCache`: the validated data of campaign files that had no problem, keyed by the
  file's name and a SHA-256 of its text, and by a fingerprint of the validation code and
  schema (so a newer campsync never trusts an older one's verdict). That data is sent, so
  the store is signed with a key from the client secret (an edited one is not used). With
  an environment, `EnvironmentFileCache` instead, one per environment: the merged data,
  under a digest of the text and the environment's overrides together.
- `HistoryCache`: what no listing tells again, per target: the campaign each file matched
  last time (so that a renamed file without an `id` can point at its old campaign), and,
  when an update's answer contradicted the `experienceFlows` mapping, the flow the platform
  set (so that plans after it can say which entry is wrong).
- `SameCache`: the file/campaign pairs found equal (file text, campaign id and updatedAt,
  listed type and queue, flow mapping: `planner.pair_key`), under a fingerprint of the
  comparison code. A warm plan of unchanged campaigns neither reads their bodies (the
  `CampaignCache` file is opened only when some campaign must be compared) nor compares.
- `AgreedCache`: per target, each campaign as campsync last saw it agree with its file (a
  plan that found them equal, an apply's answer): its body then (the text `CampaignCache`
  holds, shared), updatedAt, queue and type: what tells a later plan where a difference came
  from (sync.origin). Read on first use.

Only response bodies and file data are stored, never a header, token or secret. Files are
written atomically and owner-only (folders 0700). A missing, corrupt or unreadable cache is
an empty one: `load` returns a one-line warning instead of raising, and `save` returns a
one-line warning when it cannot write. The cache is untrusted input: a folder of another
user is not used, one others may write is made 0700 and not used that run, a file that is
a link, not regular or writable by others is ignored (store.check_folder, read_raw). No
printing here.

Beside them, per account (host and account id), `sent.py` keeps when recent requests ended,
so that runs one after another share the platform's rate limit (`shared_limiter`, the
engine's, builds a run's limiter from it).

The package: store.py (the JsonStore base, reading and writing), stamped.py (the base of
the stores kept per campaign and updatedAt), bodies.py, history.py, same.py, agreed.py,
files.py (the stores), local.py (LocalCache, the stores of one run), sent.py.
"""

from campsync.sync.cache.agreed import AgreedCache
from campsync.sync.cache.bodies import CampaignCache
from campsync.sync.cache.files import EnvironmentFileCache, FileCache
from campsync.sync.cache.history import HistoryCache
from campsync.sync.cache.local import LocalCache
from campsync.sync.cache.same import SameCache
from campsync.sync.cache.store import target_key

__all__ = [
    "AgreedCache",
    "CampaignCache",
    "EnvironmentFileCache",
    "FileCache",
    "HistoryCache",
    "LocalCache",
    "SameCache",
    "target_key",
]
