"""Background jobs: one table, one lease mechanism, resumable steps, attempts apart from lease expiries."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import update

from vocengine.jobs import JobKind, runner
from vocengine.jobs.kinds import KINDS
from vocengine.store import jobs
from vocengine.store.db import write_transaction
from vocengine.store.tables import Job, utcnow

JOB = Job.__table__  # type: ignore[attr-defined]


class Count(JobKind):
    """Counts to params["n"], one per step, the count in the job's cursor: a kind only these tests know."""

    name = "count"
    fail_at: ClassVar[set[int]] = set()

    def run_step(self, runtime, job):
        i = (job.cursor or {}).get("i", 0)
        if i >= job.params["n"]:
            job.result = {"counted": i}
            return True
        if i in self.fail_at:
            raise RuntimeError(f"step {i} failed")
        with job.step(cursor={"i": i + 1}, advance=1):
            pass
        return False


class Exclusive(Count):
    name = "exclusive"
    one_at_a_time = True


TEST_KINDS = {"count": Count(), "exclusive": Exclusive()}


@pytest.fixture(autouse=True)
def _no_failures():
    Count.fail_at = set()
    yield
    Count.fail_at = set()


def enqueue(service, kind="count", n=3, key=None):
    with write_transaction(service.engine) as connection:
        return jobs.enqueue(connection, kind, {"n": n}, dedupe_key=key, total=n)


def expire(service, job_id):
    with service.engine.begin() as connection:
        connection.execute(update(JOB).where(JOB.c.id == job_id).values(claim_expires_at=utcnow() - timedelta(seconds=1)))


def test_a_job_is_queued_once_per_dedupe_key_while_open(service):
    first, new = enqueue(service, key="count:a")
    again, new_again = enqueue(service, key="count:a")
    assert new and not new_again and again == first
    other, _ = enqueue(service, key="count:b")
    assert other != first
    while runner.run_one_step(service.runtime, "w", kinds=TEST_KINDS):
        pass
    assert jobs.get(service.engine, first).status == "done"
    later, new_later = enqueue(service, key="count:a")  # a finished job does not hold its key
    assert new_later and later not in (first, other)


def test_a_job_runs_in_steps_and_resumes_from_its_cursor_after_its_worker_dies(service):
    job_id, _ = enqueue(service, n=4)
    first = runner.claim(service.runtime, "first", kinds=TEST_KINDS)
    assert runner.run_step(service.runtime, first, TEST_KINDS) is False
    assert runner.run_step(service.runtime, first, TEST_KINDS) is False
    assert jobs.get(service.engine, job_id).status == "running"
    # Another worker leaves a job that is held alone.
    assert runner.run_one_step(service.runtime, "second", kinds=TEST_KINDS) == 0
    expire(service, job_id)  # "first" died
    second = runner.claim(service.runtime, "second", kinds=TEST_KINDS)
    assert (second.id, second.cursor, second.done) == (job_id, {"i": 2}, 2)
    assert runner.run_step(service.runtime, first, TEST_KINDS) is True  # the dead worker's late step: refused
    assert jobs.get(service.engine, job_id).progress_done == 2
    while not runner.run_step(service.runtime, second, TEST_KINDS):
        pass
    done = jobs.get(service.engine, job_id)
    assert (done.status, done.progress_done, done.result) == ("done", 4, {"counted": 4})
    assert (done.attempts, done.lease_expiries, done.claimed_by) == (0, 1, None)
    assert done.started_at is not None and done.finished_at is not None


def test_a_failing_step_spends_an_attempt_and_the_job_fails_after_the_limit(service):
    Count.fail_at = {1}
    job_id, _ = enqueue(service, n=3)
    for _ in range(10):
        runner.run_one_step(service.runtime, "w", kinds=TEST_KINDS)
    failed = jobs.get(service.engine, job_id)
    limit = service.settings.job_max_attempts
    assert (failed.status, failed.attempts, failed.progress_done) == ("failed", limit, 1)
    assert "step 1 failed" in failed.error and failed.finished_at is not None


def test_a_job_that_keeps_killing_its_workers_ends_failed(service):
    job_id, _ = enqueue(service, n=100)
    limit = service.settings.worker_max_lease_expiries
    for death in range(limit):
        job = runner.claim(service.runtime, f"w{death}", kinds=TEST_KINDS)
        assert job is not None and job.id == job_id
        expire(service, job_id)
    assert runner.claim(service.runtime, "last", kinds=TEST_KINDS) is None
    ended = jobs.get(service.engine, job_id)
    assert (ended.status, ended.lease_expiries, ended.attempts) == ("failed", limit, 0)
    assert "gave up" in ended.error


