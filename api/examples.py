"""Response examples for the OpenAPI document, taken from a real run rather than written by hand.

    python -m api.examples        # rewrites api/examples.json

It stores the bundled sample (examples/feedback_sample.csv) in a temporary SQLite database, scores it
with the default models, asks every query endpoint, and keeps each answer, trimmed to a readable size.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).resolve().parent / "examples.json"
PROJECT = Path(__file__).resolve().parents[1]


@cache
def _all() -> dict[str, Any]:
    return json.loads(EXAMPLES_FILE.read_text()) if EXAMPLES_FILE.is_file() else {}


def example(name: str, media_type: str = "application/json") -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: its 200 answer as recorded, or nothing when none is recorded."""
    recorded = _all().get(name)
    if recorded is None:
        return {}
    return {200: {"content": {media_type: {"example": recorded}}}}


def _trim(value: Any, depth: int = 0) -> Any:
    """Lists cut to two items and emotion dicts to their four largest values, so an example stays legible."""
    if isinstance(value, list):
        return [_trim(v, depth + 1) for v in value[:2]]
    if isinstance(value, dict):
        if len(value) >= 7 and all(isinstance(v, float) for v in value.values()):
            top = sorted(value.items(), key=lambda kv: -kv[1])[:4]
            return {k: v for k, v in top}
        return {k: _trim(v, depth + 1) for k, v in value.items()}
    return value


@contextmanager
def _receiver() -> Iterator[str]:
    """A webhook receiver on loopback that takes every message (204), so the delivery log shows a delivery."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Taker(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Taker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/cx"
    finally:
        server.shutdown()


def main() -> None:
    with _receiver() as receiver:
        _record(receiver)


def sample_responses() -> list[Any]:
    """The bundled sample as a survey tool would push it: each account's comments spread over three contacts,
    the sample's deliberately bad rows (empty text, ...) left out. The examples, the web app's browser tests
    and its benchmark store these."""
    import csv

    from pydantic import ValidationError

    from vocengine.ingest import ResponseCreate

    with (PROJECT / "examples" / "feedback_sample.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    items = []
    for i, row in enumerate(rows):
        try:
            items.append(ResponseCreate(
                source=row["source"], external_id=row["id"], text=row["text"], channel=row["channel"] or None,
                persona=row["persona"] or None, account_id=row["account_id"] or None,
                contact_id=f"contact-{i % 3}" if row["account_id"] else None, submitted_at=row["submitted_at"] or None,
            ))  # fmt: skip
        except ValidationError:
            continue
    return items


def _record(receiver: str) -> None:
    import httpx

    from vocengine.alerts.rules import RuleSpec
    from vocengine.bench_service import start_server
    from vocengine.journey.maps import load_journey_map
    from vocengine.runtime import Runtime
    from vocengine.settings import Settings
    from vocengine.usecases.alerts import create_endpoint, create_rule
    from vocengine.usecases.keys import create_key
    from vocengine.usecases.responses import store_responses
    from vocengine.worker import ScoringWorker

    folder = tempfile.mkdtemp(prefix="vocengine-examples-")
    url = f"sqlite:///{folder}/examples.db"
    # The receiver of the example webhook listens on loopback, which webhook URLs may not reach by default.
    runtime = Runtime(Settings(database_url=url, webhook_allow_loopback=True))
    items = sample_responses()
    # A rule and a webhook before scoring, so that scoring fires alerts and the worker delivers them.
    rule = {"kind": "response_match", "sentiment": "negative", "emotions": ["anger", "annoyance", "disappointment"]}
    create_rule(runtime, RuleSpec.model_validate({"name": "Angry customers", "condition": rule}))
    endpoint = create_endpoint(runtime, receiver, owner=None, description="the CX team's channel")
    store_responses(runtime, items)
    ScoringWorker(runtime, "examples").drain()
    key, _ = create_key(runtime, ["admin"])
    account = next(item.account_id for item in items if item.account_id)
    paths = {
        "emotions": "/v1/emotions?group_by=stage,persona",
        "journey": "/v1/journey",
        "journey_links": "/v1/journey/links",
        "drivers": "/v1/drivers?outcome=nps",
        "accounts": "/v1/accounts",
        "moments": "/v1/moments?limit=2",
        "trends": "/v1/trends?interval=week",
        "account": f"/v1/accounts/{account}",
        "review_eligibility": f"/v1/accounts/{account}/contacts/contact-0/review-eligibility",
        "response": "/v1/responses/1",
        "journey_maps": "/v1/journey-maps",
        "labels_queue": "/v1/labels/queue?task=touchpoint&limit=2",
        "labels_counts": "/v1/labels/counts",
        "models": "/v1/models",
        "alert_rules": "/v1/alert-rules",
        "alert_rule": "/v1/alert-rules/1",
        "alerts": "/v1/alerts?limit=2",
        "webhooks": "/v1/webhooks",
        "webhook": f"/v1/webhooks/{endpoint.id}",
        "deliveries": f"/v1/webhooks/{endpoint.id}/deliveries?limit=2",
        "key_me": "/v1/keys/me",
        "keys": "/v1/keys",
        "responses_about": "/v1/responses?touchpoint=data_migration&limit=2",
    }
    server, api = start_server(url)
    try:
        with httpx.Client(base_url=api, headers={"X-API-Key": key}, timeout=60) as client:
            # A CX lead's correction first, so that the response detail and the export show one.
            label = {"sentiment": "neutral", "touchpoint": "documentation"}
            client.put("/v1/responses/1/sentences/0/labels", json=label).raise_for_status()
            recorded = {name: _trim(client.get(path).raise_for_status().json()) for name, path in paths.items()}
            reply = client.post("/v1/analyze", json={"texts": ["Sales were great. Onboarding was a nightmare."]})
            recorded["analyze"] = _trim(reply.raise_for_status().json())
            recorded["labels_export"] = client.get("/v1/labels").raise_for_status().text
            active = recorded["models"]["active"]["id"]
            recorded["model"] = _trim(client.get(f"/v1/models/{active}").raise_for_status().json())
            client.post("/v1/models/rescore", json={}).raise_for_status()  # nothing to rescore: done at once
            recorded["rescore_jobs"] = _trim(client.get("/v1/models/rescore").raise_for_status().json())
            # A new map: its re-assignment is a job, carried out by the worker below.
            definition = json.loads(json.dumps(load_journey_map(runtime.settings.journey_map).model_dump(mode="json")))
            definition["name"] += " (v2)"
            client.put("/v1/journey-maps", json=definition).raise_for_status()
            ScoringWorker(runtime, "examples").drain()
            recorded["journey_maps"] = _trim(client.get("/v1/journey-maps").raise_for_status().json())
            recorded["jobs"] = _trim(client.get("/v1/jobs").raise_for_status().json())
            recorded["job"] = _trim(client.get(f"/v1/jobs/{recorded['jobs'][0]['id']}").raise_for_status().json())
            # Themes and gaps are jobs too: the first ask queues one (202), the worker computes, the next answers.
            reports = {"themes": "/v1/themes?stage=onboarding&polarity=all", "gaps": "/v1/journey/gaps"}
            for path in reports.values():
                client.get(path).raise_for_status()
            ScoringWorker(runtime, "examples").drain()
            for name, path in reports.items():
                reply = client.get(path).raise_for_status()
                assert reply.status_code == 200, f"{path} answered {reply.status_code} after its job ran"
                recorded[name] = _trim(reply.json())
    finally:
        server.terminate()
        server.wait(timeout=30)
        runtime.close()
    EXAMPLES_FILE.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
