"""Reading a response that a tool only notified us of (SurveyMonkey, Qualtrics) from the tool's API, and
storing it through the one ingest use case. One step: an HTTP error or a timeout spends an attempt and the job
is tried again (`VOCENGINE_JOB_MAX_ATTEMPTS`); a response that cannot be stored (no free text, invalid) ends
the job with the reason as its result, since reading it again would give the same."""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from vocengine.connectors.base import FETCH_KIND, BadPayload, Ignored
from vocengine.connectors.registry import CONNECTORS
from vocengine.jobs import JobKind
from vocengine.runtime import Runtime
from vocengine.store.jobs import JobClaim
from vocengine.usecases.connectors import take


class ConnectorFetch(JobKind):
    name = FETCH_KIND

    def run_step(self, runtime: Runtime, job: JobClaim) -> bool:
        connector = CONNECTORS[str(job.params["connector"])]
        settings = runtime.settings
        if not connector.configured(settings):
            raise RuntimeError(f"the {connector.name} connector is no longer configured")
        try:
            with httpx.Client(timeout=settings.connector_fetch_timeout_seconds) as client:
                inbound = connector.fetch(settings, job.params, client)
        except (BadPayload, ValidationError) as exc:
            inbound = Ignored(f"cannot be stored: {exc}")
        # Ingest's queue limit was checked when the notification came; the response was accepted then.
        received = take(runtime, connector, inbound, respect_queue_limit=False)
        with job.step(advance=1):
            pass
        job.result = {"status": received.status, "response_id": received.id, "external_id": received.external_id}
        if received.reason:
            job.result["reason"] = received.reason
        return True
