"""The tools' side of a connector test: recorded-shape payloads (written from each tool's public documentation),
their signatures as each tool computes them, and a fake of the APIs a job reads responses from, served on
loopback."""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"
SECRETS = {
    "typeform_secret": "tf-secret",
    "zendesk_secret": "zd-secret",
    "intercom_secret": "ic-client-secret",
    "delighted_secret": "dl-secret",
    "surveymonkey_client_id": "sm-client",
    "surveymonkey_secret": "sm-secret",
    "surveymonkey_token": "sm-token",
    "qualtrics_secret": "qx-shared",
    "qualtrics_token": "qx-token",
}


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def edited(name: str, change: Any) -> bytes:
    """A JSON payload after `change(data)` edits it in place."""
    data = json.loads(payload(name))
    change(data)
    return json.dumps(data).encode()


def _mac(key: str | bytes, message: bytes, algorithm: str) -> bytes:
    return hmac.new(key.encode() if isinstance(key, str) else key, message, algorithm).digest()


def signed(tool: str, body: bytes, *, secret: str | None = None, at: float | None = None) -> dict[str, Any]:
    """The headers (and query) `tool` sends with `body`: {"headers": ..., "params": ...}."""
    key = secret or SECRETS.get(f"{tool}_secret", "")
    now = time.time() if at is None else at
    if tool == "typeform":
        return {"headers": {"Typeform-Signature": "sha256=" + base64.b64encode(_mac(key, body, "sha256")).decode()}}
    if tool == "zendesk":
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        mac = base64.b64encode(_mac(key, stamp.encode() + body, "sha256")).decode()
        return {"headers": {"X-Zendesk-Webhook-Signature": mac, "X-Zendesk-Webhook-Signature-Timestamp": stamp}}
    if tool == "intercom":
        return {"headers": {"X-Hub-Signature": "sha1=" + _mac(key, body, "sha1").hex()}}
    if tool == "delighted":
        stamp = str(int(now))
        mac = _mac(key, stamp.encode() + body, "sha256").hex()
        return {"headers": {"X-Delighted-Webhook-Signature": mac, "X-Delighted-Webhook-Timestamp": stamp}}
    if tool == "surveymonkey":
        sm_key = f"{SECRETS['surveymonkey_client_id']}&{key}"
        mac = base64.b64encode(_mac(sm_key, body, "sha1")).decode()
        return {"headers": {"Sm-Signature": mac, "Sm-Apikey": SECRETS["surveymonkey_client_id"]}}
    if tool == "qualtrics":
        return {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "params": {"token": key}}
    raise ValueError(tool)


class FakeApis:
    """SurveyMonkey's and Qualtrics' response endpoints on a loopback port, answering the recorded responses
    to callers with the right token, and recording every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.fail_next = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests.append((self.path, dict(self.headers)))
                status, body = fake.answer(self.path, self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, headers: Any) -> tuple[int, Any]:
        if self.fail_next:
            self.fail_next -= 1
            return 502, {"error": "bad gateway"}
        if path.startswith("/sm/v3/surveys/118776543/responses/114437891023/details"):
            if headers.get("Authorization") != f"Bearer {SECRETS['surveymonkey_token']}":
                return 401, {"error": {"message": "invalid token"}}
            return 200, json.loads(payload("surveymonkey_details.json"))
        if path == "/API/v3/surveys/SV_1Xo6hqzEqJm1Kfz/responses/R_2QHv0pfWsbOgdrs":
            if headers.get("X-API-TOKEN") != SECRETS["qualtrics_token"]:
                return 401, {"meta": {"httpStatus": "401 - Unauthorized"}}
            return 200, json.loads(payload("qualtrics_response.json"))
        return 404, {"error": "not found"}

    def __enter__(self) -> FakeApis:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
