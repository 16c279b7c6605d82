"""Journey map versions in the database, and re-assigning stored sentences when a new one is put.

Re-assignment reads the stored float16 sentence embeddings and runs only the touchpoint assigner: the
classifiers' outputs do not depend on the map, so they are never recomputed.
"""

from __future__ import annotations

import logging

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlmodel import Session
from sqlmodel import select as select_model

from vocengine.journey.assign import TouchpointAssigner
from vocengine.journey.maps import JourneyMap, parse_journey_map
from vocengine.store.db import write_transaction
from vocengine.store.tables import JourneyMapVersion, sentence_result, utcnow

log = logging.getLogger(__name__)
MAP_TABLE = JourneyMapVersion.__table__  # type: ignore[attr-defined]


def active_version(engine: Engine) -> JourneyMapVersion | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select_model(JourneyMapVersion).where(JourneyMapVersion.active == True)).first()  # noqa: E712


def as_journey_map(version: JourneyMapVersion) -> JourneyMap:
    return parse_journey_map(version.definition, source=f"journey map version {version.id}")


def put_version(engine: Engine, journey: JourneyMap, reassign: bool = True) -> JourneyMapVersion:
    """Make `journey` the active map: a new version, unless it is the active one already."""
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
                reassign_status="pending" if reassign and current is not None else "done",
                reassigned_sentences=0,
            )
        ).inserted_primary_key[0]
    with Session(engine, expire_on_commit=False) as session:
        version = session.get(JourneyMapVersion, new_id)
    assert version is not None
    return version


def ensure_active(engine: Engine, default: JourneyMap) -> JourneyMapVersion:
    return active_version(engine) or put_version(engine, default, reassign=False)


def reassign_sentences(engine: Engine, version_id: int, assigner: TouchpointAssigner, batch_size: int = 2000) -> int:
    """Give every stored sentence a touchpoint of map `version_id`, batch by batch. Resumable: a batch
    commits with its rows marked with the version, so a restart continues where it stopped."""
    table = sentence_result
    done = 0
    with write_transaction(engine) as connection:
        connection.execute(update(MAP_TABLE).where(MAP_TABLE.c.id == version_id).values(reassign_status="running"))
    while True:
        with write_transaction(engine) as connection:
            if _superseded(connection, version_id):
                log.info("journey map %s was replaced; its re-assignment stops", version_id)
                return done
            rows = connection.execute(
                select(table.c.id, table.c.embedding)
                .where(table.c.embedding.is_not(None))
                .where((table.c.journey_map_id != version_id) | table.c.journey_map_id.is_(None))
                .order_by(table.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                connection.execute(update(MAP_TABLE).where(MAP_TABLE.c.id == version_id).values(reassign_status="done"))
                return done
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
            done += len(rows)
            connection.execute(
                update(MAP_TABLE)
                .where(MAP_TABLE.c.id == version_id)
                .values(reassigned_sentences=MAP_TABLE.c.reassigned_sentences + len(rows))
            )


def _superseded(connection: Connection, version_id: int) -> bool:
    return not connection.execute(select(MAP_TABLE.c.active).where(MAP_TABLE.c.id == version_id)).scalar_one()