def test_one_at_a_time_kinds_never_run_two_at_once(service):
    a, _ = enqueue(service, kind="exclusive", n=2)
    b, _ = enqueue(service, kind="exclusive", n=2)
    held = runner.claim(service.runtime, "w1", kinds=TEST_KINDS)
    assert held.id == a
    assert runner.claim(service.runtime, "w2", kinds=TEST_KINDS) is None  # b waits for a
    while not runner.run_step(service.runtime, held, TEST_KINDS):
        pass
    assert runner.claim(service.runtime, "w2", kinds=TEST_KINDS).id == b


def test_a_worker_leaves_kinds_it_does_not_know(service):
    job_id, _ = enqueue(service, kind="from-a-newer-version", n=1)
    assert runner.run_one_step(service.runtime, "w", kinds=TEST_KINDS) == 0
    assert runner.run_one_step(service.runtime, "w") == 0  # the built-in kinds
    assert jobs.get(service.engine, job_id).status == "queued"
    assert set(KINDS) == {"rescore", "reassign_map", "connector_fetch", "alert_spikes", "themes", "gaps", "train"}


def test_concurrent_workers_do_each_step_of_a_map_reassignment_once(service, monkeypatch):
    """Several workers at once on one re-assignment (threads with their own connections; FOR UPDATE SKIP
    LOCKED on PostgreSQL): every batch is done once, by the worker holding the job."""
    import vocengine.jobs.reassign as reassign
    from tests.api.test_journey_maps import NEW_MAP

    with service.client("ingest") as client:
        items = [{"source": "survey", "external_id": str(i), "text": f"Support call {i} was slow. Billing was fine."}
                 for i in range(20)]  # fmt: skip
        client.post("/v1/responses/batch", json={"items": items}).raise_for_status()
    service.drain()
    monkeypatch.setattr(reassign, "BATCH", 3)
    batches: list[tuple[str, int]] = []
    original = reassign.reassign_batch

    def counted(connection, version_id, assigner, after, limit):
        done, last = original(connection, version_id, assigner, after, limit)
        if done:
            batches.append((threading.current_thread().name, after))
        return done, last

    monkeypatch.setattr(reassign, "reassign_batch", counted)
    with service.client("admin") as client:
        version = client.put("/v1/journey-maps", json=NEW_MAP).json()
    workers = [service.worker(f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=w.drain, name=w.name) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    job = jobs.get(service.engine, version["reassign_job_id"])
    assert (job.status, job.progress_done, job.progress_total) == ("done", 40, 40)
    starts = [after for _, after in batches]
    assert len(starts) == len(set(starts)) == 14  # 40 sentences in batches of 3, none done twice


def test_jobs_are_listed_with_their_progress_through_the_api_and_the_command_line(service, capsys, monkeypatch):
    job_id, _ = enqueue(service, n=2)
    runner.run_one_step(service.runtime, "w", kinds=TEST_KINDS)
    with service.client("admin") as client:
        listed = client.get("/v1/jobs").json()
        one = client.get(f"/v1/jobs/{job_id}").json()
        assert client.get("/v1/jobs/999999").status_code == 404
        assert client.get("/v1/jobs", params={"status": "done"}).json() == []
    assert [j["id"] for j in listed] == [job_id]
    assert one["progress"] == {"done": 1, "total": 2, "percent": 50.0}
    assert (one["kind"], one["status"], one["claimed_by"]) == ("count", "running", "w")
    assert one["created_at"].endswith(("Z", "+00:00"))

    from vocengine.cli import main
    from vocengine.settings import get_settings

    monkeypatch.setenv("VOCENGINE_DATABASE_URL", service.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        assert main(["jobs", "list"]) == 0
        line = capsys.readouterr().out.strip()
        assert line.split()[:5] == [str(job_id), "count", "running", "1", "of"]
        assert main(["jobs", "show", str(job_id)]) == 0
        assert '"kind": "count"' in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def test_two_requests_at_once_queue_one_job(service):
    """The dedupe key holds under concurrency (on PostgreSQL both may pass the first look; the unique index on
    open jobs' keys lets one insert)."""
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def request() -> None:
        barrier.wait()
        ids.append(enqueue(service, key="count:same")[0])

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(ids) == 4 and len(set(ids)) == 1
    assert [j.id for j in jobs.list_jobs(service.engine)] == ids[:1]


def test_job_ids_out_of_range_are_refused_not_a_server_error(service):
    with service.client("admin") as client:
        for path in ("/v1/jobs/0", "/v1/jobs/99999999999999999999", "/v1/jobs?before=99999999999999"):
            reply = client.get(path)
            assert reply.status_code == 422, (path, reply.text)
