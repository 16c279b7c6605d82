"""Sending the outbox (`vocengine.store.outbox`): signed per Standard Webhooks, retried with exponential
backoff and jitter until the message's `give_up_at` (`webhook_retry_hours` after it was written), then
failed and visible in its endpoint's delivery log.

Every attempt carries the same `webhook-id` and body and a fresh `webhook-timestamp` and signature
(`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`), so a receiver verifies each with the standard's
reference code and drops an id it has already handled.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from standardwebhooks import Webhook

from vocengine.alerts.urls import UnsafeUrl, check_url
from vocengine.settings import Settings
from vocengine.store import outbox
from vocengine.store.outbox import Message, Outcome

log = logging.getLogger(__name__)
USER_AGENT = "vocengine-webhooks/1"


def backoff_seconds(attempts: int, settings: Settings, rng: random.Random | None = None) -> float:
    """The wait after the `attempts`-th failed attempt: base · 2^(attempts−1), at most the maximum, of which a
    random half is taken off ("equal jitter": receivers that come back are not hit by every sender at once,
    and no wait is near zero)."""
    ceiling: float = min(
        settings.webhook_backoff_max_seconds, settings.webhook_backoff_base_seconds * 2 ** min(attempts - 1, 40)
    )
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def signed_headers(message: Message, now: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(message.secret).sign(message.message_id, now, message.body),
    }


class Deliverer:
    """Claims due messages, sends them (`webhook_concurrency` at once) and records what came of each."""

    def __init__(self, engine: Engine, settings: Settings, name: str, client: httpx.Client | None = None) -> None:
        self.engine, self.settings, self.name = engine, settings, name
        self.client = client or httpx.Client(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2),
        )  # fmt: skip
        self.lease_seconds = settings.webhook_timeout_seconds * 3 + 30
        self._pool = ThreadPoolExecutor(settings.webhook_concurrency, thread_name_prefix="vocengine-webhook")
        self.stop_event = threading.Event()
        self._wake = threading.Event()

    def wake(self) -> None:
        """Messages were just queued: look now instead of at the end of the poll interval."""
        self._wake.set()

    def send(self, message: Message) -> Outcome:
        now = datetime.now(UTC)
        try:
            check_url(message.url, self.settings)
        except UnsafeUrl as exc:
            return Outcome(message, False, error=f"refused: {exc}", retry_at=None)
        try:
            reply = self.client.post(message.url, content=message.body.encode(), headers=signed_headers(message, now))
        except httpx.TimeoutException as exc:
            return Outcome(
                message,
                False,
                error=f"no answer in {self.settings.webhook_timeout_seconds} s ({type(exc).__name__})",
                retry_at=self._retry_at(message),
            )
        except httpx.HTTPError as exc:
            return Outcome(message, False, error=f"{type(exc).__name__}: {exc}", retry_at=self._retry_at(message))
        if 200 <= reply.status_code < 300:
            return Outcome(message, True, status_code=reply.status_code)
        return Outcome(
            message,
            False,
            status_code=reply.status_code,
            error=f"HTTP {reply.status_code}: {reply.text[:200]}",
            retry_at=self._retry_at(message),
        )

    def _retry_at(self, message: Message) -> datetime:
        # From the end of the attempt: a receiver that took the whole timeout still gets its full wait.
        return datetime.now(UTC) + timedelta(seconds=backoff_seconds(message.attempts + 1, self.settings))

    def run_once(self) -> int:
        """One batch of due messages sent and recorded; how many (0: none was due)."""
        s = self.settings
        claimed = outbox.claim(
            self.engine, self.name, s.webhook_batch_size, self.lease_seconds, s.worker_max_lease_expiries
        )
        if not claimed:
            return 0
        outcomes: Sequence[Outcome] = list(self._pool.map(self.send, claimed))
        for o in outcomes:
            if not o.delivered:
                log.info("webhook %s to endpoint %s: %s", o.message.message_id, o.message.endpoint_id, o.error)
        outbox.record(self.engine, self.name, outcomes)
        return len(claimed)

    def drain(self) -> int:
        """Send until nothing is due now (messages waiting for a later retry stay)."""
        sent = 0
        while not self.stop_event.is_set() and (n := self.run_once()):
            sent += n
        return sent

    def run_forever(self, poll_seconds: float) -> None:
        while not self.stop_event.is_set():
            try:
                if self.run_once() == 0:
                    self._wake.wait(poll_seconds)
                    self._wake.clear()
            except Exception:  # noqa: BLE001 - the database may be briefly away; keep delivering
                log.exception("webhook delivery round failed; retrying")
                self.stop_event.wait(min(5.0, poll_seconds * 4))

    def close(self) -> None:
        self.stop_event.set()
        self._wake.set()
        self._pool.shutdown(wait=False)
        self.client.close()
