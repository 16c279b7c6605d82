"""Migration 0004 on a database holding data of 0003: jobs move to the job table, and the comment JSON loses
what the sentence rows hold, with the detail rebuilt from the rows exactly as it was stored."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, insert, inspect, select

from vocengine.store.analysis_rows import sentence_rows
from vocengine.store.db import MIGRATIONS, make_engine
from vocengine.store.jobs import list_jobs
from vocengine.store.queue import Claimed
from vocengine.store.responses import get_response

TEXT = "Sales were great. Onboarding was a nightmare.\nSupport fixed it."


def upgrade(engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_0004_moves_jobs_and_keeps_one_copy_of_each_fact(database_url, tiny_analyzer):
    engine = make_engine(database_url)
    upgrade(engine, "0003")
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    [result], [embeddings] = tiny_analyzer.analyze_with_embeddings([TEXT], ["1"])
    full = result.to_json_dict()
    with engine.begin() as connection:
        tables = {name: Table(name, MetaData(), autoload_with=connection) for name in (
            "journey_map_version", "rescore_job", "response", "comment_result", "sentence_result")}  # fmt: skip
        maps = tables["journey_map_version"]
        connection.execute(insert(maps), [
            {"id": 1, "name": "v1", "fingerprint": "a", "definition": {}, "created_at": now, "active": False,
             "reassign_status": "done", "reassigned_sentences": 0},
            {"id": 2, "name": "v2", "fingerprint": "b", "definition": {}, "created_at": now, "active": True,
             "reassign_status": "running", "reassigned_sentences": 5},
        ])  # fmt: skip
        connection.execute(insert(tables["rescore_job"]), [
            {"model_version": "m1", "since": None, "status": "done", "total": 4, "done": 4, "last_response_id": 9,
             "claimed_by": None, "claim_expires_at": None, "created_at": now, "finished_at": now},
            {"model_version": "m2", "since": datetime(2026, 1, 1, tzinfo=UTC), "status": "running", "total": 10,
             "done": 3, "last_response_id": 7, "claimed_by": "gone", "claim_expires_at": now, "created_at": now,
             "finished_at": None},
        ])  # fmt: skip
        connection.execute(insert(tables["response"]).values(
            id=1, source="survey", external_id="r1", text=TEXT, received_at=now, segments={}, status="done",
            attempts=1, processed_at=now))  # fmt: skip
        connection.execute(insert(tables["comment_result"]).values(
            response_id=1, model_version=result.model_version, journey_map_id=2, scored=True, language="en",
            sentiment=result.sentiment.label, analysis=full, created_at=now))  # fmt: skip
        claimed = Claimed(id=1, text=TEXT, source="survey", occurred_at=now, channel=None, persona=None,
                          account_id=None, contact_id=None, attempts=0)  # fmt: skip
        connection.execute(insert(tables["sentence_result"]), sentence_rows(claimed, result, embeddings, 2))

    upgrade(engine, "head")

    jobs = {(j.kind, j.status): j for j in list_jobs(engine)}
    assert set(jobs) == {("rescore", "done"), ("rescore", "queued"), ("reassign_map", "queued")}
    open_rescore = jobs[("rescore", "queued")]
    assert open_rescore.params == {"model_version": "m2", "since": "2026-01-01T00:00:00+00:00"}
    assert (open_rescore.cursor, open_rescore.progress_done, open_rescore.progress_total) == (
        {"last_response_id": 7}, 3, 10)  # fmt: skip
    assert open_rescore.dedupe_key == "rescore:m2:2026-01-01T00:00:00+00:00" and open_rescore.claimed_by is None
    reassign = jobs[("reassign_map", "queued")]
    assert (reassign.params, reassign.progress_done, reassign.cursor) == ({"map_version_id": 2}, 5, None)
    with engine.connect() as connection:
        comment = Table("comment_result", MetaData(), autoload_with=connection)
        analysis = connection.execute(select(comment.c.analysis)).scalar_one()
        response = Table("response", MetaData(), autoload_with=connection)
        assert connection.execute(select(response.c.lease_expiries)).scalar_one() == 0
        maps = Table("journey_map_version", MetaData(), autoload_with=connection)
        assert "reassign_status" not in maps.c and "reassigned_sentences" not in maps.c
    assert "rescore_job" not in inspect(engine).get_table_names()
    assert "sentences" not in analysis and "touchpoints" not in analysis and "primary_touchpoint" not in analysis
    _, detail = get_response(engine, 1)
    assert detail == full  # the same detail, built from the sentence rows
    engine.dispose()
