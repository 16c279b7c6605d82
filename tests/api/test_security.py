"""API keys: no key 401, wrong scope 403, only a hash stored, revoked keys refused; /health is open."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from vocengine.settings import Settings
from vocengine.store.tables import ApiKey, utcnow

ENDPOINTS = [
    ("POST", "/v1/responses", "ingest"),
    ("POST", "/v1/responses/batch", "ingest"),
    ("GET", "/v1/responses", "read"),
    ("GET", "/v1/responses/1", "read"),
    ("POST", "/v1/analyze", "ingest"),
    ("GET", "/v1/emotions", "read"),
    ("GET", "/v1/journey", "read"),
    ("GET", "/v1/journey/links", "read"),
    ("GET", "/v1/drivers", "read"),
    ("GET", "/v1/themes", "read"),
    ("GET", "/v1/journey/gaps", "read"),
    ("POST", "/v1/journey/gaps/p1/adopt", "admin"),
    ("GET", "/v1/moments", "read"),
    ("GET", "/v1/trends", "read"),
    ("GET", "/v1/accounts", "read"),
    ("GET", "/v1/accounts/acme", "read"),
    ("GET", "/v1/accounts/acme/contacts/jane/review-eligibility", "read"),
    ("GET", "/v1/journey-maps", "read"),
    ("PUT", "/v1/journey-maps", "admin"),
    ("PUT", "/v1/responses/1/labels", "label"),
    ("PUT", "/v1/responses/1/sentences/0/labels", "label"),
    ("POST", "/v1/labels", "label"),
    ("GET", "/v1/labels", "label"),
    ("GET", "/v1/labels/queue", "label"),
    ("GET", "/v1/labels/counts", "label"),
    ("GET", "/v1/models", "admin"),
    ("GET", "/v1/models/x", "admin"),
    ("POST", "/v1/models/x/promote", "admin"),
    ("POST", "/v1/models/rollback", "admin"),
    ("GET", "/v1/models/rescore", "admin"),
    ("POST", "/v1/models/rescore", "admin"),
    ("POST", "/v1/models/train", "admin"),
    ("POST", "/v1/responses/requeue", "admin"),
    ("GET", "/v1/jobs", "admin"),
    ("GET", "/v1/keys", "admin"),
    ("POST", "/v1/keys", "admin"),
    ("DELETE", "/v1/keys/0badc0de", "admin"),
    ("GET", "/v1/jobs/1", "admin"),
    ("POST", "/v1/alert-rules", "admin"),
    ("GET", "/v1/alert-rules", "admin"),
    ("GET", "/v1/alert-rules/1", "admin"),
    ("PUT", "/v1/alert-rules/1", "admin"),
    ("DELETE", "/v1/alert-rules/1", "admin"),
    ("GET", "/v1/alerts", "admin"),
    ("POST", "/v1/webhooks", "admin"),
    ("GET", "/v1/webhooks", "admin"),
    ("GET", "/v1/webhooks/1", "admin"),
    ("DELETE", "/v1/webhooks/1", "admin"),
    ("GET", "/v1/webhooks/1/deliveries", "admin"),
]
# Tools call these with their own signature over the body, never an API key (tests/api/test_connectors.py).
CONNECTORS = [("POST", f"/v1/connectors/{tool}") for tool in
              ("typeform", "zendesk", "intercom", "delighted", "surveymonkey", "qualtrics")]  # fmt: skip
# Any valid key may ask these, whatever its scopes: there is no scope to refuse.
ANY_SCOPE = [("GET", "/v1/keys/me")]
EXAMPLE_PATH_VALUES = {"{response_id}": "1", "{account_id}": "acme", "{contact_id}": "jane", "{index}": "0",
                       "{version_id}": "x", "{job_id}": "1", "{rule_id}": "1", "{endpoint_id}": "1",
                       "{proposal_id}": "p1", "{prefix}": "0badc0de"}  # fmt: skip


@pytest.fixture
def service_settings() -> Settings:
    # Every endpoint is asked without a key below: more than the default limit of failures per address.
    return Settings(touchpoint_threshold=-1.0, max_batch_items=50, max_body_bytes=256 * 1024, worker_batch_size=8,
                    auth_failures_per_minute=0)  # fmt: skip


def test_the_list_above_covers_every_route_of_the_app():
    """A new endpoint cannot slip past the key checks below unnoticed."""
    from api.main import create_app

    routes = set()
    for template, operations in create_app().openapi()["paths"].items():
        if not template.startswith("/v1/"):
            continue
        path = template
        for placeholder, value in EXAMPLE_PATH_VALUES.items():
            path = path.replace(placeholder, value)
        routes |= {(method.upper(), path) for method in operations}
    assert routes == {(method, path) for method, path, _ in ENDPOINTS} | set(CONNECTORS) | set(ANY_SCOPE)


@pytest.mark.parametrize(("method", "path"), CONNECTORS)
def test_a_connector_takes_no_api_key_in_place_of_its_signature(service, method, path):
    """Unconfigured: 404; configured or not, a key of any scope stores nothing without the tool's signature."""
    with service.client("admin") as client:
        reply = client.request(method, path, json={})
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "connector_not_configured"


def test_every_endpoint_but_health_needs_a_key(service):
    with service.client() as client:
        assert client.get("/health").status_code == 200
        for method, path in [(m, p) for m, p, _ in ENDPOINTS] + ANY_SCOPE:
            reply = client.request(method, path, json={})
            assert reply.status_code == 401, (method, path, reply.text)
            assert reply.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_a_key_without_the_scope_is_403(service, method, path, scope):
    other = "read" if scope != "read" else "ingest"
    if scope == "ingest" and path == "/v1/analyze":
        other = "label"
    with service.client(other) as client:
        reply = client.request(method, path, json={})
    assert reply.status_code == 403
    assert scope in reply.json()["error"]["message"]


def test_a_wrong_or_revoked_key_is_401_and_bearer_works(service):
    key = service.key("read")
    with service.client() as client:
        assert client.get("/v1/responses", headers={"X-API-Key": key + "x"}).status_code == 401
        assert client.get("/v1/responses", headers={"X-API-Key": "not-a-key"}).status_code == 401
        assert client.get("/v1/responses", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        with Session(service.engine) as session:
            record = session.exec(select(ApiKey).where(ApiKey.prefix == key.split("_")[1])).one()
            assert key not in (record.key_hash, record.prefix) and len(record.key_hash) == 64
            record.revoked_at = utcnow()
            session.add(record)
            session.commit()
        assert client.get("/v1/responses", headers={"X-API-Key": key}).status_code == 401


def test_admin_may_do_everything(service):
    with service.client("admin") as client:
        assert client.get("/v1/responses").status_code == 200
        reply = client.post("/v1/responses", json={"source": "chat", "external_id": "a", "text": "Fine."})
        assert reply.status_code == 202
