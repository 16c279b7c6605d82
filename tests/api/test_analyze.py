"""POST /v1/analyze scores at once and stores nothing; the OpenAPI document is complete."""

from __future__ import annotations

from sqlalchemy import func, select

from vocengine.store.tables import Response


def test_analyze_answers_at_once_redacted_and_stores_nothing(service):
    with service.client("ingest") as client:
        reply = client.post("/v1/analyze", json={"texts": ["Call me on +44 20 7946 0958. The import failed."]})
    assert reply.status_code == 200
    [result] = reply.json()["results"]
    assert "7946" not in result["text"] and "[PHONE]" in result["text"]
    assert len(result["sentences"]) == 2 and set(result["sentiment"]["scores"]) == {"negative", "neutral", "positive"}
    with service.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Response.__table__)).scalar_one() == 0


def test_analyze_refuses_an_empty_list(service):
    with service.client("read") as client:
        reply = client.post("/v1/analyze", json={"texts": []})
    assert reply.status_code == 422 and reply.json()["error"]["details"][0]["field"] == "texts"


def test_openapi_documents_every_endpoint_with_examples_and_the_error_shape(service):
    with service.client() as client:
        spec = client.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) >= 14
    for path, method, op in operations:
        assert op.get("summary") or op.get("description"), (path, method)
        if path.startswith("/v1/connectors/"):
            # A tool's signature, not an API key (tests/api/test_connectors.py).
            assert "401" in op["responses"] and not op.get("security"), (path, method)
        elif path != "/health":
            assert "401" in op["responses"] and "403" in op["responses"], (path, method)
            assert op.get("security"), (path, method)
        content = op["responses"].get("200", {}).get("content", {})
        recorded = next((c["example"] for c in content.values() if c.get("example")), None)
        if method == "get" and path not in ("/health", "/v1/responses"):
            assert recorded, f"{path} has no recorded example: run python -m api.examples"
    schemas = spec["components"]["schemas"]
    assert schemas["ResponsePage"].get("examples") and schemas["IngestResult"].get("examples")
    assert "ErrorResponse" in schemas
    assert schemas["ResponseCreate"].get("examples")
    body = spec["paths"]["/v1/responses/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/ResponseBatch") and schemas["ResponseBatch"].get("examples")
