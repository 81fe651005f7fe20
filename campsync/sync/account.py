"""Reading one account for `campsync compare`: its campaigns listed, each file of the
environment matched as `plan` matches it (planner.list_matched: by the id the file or the
environment's overrides give, else by name), and the full body of every matched campaign read
(through the fetch the engine gives: the body cache answers for a campaign at its listed
updatedAt). Reads only; what differs is decided by campsync.sync.compare, from the
AccountView this returns.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from campsync.campaign.environment import Environment
from campsync.campaign.overrides import PathKey, overridden
from campsync.campaign.validation import CampaignFile
from campsync.errors import BadResponseError
from campsync.sync.compare import AccountView, FileView, Found
from campsync.sync.inventory import FetchFull, Listed, Reader, client_fetcher, whole
from campsync.sync.planner import list_matched


def overridden_paths(
    environment: Environment | None, own_names: Mapping[str, str]
) -> dict[str, frozenset[PathKey]]:
    """For each file (by the name it gives itself, which its override entry is found by):
    the paths the environment's overrides set or remove for it."""
    if environment is None:
        return {}
    return {file: overridden(environment.layers(name)) for file, name in own_names.items()}


async def read_account(
    client: Reader,
    environment: str,
    files: Sequence[CampaignFile],
    *,
    overrides: Mapping[str, Collection[PathKey]],
    experience_flows: Mapping[str, str],
    fetch_full: FetchFull | None = None,
    on_listed: Callable[[Sequence[Listed]], None] | None = None,
) -> AccountView:
    """The account of `environment` as compare sees it: each of its `files` (merged with its
    overrides, whose paths per file are `overrides`) with the campaign it matched, if any,
    and that campaign's full body; the names of the campaigns no file describes. Raises the
    client's typed errors, and planner.MatchError when files and campaigns do not match one
    to one. `on_listed` sees every listed campaign (the cache forgets the ones gone)."""
    _, matching = await list_matched(client, files, on_listed)
    fetch = fetch_full if fetch_full is not None else client_fetcher(client)
    wanted = [entry for _, entry in matching.matched]
    bodies = await fetch(wanted, whole) if wanted else {}
    views = []
    for cf, entry in matching.matched:
        body = bodies.get(entry.id)
        if body is None:
            raise BadResponseError(f"campaign {entry.name!r} ({entry.id}) could not be read")
        views.append(FileView(cf.file, cf.data, overrides.get(cf.file, ()), Found(entry, body)))
    views.extend(
        FileView(cf.file, cf.data, overrides.get(cf.file, ()))
        for cf in (*matching.unknown_id, *matching.to_create)
    )
    views.sort(key=lambda view: view.file)
    unmanaged = [entry.name for entry in matching.unmanaged]
    return AccountView(environment, views, unmanaged, experience_flows)
