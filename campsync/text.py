"""Text made safe for a terminal and a one-line message, and the small wording helpers every
layer uses (plurals, sizes). The one home for them: names, paths, reasons and values come
from files and from the platform, so they may hold anything (line breaks, escape sequences,
bidirectional overrides, thousands of characters).

Every non-printable character is written the way JSON writes it (`\\n`, `\\u001b`,
`\\u202e`), so the same name reads the same in a message, a plan and the plan's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
MIB = 1024 * 1024
REDACTED = "[redacted]"
# A token: a JWT (base64url JSON, so it starts `eyJ`) with its other segments, or the first
# part of one that a shortened value cut (a head without its signature is of no use, but
# nor is it anyone's to read).
_TOKEN = re.compile(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)*")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every token (JWT-shaped) and every one of `secrets` replaced by
    `[redacted]`: the one place that knows what a token looks like (the CLI's output
    streams and the platform's error messages pass through it)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    if "eyJ" in text:
        text = _TOKEN.sub(REDACTED, text)
    return text


def escape(text: str, *, keep: str = "") -> str:
    """`text` with every non-printable character (controls, bidi overrides, line
    separators, lone surrogates...) written as a JSON-style escape, except those in
    `keep`."""
    if text.isprintable():
        return text
    parts: list[str] = []
    for char in text:
        if char.isprintable() or char in keep:
            parts.append(char)
        elif char in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[char])
        else:
            code = ord(char)
            if code > 0xFFFF:  # as a UTF-16 surrogate pair, the way JSON spells it
                code -= 0x10000
                parts.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                parts.append(f"\\u{code:04x}")
    return "".join(parts)


def shorten(text: str, limit: int) -> str:
    """`text` cut in the middle to at most `limit` characters. Tokens are redacted first: the
    tail of a token cut in two no longer looks like one to the output's redaction."""
    if len(text) <= limit:
        return text
    text = redact(text)
    if len(text) <= limit:
        return text
    head = max(1, (limit - 1) * 2 // 3)
    tail = max(0, limit - 1 - head)
    return text[:head] + "…" + (text[-tail:] if tail else "")


def clip(text: str, limit: int = 0) -> str:
    """`text` safe for a one-line message: cut to `limit` characters at its end (0: no
    cut; tokens redacted first, as `shorten` does), then escaped."""
    if limit and len(text) > limit:
        text = redact(text)
    if limit and len(text) > limit:
        text = text[: limit - 3] + "..."
    return escape(text)


def quoted(text: str, limit: int = 60) -> str:
    """'text' as a user wrote it: single-quoted, escaped, short."""
    return "'" + clip(text, limit).replace("'", "''") + "'"


def one_line(text: str) -> str:
    """Runs of whitespace (line breaks included) as one space."""
    return " ".join(text.split())


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def size(count: int) -> str:
    """A byte count as written in limits: `1 MiB` when whole mebibytes, else `N bytes`."""
    if count >= MIB and count % MIB == 0:
        return f"{count // MIB} MiB"
    return f"{count} bytes"
