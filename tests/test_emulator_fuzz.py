"""Fuzzing the emulator with schemathesis, from its own OpenAPI description (issue 15).

One emulator on 127.0.0.1 (no faults, no rate limit) serves every operation of
campsync/emulator/openapi.json while schemathesis sends it schema-based requests,
valid and invalid, each with a fresh single-use JWT. Every answer must be below 500,
every error answer JSON in the platform's shape, every success answer of the shape
the description gives.

Bounded for `make test`: a fixed number of examples per operation (about 1,200 requests
in all, some 10 s on a 2-core machine), generated deterministically and with no example
database, so that every run sends the same requests. Raise EXAMPLES_PER_OPERATION for a
longer run by hand.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campsync.emulator.admin import openapi_text
from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator, start_in_thread
from tests.fixtures_emulator import (
    campaign_body,
    emulator_test_config,
    emulator_token,
    platform_error,
    progressive_body,
)

EXAMPLES_PER_OPERATION = 50
VOICE_ID = "cd-fuzz-0000-voice-ready"
SMS_ID = "cd-fuzz-0000-sms-ready"


def fuzzing_description() -> dict[str, Any]:
    """The shipped description, with the names this emulator knows as the only choices
    for the fields that name things: a random name is always "not found", and then no
    generated create or update would ever get past the rules to the store."""
    document: dict[str, Any] = json.loads(openapi_text())
    schemas = document["components"]["schemas"]
    body = schemas["CampaignRequest"]["properties"]
    catalog = default_catalog()
    body["contactLists"]["items"]["enum"] = sorted(catalog.contact_lists)
    body["dncLists"]["properties"]["name"]["enum"] = sorted(catalog.dnc_lists)
    body["experienceFlowName"]["enum"] = sorted(catalog.experience_flows)
    body["queue_name"]["enum"] = sorted(catalog.queues)
    hours = schemas["CallingHours"]["properties"]
    hours["timezone"]["enum"] = ["Asia/Kolkata", "America/New_York", "UTC", "Europe/Berlin"]
    return document


schema = schemathesis.openapi.from_dict(fuzzing_description())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,
    database="none",
)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[RunningEmulator]:
    with start_in_thread(emulator_test_config(ready_after=0, request_log_size=100000)) as running:
        yield running


def reset_targets(running: RunningEmulator) -> None:
    """The two campaigns fuzzed calls aim at, Ready, and nothing else: campaigns created by
    earlier cases go (or a create of the documented example would stop at "name already
    exists" from the second case on), and the targets come back if a case deleted or
    started them, so that update, delete and start/stop get past the 404."""
    store = running.store
    present = {c["_id"]: c for c in store.raw_campaigns()}
    for campaign_id in present.keys() - {VOICE_ID, SMS_ID}:
        store.delete_campaign(campaign_id)
    for campaign_id, body in (
        (VOICE_ID, campaign_body("Fuzz voice target")),
        (SMS_ID, {**progressive_body("Fuzz sms target"), "campaignType": "sms"}),
    ):
        if campaign_id not in present:
            store.seed([{**body, "id": campaign_id, "status": "Ready"}])
        elif present[campaign_id]["status"] != "Ready":
            store.set_status(campaign_id, "Ready")


def aim(case: schemathesis.Case, running: RunningEmulator) -> None:
    """Point most requests past the gate, or nearly all would stop at 401, 403 or 404.

    Of every eight cases, one keeps everything schemathesis generated (token included),
    one gets a fresh token only, and six get a fresh single-use token (as campsync sends
    it), the emulator's own account and stream and, mostly, one of its campaigns. The
    choice is a digest of the case, so that a failing case replays the same."""
    config = running.config
    generated = json.dumps(
        [case.path_parameters, case.query, case.headers, repr(case.body)],
        sort_keys=True,
        default=repr,
    )
    choice = hashlib.sha256(generated.encode()).digest()[0] % 8
    if choice == 0:
        return
    case.headers = {**(case.headers or {}), "auth": emulator_token(running)}
    if choice == 1:
        return
    case.headers.update(accountid=config.account_id, iid=config.stream_id)
    case.path_parameters = {**(case.path_parameters or {}), "streamId": config.stream_id}
    case.query = {**(case.query or {}), "accountId": config.account_id}
    if "campaignId" in case.path_parameters and choice < 6:
        case.path_parameters["campaignId"] = SMS_ID if choice == 5 else VOICE_ID


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
)
def test_no_input_makes_the_emulator_fail(case: schemathesis.Case, fuzzed: RunningEmulator) -> None:
    reset_targets(fuzzed)
    aim(case, fuzzed)
    response = case.call(base_url=fuzzed.url)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json")
        platform_error(response.json(), response.status_code)
    if response.status_code == 405:
        assert response.headers.get("allow")
    case.validate_response(
        response,
        checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
    )
