"""jsonschema errors -> messages a contact-center admin can act on, each with the data
path it belongs to (and whether to point at the key rather than the value)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from campsync.text import escape, one_line, quoted, shorten

PathTuple = tuple[str | int, ...]
_LISTED_CHOICES = 20  # an enum with more choices is not listed in its message
MESSAGE_LIMIT = 160  # characters of a message left to jsonschema's wording

_TYPE_NAMES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (field: value lines)",
    "null": "null",
}


@dataclass(frozen=True)
class Located:
    path: PathTuple
    message: str
    at_key: bool = False
    where: PathTuple | None = None  # where to point, when not at `path` itself

    @property
    def target(self) -> PathTuple:
        """Where to point: `where`, else `path`."""
        return self.where if self.where is not None else self.path


def show(value: Any, limit: int = 60) -> str:
    """A value as a user wrote it, as a short excerpt: a message never quotes a whole value
    (it may be a megabyte, or a secret a link led to)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return quoted(value, limit)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    try:
        text = str(value)
    except ValueError:  # an integer beyond Python's limit for digits
        return "a number of thousands of digits"
    return escape(shorten(text, limit))


def schema_problems(
    validator: Validator, data: Any, skip: Callable[[ValidationError], bool] | None = None
) -> list[Located]:
    """Every error of `validator` on `data` (but those `skip` leaves out) as messages. A value
    of the wrong type fails its other keywords too: only the type is reported."""
    errors = list(validator.iter_errors(data))
    type_paths = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    found: list[Located] = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in type_paths:
            continue
        if skip is None or not skip(error):
            found.extend(problems_from_schema_error(error, data, validator.schema))
    return found


def problems_from_schema_error(error: ValidationError, data: Any, root: Any) -> list[Located]:
    """The messages for one error of validating `data` against the schema `root` (the
    whole schema: an error's schema path starts there)."""
    path: PathTuple = tuple(error.absolute_path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    condition = _condition(error, root)

    if error.schema is False:
        reason = (
            f"not allowed when {condition[0]} is {condition[1]}" if condition else "not allowed"
        )
        return [
            Located(where, reason, at_key=True) for where in _forbidden_paths(error, data, root)
        ]
    if keyword == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance]
        if condition:
            where = (*path, condition[0])
            message = f"required when {condition[0]} is {condition[1]}"
            if list(error.schema_path).count("then") > 1:
                # the nested rule: a file without `id` may create the campaign
                message += " and the file has no id (the platform needs it to create one)"
            return [Located((*path, name), message, where=where) for name in missing]
        return [Located((*path, name), "required field is missing") for name in missing]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        return [
            Located((*path, key), _unknown_field(key, known), at_key=True)
            for key in instance
            if key not in known
        ]
    if keyword == "type":
        return [Located(path, f"must be {_type_names(value)}, not {show(instance)}")]
    if keyword == "enum" and len(value) > _LISTED_CHOICES:
        return [Located(path, _not_in_long_list(instance, value, schema))]
    if keyword == "enum":
        return [Located(path, f"{show(instance)} is not one of {_choices(value)}")]
    if keyword == "const":
        return [Located(path, f"{show(instance)} must be {show(value)}")]
    if keyword == "maximum":
        return [Located(path, f"{show(instance)} is greater than the maximum of {value}")]
    if keyword == "minimum":
        return [Located(path, f"{show(instance)} is less than the minimum of {value}")]
    if keyword == "maxLength":
        return [Located(path, f"is {len(instance)} characters long; the maximum is {value}")]
    if keyword == "minLength":
        return [Located(path, "must not be empty" if value == 1 else f"needs {value}+ characters")]
    if keyword == "minItems":
        return [Located(path, "must not be empty" if value == 1 else f"needs {value}+ items")]
    if keyword == "uniqueItems" and isinstance(instance, list):
        return _repeated(path, instance)
    if keyword == "maxContains" and isinstance(instance, list):
        return _too_many(path, instance, schema.get("contains"))
    if "errorMessage" in schema:
        return [Located(path, f"{schema['errorMessage']} (got {show(instance)})")]
    return [Located(path, _excerpted(error))]


def _excerpted(error: ValidationError) -> str:
    """jsonschema's own message, for a keyword worded nowhere here: it opens with the whole
    value (its repr), so that is made a short excerpt, and the whole kept to one short line."""
    message = error.message
    whole = repr(error.instance)
    if message.startswith(whole):
        message = show(error.instance) + message[len(whole) :]
    return escape(shorten(one_line(message), MESSAGE_LIMIT))


