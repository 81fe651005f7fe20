"""The emulator's OpenAPI description: served, in step with the routes, and its examples
and schemas agree with what the emulator accepts."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft7Validator

from campsync.emulator.app import ADMIN_PREFIX, KINDS
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import (
    REFERENCE_SAMPLE_BODY,
    EmulatorApi,
    campaign_body,
    progressive_body,
    seed_ready,
)

METHODS = ("get", "put", "post", "delete", "patch")


def spec() -> dict[str, Any]:
    text = resources.files("campsync.emulator").joinpath("openapi.json").read_text("utf-8")
    return dict(json.loads(text))


def component_validator(name: str) -> Draft7Validator:
    """A validator for one schema of the description, its $refs resolved in the document."""
    document = spec()
    return Draft7Validator({"$ref": f"#/components/schemas/{name}", **document})


async def test_the_description_is_served_without_auth(
    emulator: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    async with session.get(f"{emulator.url}{ADMIN_PREFIX}openapi.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == spec()


def test_every_platform_route_is_described_and_nothing_else(emulator: RunningEmulator) -> None:
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in emulator.app.router.routes()
        if route.handler in KINDS and route.resource is not None
    }
    described = {
        (method, path)
        for path, item in spec()["paths"].items()
        for method in item
        if method in METHODS
    }
    assert described == served


def test_every_described_error_answer_has_the_platform_shape() -> None:
    document = spec()
    for name, response in document["components"]["responses"].items():
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}, name


@pytest.mark.parametrize(
    "body",
    [
        campaign_body(),
        progressive_body(),
        progressive_body(dialingMode="Preview", maxSkips=0),
        json.loads(REFERENCE_SAMPLE_BODY),
    ],
)
def test_the_request_schema_accepts_what_the_emulator_accepts(body: dict[str, Any]) -> None:
    errors = list(component_validator("CampaignRequest").iter_errors(body))
    assert errors == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("maxSkips", None), ("enableMachineDetect", None), ("priority", "6"), ("maxSkips", 2**53)],
)
def test_the_request_schema_refuses_what_the_emulator_refuses(field: str, value: Any) -> None:
    body = campaign_body(**{field: value})
    assert list(component_validator("CampaignRequest").iter_errors(body))


async def test_the_documented_examples_work_against_the_emulator(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    schemas = spec()["components"]["schemas"]
    example = copy.deepcopy(schemas["CampaignRequest"]["example"])
    status, created = await api.create(example)
    assert status == 200, created
    assert not list(component_validator("IdAndStatusAnswer").iter_errors(created))
    (campaign_id,) = seed_ready(emulator, campaign_body("Ready one"))
    status, updated = await api.update(campaign_id, {**example, "name": "Ready one"})
    assert status == 200, updated
    assert not list(component_validator("UpdateAnswer").iter_errors(updated))
    status, listed = await api.call(
        "POST", f"{api.base}/getAllCampaignDetails", json=schemas["ListRequest"]["example"]
    )
    assert status == 200, listed
    assert not list(component_validator("ListAnswer").iter_errors(listed))
    status, got = await api.get(campaign_id)
    assert not list(component_validator("CampaignAnswer").iter_errors(got))
    status, refused = await api.get("cd-nowhere")
    assert status == 404
    assert not list(component_validator("Error").iter_errors(refused))


async def test_the_run_state_and_reference_answers_have_the_described_shapes(
    emulator: RunningEmulator, api: EmulatorApi
) -> None:
    (campaign_id,) = seed_ready(emulator, progressive_body("Described"))
    for action in ("play", "stop"):
        status, answer = await api.trigger(campaign_id, action)
        assert status == 200, answer
        assert not list(component_validator("TriggerAnswer").iter_errors(answer))
    status, answer = await api.status(campaign_id)
    assert status == 200
    assert not list(component_validator("StatusAnswer").iter_errors(answer))
    status, answer = await api.contact_lists()
    assert status == 200
    assert not list(component_validator("ContactListsAnswer").iter_errors(answer))
    status, answer = await api.queues(page="1", limit="2")
    assert status == 200
    assert not list(component_validator("QueuesAnswer").iter_errors(answer))
    # and what the schemas promise is what a client may rely on: no extra fields
    described = spec()["components"]["schemas"]
    assert set(answer) == set(described["QueuesAnswer"]["properties"])
    _, lists = await api.contact_lists()
    assert set(lists["data"][0]) == set(described["ContactList"]["properties"])
