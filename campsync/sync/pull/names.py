"""Safe, unique file names for pulled campaigns."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

MAX_STEM = 60
FALLBACK_STEM = "campaign"
# Names Windows refuses as file names whatever the extension; a pulled repository may be
# checked out there.
_RESERVED_STEMS = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def safe_stem(name: str) -> str:
    """A file name stem from a campaign name: lower-case ASCII letters, digits and single
    dashes only (so no path separator, no `..`, no control or hidden character can get
    through), at most MAX_STEM characters, never empty and never a reserved device name."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    stem = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(stem) > MAX_STEM:
        cut = stem[:MAX_STEM]
        stem = (cut.rsplit("-", 1)[0] if "-" in cut[MAX_STEM // 2 :] else cut).strip("-")
    if not stem:
        return FALLBACK_STEM
    if stem in _RESERVED_STEMS:
        return f"{stem}-campaign"
    return stem


def choose_path(folder: Path, name: str, taken: set[str]) -> Path:
    """A new file in `folder` for campaign `name`: `<stem>.yaml`, or `<stem>-2.yaml`,
    `<stem>-3.yaml`, ... when the stem is taken by an existing entry of the folder (any
    suffix, compared case-insensitively for case-insensitive file systems) or by a file
    chosen earlier in this run. Adds the chosen stem to `taken`."""
    base = safe_stem(name)
    stem = base
    number = 1
    while stem.casefold() in taken:
        number += 1
        stem = f"{base}-{number}"
    taken.add(stem.casefold())
    return folder / f"{stem}.yaml"


def taken_stems(folder: Path) -> set[str]:
    """Stems of the entries already in `folder` (files and folders alike)."""
    if not folder.is_dir():
        return set()
    stems: set[str] = set()
    for entry in folder.iterdir():
        stems.add(entry.name.casefold())
        stem, dot, _ = entry.name.rpartition(".")
        if dot and stem:
            stems.add(stem.casefold())
    return stems
