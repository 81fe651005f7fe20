"""The campaign JSON Schema, as shipped inside the package, and a prepared validator."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import extend

SCHEMA_RESOURCE = "schemas/campaign.schema.json"


@cache
def _schema_text() -> str:
    return resources.files("campsync").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """A fresh copy of the campaign schema (callers may mutate it)."""
    return cast(dict[str, Any], json.loads(_schema_text()))


def _is_strict_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 3.0 as an integer; campaign files must write whole numbers.
    return isinstance(instance, int) and not isinstance(instance, bool)


_StrictValidator = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
)


@cache
def campaign_validator() -> Validator:
    """The prepared (module-cached) validator for campaign files."""
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return cast(Validator, _StrictValidator(schema))
