"""The campaign JSON Schema, as shipped inside the package, and its two validators.

- `campaign_validator()`: jsonschema, the reference. It finds every error, with the paths
  the messages need, and is run only on files that are not valid.
- `fast_validator()`: jsonschema-rs (Rust), which only decides whether a file is valid, a
  hundred times faster; every file goes through it first.

Both evaluate `pattern` with ECMA-262 semantics, as JSON Schema says (`$` matches only at
the very end; Python's `re` also before a final newline): jsonschema through `regress`,
as check-jsonschema does, jsonschema-rs natively. Both count an integer-valued number
(`5.0`) as an integer and a boolean never. tests/test_schema_agreement.py holds the two
to the same verdicts on every case of the test data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from typing import Any, cast

import jsonschema_rs
import regress
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

SCHEMA_RESOURCE = "schemas/campaign.schema.json"


@cache
def _schema_text() -> str:
    return resources.files("campsync").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """A fresh copy of the campaign schema (callers may mutate it)."""
    return cast(dict[str, Any], json.loads(_schema_text()))


@lru_cache(maxsize=64)
def ecma_regex(pattern: str) -> regress.Regex:
    """A JSON Schema pattern compiled with ECMA-262 semantics (unicode mode, as
    check-jsonschema compiles it)."""
    return regress.Regex(pattern, flags="u")


def ecma_search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches somewhere in `text`, as JSON Schema's `pattern` decides."""
    return ecma_regex(pattern).find(text) is not None


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


ReferenceValidator = extend(Draft202012Validator, validators={"pattern": _pattern})


def reference_validator(schema: dict[str, Any]) -> Validator:
    """A jsonschema validator of `schema` (checked first) with ECMA-262 patterns: how
    campsync checks a file against any of its schemas (campsync.yaml's too)."""
    Draft202012Validator.check_schema(schema)
    return cast(Validator, ReferenceValidator(schema))


@cache
def campaign_validator() -> Validator:
    """The prepared (module-cached) reference validator for campaign files."""
    return reference_validator(load_schema())


@cache
def fast_validator() -> jsonschema_rs.Validator:
    """The prepared (module-cached) jsonschema-rs validator: a verdict, no messages."""
    return jsonschema_rs.Draft202012Validator(load_schema())


def fast_is_valid(data: Any) -> bool | None:
    """The fast validator's verdict; None when it cannot judge `data` (a value it cannot
    convert, such as a string holding a lone surrogate): the reference then decides."""
    try:
        return fast_validator().is_valid(data)
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
