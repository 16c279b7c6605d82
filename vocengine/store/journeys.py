"""Journey map versions in the database, and re-assigning stored sentences when a new one is put.

Re-assignment reads the stored float16 sentence embeddings and runs only the touchpoint assigner: the
classifiers' outputs do not depend on the map, so they are never recomputed. It is a job
(`vocengine.jobs.reassign`): one worker at a time holds it for a lease, batch by batch.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_model

from vocengine.journey.assign import TouchpointAssigner
from vocengine.journey.maps import JourneyMap, load_journey_map, parse_journey_map
from vocengine.store import jobs
from vocengine.store.db import write_transaction
from vocengine.store.tables import Job, JourneyMapVersion, sentence_result, utcnow

log = logging.getLogger(__name__)
MAP_TABLE = JourneyMapVersion.__table__  # type: ignore[attr-defined]
REASSIGN = "reassign_map"


def active_version(engine: Engine) -> JourneyMapVersion | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select_model(JourneyMapVersion).where(JourneyMapVersion.active == True)).first()  # noqa: E712


def as_journey_map(version: JourneyMapVersion) -> JourneyMap:
    return parse_journey_map(version.definition, source=f"journey map version {version.id}")


def active_map(engine: Engine, configured: Path) -> tuple[JourneyMap, int | None]:
    """The map in force and its stored version's id; the configured one (and None) before any is stored."""
    version = active_version(engine)
    if version is None:
        return load_journey_map(configured), None
    return as_journey_map(version), version.id


def put_version(engine: Engine, journey: JourneyMap, reassign: bool = True) -> JourneyMapVersion:
    """Make `journey` the active map: a new version, unless it is the active one already. With stored
    sentences, a job to re-assign them to the new map's touchpoints is queued in the same transaction
    (`vocengine.jobs.reassign`), and one for an earlier version is cancelled."""
    current = active_version(engine)
    if current is not None and current.fingerprint == journey.fingerprint():
        return current
    with write_transaction(engine) as connection:
        connection.execute(update(MAP_TABLE).values(active=False))
        new_id = connection.execute(
            MAP_TABLE.insert().values(
                name=journey.name,
                fingerprint=journey.fingerprint(),
                definition=journey.model_dump(mode="json"),
                created_at=utcnow(),
                active=True,
            )
        ).inserted_primary_key[0]
        if reassign and current is not None:
            total = connection.execute(
                select(func.count()).select_from(sentence_result).where(sentence_result.c.embedding.is_not(None))
            ).scalar_one()
            job_id, _ = jobs.enqueue(
                connection, REASSIGN, {"map_version_id": new_id}, dedupe_key=f"{REASSIGN}:{new_id}", total=total
            )
            jobs.cancel(connection, REASSIGN, keep=job_id, reason=f"journey map version {new_id} replaced it")
            if not total:
                jobs.finish_at_once(connection, job_id)
    with Session(engine, expire_on_commit=False) as session:
        version = session.get(JourneyMapVersion, new_id)
    assert version is not None
    return version


def ensure_active(engine: Engine, default: JourneyMap) -> JourneyMapVersion:
    return active_version(engine) or put_version(engine, default, reassign=False)


def list_versions(engine: Engine) -> list[JourneyMapVersion]:
    """Newest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select_model(JourneyMapVersion).order_by(col(JourneyMapVersion.id).desc())).all())


def reassignments(engine: Engine) -> dict[int, Job]:
    """The latest re-assignment job of each map version that had one."""
    found: dict[int, Job] = {}
    for job in reversed(jobs.list_jobs(engine, kind=REASSIGN, limit=10_000)):
        found[int(job.params["map_version_id"])] = job
    return found


def is_active(connection: Connection, version_id: int) -> bool:
    return bool(connection.execute(select(MAP_TABLE.c.active).where(MAP_TABLE.c.id == version_id)).scalar())


def reassign_batch(
    connection: Connection, version_id: int, assigner: TouchpointAssigner, after: int, limit: int
) -> tuple[int, int]:
    """Give the next `limit` stored sentences after sentence id `after` a touchpoint of map `version_id`
    (only the touchpoint assigner runs, on their stored embeddings); (sentences done, last id)."""
    table = sentence_result
    rows = connection.execute(
        select(table.c.id, table.c.embedding)
        .where(table.c.id > after, table.c.embedding.is_not(None))
        .where((table.c.journey_map_id != version_id) | table.c.journey_map_id.is_(None))
        .order_by(table.c.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0, after
    embeddings = np.stack([np.frombuffer(r.embedding, dtype=np.float16) for r in rows]).astype(np.float32)
    assignments = assigner.assign(embeddings)
    connection.execute(
        update(table)
        .where(table.c.id == bindparam("sid"))
        .values(
            stage=bindparam("new_stage"),
            touchpoint=bindparam("new_touchpoint"),
            touchpoint_score=bindparam("new_score"),
            journey_map_id=version_id,
        ),
        [
            {
                "sid": r.id,
                "new_stage": a.stage if a else None,
                "new_touchpoint": a.touchpoint if a else None,
                "new_score": a.score if a else None,
            }
            for r, a in zip(rows, assignments, strict=True)
        ],
    )
    return len(rows), int(rows[-1].id)
