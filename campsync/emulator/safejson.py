"""JSON in and out of the emulator, bounded so that no input can crash it.

Every JSON text the emulator reads from a client (request bodies and the two JSON
segments of a JWT) goes through `loads`, and every answer through `dumps`:
- depth: Python's decoder recurses, so a body nested ~1,000 deep raises RecursionError.
  The nesting is measured first, without recursion, and anything deeper than
  MAX_DEPTH is refused (a campaign body is 5 levels deep, a token 1).
- numbers: NaN and Infinity are not JSON (RFC 8259) and `1e400` overflows to inf, so
  both are refused. Integers must be exact in an IEEE double (|n| <= 2**53 - 1): the
  platform's JSON numbers are doubles, so a larger integer would not arrive as sent,
  and a 4,300-digit one could not even be written back (Python refuses to print it).
- text: UTF-8 only (RFC 8259 section 8.1), strictly decoded.
- answers: `dumps` refuses NaN and Infinity rather than writing invalid JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_SAFE_INTEGER))

# A JSON string (escapes included); removed before counting brackets, so that a `[` in
# a string does not count. The unrolled loop needs no backtracking on long strings.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonRefused(ValueError):
    """A JSON text the emulator will not read; str() is the reason, for an error answer."""


def loads(raw: bytes | str, what: str = "the request body") -> Any:
    """The value of a JSON text, or JsonRefused naming `what` and the reason."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused(f"{what} is not valid UTF-8") from None
    else:
        text = raw
    if too_deep(text, MAX_DEPTH):
        raise JsonRefused(f"{what} is nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_safe_integer,
        )
    except _NumberRefused as exc:
        raise JsonRefused(f"{what}: {exc}") from None
    except (ValueError, RecursionError):
        # RecursionError cannot happen after too_deep(); caught anyway, as it is what
        # a deep structure raises and a crash is never the right answer.
        raise JsonRefused(f"{what} is not valid JSON") from None


def dumps(value: Any) -> str:
    """JSON text for an answer; ValueError for NaN or Infinity (a bug, never sent)."""
    return json.dumps(value, allow_nan=False)


def too_deep(text: str, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels anywhere in `text`."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class _NumberRefused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NumberRefused(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberRefused(f"the number {text[:20]} is too large")
    return value


def _safe_integer(text: str) -> int:
    # Checked by length before int(): int() of a 5,000-digit text raises ValueError.
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS or abs(int(text)) > MAX_SAFE_INTEGER:
        raise _NumberRefused(
            f"the integer {text[:20]}{'...' if len(text) > 20 else ''} is outside "
            f"-(2^53 - 1)..2^53 - 1 and would not arrive exactly"
        )
    return int(text)