def _condition(error: ValidationError, root: Any) -> tuple[str, Any] | None:
    """(field, value) when the error comes from an `if {field: const} then ...` rule."""
    steps = list(error.schema_path)
    if "then" not in steps:
        return None
    parent: Any = root
    for step in steps[: steps.index("then")]:
        parent = parent[step]
    fields = parent.get("if", {}).get("properties", {})
    for name, rule in fields.items():
        if isinstance(rule, dict) and "const" in rule:
            return name, rule["const"]
    return None


def _forbidden_paths(error: ValidationError, data: Any, root: Any) -> list[PathTuple]:
    """jsonschema reports a `false` property schema without the property's name in the
    error's path: find the forbidden properties present in the data instead."""
    steps = list(error.schema_path)
    if not steps or steps[-1] != "properties":
        return [tuple(error.absolute_path)]
    rule: Any = root
    for step in steps:
        rule = rule[step]
    parent: Any = data
    for step in error.absolute_path:
        parent = parent[step]
    if not isinstance(parent, dict):
        return [tuple(error.absolute_path)]
    base = tuple(error.absolute_path)
    return [(*base, name) for name, sub in rule.items() if sub is False and name in parent]


def closest(word: str, choices: Sequence[str], *, cutoff: float, longest: int) -> str | None:
    """The choice `word` was probably meant to be: one that differs only in case, else
    difflib's closest above `cutoff`; None when none is, or when `word` is longer than
    `longest` (difflib is slow on long text)."""
    close = closest_several(word, choices, count=1, cutoff=cutoff, longest=longest)
    return close[0] if close else None


def closest_several(
    word: str, choices: Sequence[str], *, count: int, cutoff: float, longest: int
) -> list[str]:
    """The `count` choices `word` was most probably meant to be, likeliest first: those that
    differ only in case, then difflib's closest above `cutoff`; none when `word` is longer
    than `longest` (difflib is slow on long text)."""
    if len(word) > longest:
        return []
    folded = word.casefold()
    close = [choice for choice in choices if choice.casefold() == folded][:count]
    if len(close) < count:
        for choice in difflib.get_close_matches(word, choices, n=count, cutoff=cutoff):
            if choice not in close:
                close.append(choice)
    return close[:count]


def _unknown_field(key: str, known: Sequence[str]) -> str:
    guess = closest(key, known, cutoff=0.6, longest=100)
    hint = f" (did you mean '{guess}'?)" if guess else ""
    return f"unknown field {quoted(key)}{hint}"


def _not_in_long_list(instance: Any, choices: Sequence[Any], schema: dict[str, Any]) -> str:
    """For an enum too long to list (the IANA time zones): the likeliest choice, else an
    example. The schema's errorMessage says what the value is not ('an IANA time zone')."""
    what = schema.get("errorMessage", "one of the allowed values")
    texts = [choice for choice in choices if isinstance(choice, str)]
    guess = closest(instance, texts, cutoff=0.8, longest=64) if isinstance(instance, str) else None
    if guess is not None:
        return f"{show(instance)} is not {what} (did you mean '{guess}'?)"
    examples = schema.get("examples") or texts[:1]
    return f"{show(instance)} is not {what} (like {show(examples[0])})"


def _type_names(value: Any) -> str:
    names = [value] if isinstance(value, str) else list(value)
    return " or ".join(_TYPE_NAMES.get(name, name) for name in names)


def _choices(values: Sequence[Any]) -> str:
    # priority: 5 and '5' are the same choice; show it once
    numbers = {str(v) for v in values if not isinstance(v, str)}
    return ", ".join(show(v) for v in values if not (isinstance(v, str) and v in numbers))


def _repeated(path: PathTuple, items: list[Any]) -> list[Located]:
    found: list[Located] = []
    for index, item in enumerate(items):
        if any(_same(item, earlier) for earlier in items[:index]):
            found.append(Located((*path, index), f"{show(item)} is listed more than once"))
    return found


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and bool(left == right)


def _too_many(path: PathTuple, items: list[Any], contains: Any) -> list[Located]:
    """A maxContains rule of the form {properties: {field: {const: v}}}: point at each
    repeat of the value, after its first occurrence."""
    if not isinstance(contains, dict):
        return [Located(path, "has too many matching items")]
    fields = contains.get("properties", {})
    (name, rule), *_ = fields.items()
    wanted = rule.get("const")
    seen = 0
    found: list[Located] = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and _same(item.get(name), wanted):
            seen += 1
            if seen > 1:
                message = f"{name} {show(wanted)} appears more than once; list each {name} once"
                found.append(Located((*path, index, name), message))
    return found
