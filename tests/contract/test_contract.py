"""Every operation of the OpenAPI document, fuzzed against the running backend with schemathesis.

For each operation, with the assistant token and with the staff token, schemathesis generates requests
that fit the schema (positive) and requests that break it (negative). Every answer must be:
no 5xx, a status code the operation documents, a documented content type, and a body that fits the
documented schema (ErrorBody for every error). The number of examples is bounded so that the whole suite
takes a few minutes on two cores; CONTRACT_EXAMPLES raises it for a longer local run.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from credit_backend.main import create_app
from tests.contract.conftest import TALLY, TOKENS

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "50"))  # per operation, role and mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("assistant", "staff")
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)

# The document the code produces; test_the_served_document_is_this_one checks the process serves the same.
DOCUMENT = create_app().openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


def _has_inputs(label: str) -> bool:
    """Whether a request can break the schema: a parameter besides the token, or a body."""
    method, path = label.split(" ", 1)
    operation = DOCUMENT["paths"][path][method.lower()]
    names = {p["name"].lower() for p in operation.get("parameters", [])}
    return bool(names - {"authorization"}) or "requestBody" in operation


# Negative requests need something to break: operations without inputs get positive ones only.
RUNS = [
    (label, role, mode)
    for label in sorted(OPERATIONS)
    for role in ROLES
    for mode in MODES
    if mode.is_positive or _has_inputs(label)
]


@pytest.fixture(scope="module")
def http() -> requests.Session:
    with requests.Session() as session:
        yield session


def test_the_served_document_is_this_one(backend, http):
    assert http.get(f"{backend.url}/openapi.json", timeout=10).json() == DOCUMENT
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize("label, role, mode", RUNS, ids=["-".join(map(str, run)) for run in RUNS])
def test_operation(backend, http, label, role, mode):
    operation = OPERATIONS[label]
    auth = {"authorization": f"Bearer {TOKENS[role]}"}
    strategy = operation.as_strategy(generation_mode=mode, headers=auth)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure reproduces
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(base_url=backend.url, session=http, headers=auth, timeout=30)
        TALLY.requests[role] += 1
        TALLY.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=auth)

    TALLY.operations.add(label)
    run()


def test_the_backend_logged_no_unexpected_error(backend):
    """Runs last: the catch-all logs every 500 with its traceback; the whole run must have logged none."""
    log = backend.process.log()
    assert "unexpected error" not in log and "Traceback" not in log, log[-4000:]
