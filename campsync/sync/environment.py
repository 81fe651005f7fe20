"""The sync's environment parts (campsync.yaml `environments:`), for the engine:

- `read_environment_files`: the chosen environment's campaign files, merged with its overrides
  and validated (campsync.config.environments), with a memo per environment in the cache folder, so
  that a warm run parses no unchanged file. A memo entry is keyed by the file's text and the
  environment's overrides together: merged data is never recalled for other overrides.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from campsync.campaign import globs, merged, overrides
from campsync.campaign.merged import MergedCheck
from campsync.campaign.validation import CampaignFile
from campsync.config import environments
from campsync.config.environments import Environment, check_environment
from campsync.errors import FilesInvalid
from campsync.sync.cache import (
    FolderCheck,
    VerdictStore,
    at,
    check_folder,
    code_fingerprint,
    position,
    source_fingerprint,
)


class EnvironmentFileCache(VerdictStore):
    """Problem-free checks of one environment's files: by file, its merged data under the
    digest of its text and the overrides, with the file's own name and where it writes its
    name and id; signed as the plain files' store is (VerdictStore). Implements
    campaign.merged.MergedMemo."""

    file_name = "files-{target}.json"
    entries_key = "files"
    width = 5  # digest, merged data, the file's own name, where it writes its name and id

    def __init__(self, folder: Path, environment: str, *, key: bytes | None) -> None:
        digest = hashlib.sha256(environment.encode("utf-8", "surrogatepass")).hexdigest()
        super().__init__(folder, "env-" + digest[:24], key=key)
        self._fingerprint: str | None = None

    @property
    def code(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = source_fingerprint(
                (environments, merged, overrides, globs), code_fingerprint().encode("ascii")
            )
        return self._fingerprint

    def recall(self, file: str, digest: str) -> MergedCheck | None:
        item = self._recall(file, digest)
        if item is None:
            return None
        name = item[2] if isinstance(item[2], str) else None
        campaign = CampaignFile(file, item[1], digest)
        return MergedCheck(campaign, [], [], name, position(item[3]), position(item[4]))

    def remember(self, file: str, digest: str, check: MergedCheck) -> None:
        if check.campaign is None or check.problems or check.in_config:
            self._remember(file, None)
        else:
            data = check.campaign.data
            self._remember(file, [digest, data, check.name, at(check.name_at), at(check.id_at)])


def read_environment_files(
    path: Path,
    environment: Environment,
    *,
    cache_dir: Path,
    key: bytes | None,
    folder: FolderCheck | None = None,
    refresh: bool = False,
) -> tuple[list[CampaignFile], list[str]]:
    """The environment's campaign files under `path`, merged and validated, and the memo's
    one-line warnings. Raises FilesInvalid with every problem when any file has one. `key`
    signs the memo (sync.signing.cache_key); `folder`: what the run may do with the cache
    folder, when it was checked already (else it is checked here)."""
    memo = EnvironmentFileCache(cache_dir, environment.name, key=key)
    warnings: list[str] = []
    if folder is None:
        folder = check_folder(cache_dir)
        if folder.warning:
            warnings.append(folder.warning)
    memo.trust(folder)
    if not refresh:
        warning = memo.load()
        if warning:
            warnings.append(warning)
    checked = check_environment([path], environment, memo)
    warning = memo.save()  # the valid files need no parsing next time, even if others fail
    if warning:
        warnings.append(warning)
    if checked.result.problems:
        raise FilesInvalid(tuple(str(problem) for problem in checked.result.problems))
    return list(checked.result.files), warnings
