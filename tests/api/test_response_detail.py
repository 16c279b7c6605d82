"""One copy of each fact: the comment's stored JSON no longer repeats its sentence rows; the detail that
`GET /v1/responses/{id}` shows is built from them, in the shape the engine answers."""

from __future__ import annotations

from sqlalchemy import select

from vocengine.store.analysis_rows import FROM_SENTENCE_ROWS
from vocengine.store.tables import CommentResult

COMMENT = CommentResult.__table__  # type: ignore[attr-defined]
TEXTS = [
    "Sales were great. Onboarding was a nightmare.\nSupport fixed it the same day, thanks!",
    "Das Produkt ist gut, aber der Support ist langsam.",  # not English: sentences kept, not scored
    "🙂🙂",  # no words: emoji sentiment only
    "The invoice was wrong.",
]


def test_the_detail_is_the_engines_answer_built_from_the_sentence_rows(service):
    items = [{"source": "survey", "external_id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)]
    with service.client("ingest") as client:
        ids = [i["id"] for i in client.post("/v1/responses/batch", json={"items": items}).json()["items"]]
    service.drain()
    analyzer, _ = service.runtime.active.current()
    with service.client("read") as client:
        details = [client.get(f"/v1/responses/{rid}").json() for rid in ids]
    for rid, detail in zip(ids, details, strict=True):
        [expected] = analyzer.analyze([detail["text"]], [str(rid)])
        assert detail["analysis"] == expected.to_json_dict()
    assert [len(d["analysis"]["sentences"]) for d in details] == [3, 1, 1, 1]
    with service.engine.connect() as connection:
        stored = connection.execute(select(COMMENT.c.analysis)).scalars().all()
    assert len(stored) == 4 and not any(key in analysis for analysis in stored for key in FROM_SENTENCE_ROWS)


def test_a_pending_response_has_no_analysis_yet(service):
    with service.client("ingest") as client:
        [item] = client.post("/v1/responses", json={"source": "chat", "external_id": "p", "text": "Fine."}).json()[
            "items"
        ]
    with service.client("read") as client:
        detail = client.get(f"/v1/responses/{item['id']}").json()
        assert client.get("/v1/responses/999999").status_code == 404
    assert (detail["status"], detail["analysis"]) == ("pending", None)
