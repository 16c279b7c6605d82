"""The OpenAPI contract, fuzzed: schemathesis generates requests from the service's own schema (valid ones,
and invalid ones) and sends them to the real server on SQLite and on PostgreSQL with a key of every scope.
Every answer must be documented for its operation, match its schema and never be a 5xx.

Bounded: VOCENGINE_CONTRACT_EXAMPLES (default 12) valid and as many invalid cases per operation, generated
the same way on every run (derandomized) so that a failure here is a defect, not luck; raise it to search
further. The counts are printed in the run's summary."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import CONTRACT_CASES as CASES

EXAMPLES = int(os.environ.get("VOCENGINE_CONTRACT_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def seed(service) -> None:
    """Something to read: scored responses, a label, a job, so that reads meet real rows."""
    with service.client("admin") as client:
        items = [
            {"source": "survey", "external_id": f"c-{i}", "text": text, "persona": "admin", "account_id": "acme",
             "contact_id": f"contact-{i}", "segments": {"region": "EMEA", "seats": i}, "score": i, "score_type": "nps"}
            for i, text in enumerate(["Onboarding was slow.", "Support answered at once, thanks!", "Billing is fine."])
        ]  # fmt: skip
        assert client.post("/v1/responses/batch", json={"items": items}).status_code == 202
        service.drain()
        label = {"sentiment": "negative"}
        assert client.put("/v1/responses/1/labels", json=label).status_code == 200


@pytest.mark.slow
def test_the_service_keeps_its_openapi_contract(service):
    seed(service)
    database = service.engine.dialect.name
    key = service.key("admin")
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=service.url, headers={"X-API-Key": key}, timeout=60)
                case.validate_response(response, checks=CHECKS)
                CASES[database] += 1

            try:
                call()
            except Unsatisfiable:
                # Nothing to get wrong: an operation without parameters or body (GET /health) has no invalid case.
                assert mode == GenerationMode.NEGATIVE
    CASES[f"{database} operations"] = len(operations)


def test_every_error_status_is_documented_with_the_one_error_shape():
    """What the fuzzer cannot reach (a missing key, a body over the limit, a conflict in the registry) is
    still documented where it can happen, with the error schema."""
    from api.main import create_app
    from vocengine.runtime import Runtime
    from vocengine.settings import Settings

    spec = create_app(Runtime(Settings())).openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            statuses = operation["responses"]
            where = f"{method.upper()} {path}"
            for status, response in statuses.items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, where
            if path.startswith("/v1/connectors/"):
                # A tool signs its posts instead of sending a key: a wrong signature is 401; there is no scope.
                assert "401" in statuses and "403" not in statuses, where
            elif path != "/health":
                assert {"401", "403"} <= set(statuses), where
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(statuses), where
            if "{" in path:
                assert {"404", "422"} <= set(statuses), where
    models = spec["paths"]["/v1/models/{version_id}/promote"]["post"]["responses"]
    assert "409" in models and "409" in spec["paths"]["/v1/models/rollback"]["post"]["responses"]
