"""The OpenAPI document declares every answer: a response model for each success, ErrorBody for each error, no 422."""

from __future__ import annotations

import json
import typing

import pydantic
import pytest

from actions import api_types
from credit_backend.api.errors import ERROR_DESCRIPTIONS
from credit_backend.responses import Health
from credit_backend.schemas import ErrorBody
from tests.backend.api_helpers import API, assert_error
from tests.backend.conftest import ASSISTANT

METHODS = {"get", "post", "put", "patch", "delete"}
ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture
def spec(client) -> dict:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_no_422_anywhere(spec):
    text = json.dumps(spec)
    assert '"422"' not in text
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text


def test_every_operation_documents_its_errors_with_the_error_body(spec):
    seen = 0
    for path, method, op in operations(spec):
        responses = op["responses"]
        errors = {int(s) for s in responses if int(s) >= 400}
        assert {500, 503} <= errors, (method, path)
        if path.startswith("/api/v1/"):
            assert {400, 401} <= errors, (method, path)
        assert errors <= set(ERROR_DESCRIPTIONS), (method, path, errors)
        for status in errors:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (method, path, status)
            assert responses[str(status)]["description"] == ERROR_DESCRIPTIONS[status]
        seen += 1
    assert seen >= 20


@pytest.mark.parametrize(
    "method, path, statuses",
    [
        ("post", "/api/v1/bindings/start", {404, 413, 423, 429}),
        ("post", "/api/v1/bindings/verify", {404, 410, 413, 423, 429}),
        ("post", "/api/v1/applications/objections", {403, 404, 409, 413}),
        ("post", "/api/v1/applications/{application_no}/decision", {403, 404, 409}),
        ("post", "/api/v1/applications/{application_no}/attachments", {403, 404, 413}),
        ("get", "/api/v1/applications/{application_no}", {404}),
        ("get", "/api/v1/records/{record_id}/repair-eligibility", {404}),
        ("post", "/api/v1/notifications/{notification_id}/delivered", {403, 404}),
        ("get", "/api/v1/audit", {403}),
    ],
)
def test_route_specific_errors(spec, method, path, statuses):
    documented = {int(s) for s in spec["paths"][path][method]["responses"]}
    assert statuses <= documented


def test_error_body_schema(spec):
    body = spec["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "details"}


def test_integer_bounds_are_in_the_schema(spec):
    params = {
        p["name"]: p["schema"]
        for p in spec["paths"]["/api/v1/records/{record_id}/repair-eligibility"]["get"]["parameters"]
    }
    assert (params["record_id"]["minimum"], params["record_id"]["maximum"]) == (1, 2**31 - 1)
    query = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/notifications"]["get"]["parameters"]}
    assert query["after_id"]["maximum"] == 2**31 - 1


def test_real_errors_match_the_documented_body(client, world):
    answers = [
        client.get(f"{API}/entities", params={"q": "江城", "limit": 0}, headers=ASSISTANT),  # 400
        client.get(f"{API}/entities", params={"q": "江城"}),  # 401
        client.get(f"{API}/audit", headers=ASSISTANT),  # 403
        client.get(f"{API}/records/2147483647/repair-eligibility", headers=ASSISTANT),  # 404
        client.get("/api/v1/nothing-here", headers=ASSISTANT),  # 404 from the router
    ]
    for r in answers:
        ErrorBody.model_validate(r.json())
    assert_error(answers[0], 400, "VALIDATION_ERROR", "数量")


def test_every_operation_declares_its_answer(spec):
    """Each success status has a schema (a named response model), except 204 No Content."""
    for path, method, op in operations(spec):
        successes = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            if status == "204":
                assert "content" not in response, (method, path)
                continue
            if path.endswith(".pdf"):  # the issued credit report as a document (seed item 3)
                assert response["content"] == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
                continue
            if path.endswith("/attachments/{attachment_id}"):  # evidence shown inline in the console (issue 11)
                assert set(response["content"]) == {"image/jpeg", "image/png", "application/pdf"}
                assert all(c["schema"] == {"type": "string", "format": "binary"} for c in response["content"].values())
                continue
            if path.endswith(".csv"):  # the audit log and the record import template, for Excel (issue 11)
                assert response["content"] == {"text/csv": {"schema": {"type": "string"}}}
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, path, status, schema)


def test_an_idempotent_retry_is_documented_with_the_same_answer(spec):
    responses = spec["paths"]["/api/v1/applications/objections"]["post"]["responses"]
    assert responses["200"]["content"] == responses["201"]["content"]


def test_the_actions_typed_answers_are_the_declared_ones(spec):
    """actions/api_types.py mirrors the response models: each TypedDict has its component's fields exactly."""
    schemas = spec["components"]["schemas"]
    shapes = [s for name, s in vars(api_types).items() if typing.is_typeddict(s) and not name.startswith("_")]
    assert len(shapes) >= 25
    for shape in shapes:
        component = schemas[shape.__name__]
        assert set(shape.__annotations__) == set(component["properties"]), shape.__name__
        assert shape.__required_keys__ == set(component.get("required", ())), shape.__name__


def test_an_undeclared_field_is_refused():
    """A service that starts returning a new key fails until the response model declares it."""
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Health.model_validate({"status": "ok", "database": "ok", "version": "1"})
