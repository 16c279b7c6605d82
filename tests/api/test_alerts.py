"""Alert rules, alerts and webhook delivery, on the real service (uvicorn on loopback, SQLite and PostgreSQL)
with real receivers on loopback that verify our signatures with the Standard Webhooks reference code."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from tests.support.receiver import Receiver
from vocengine.alerts.evaluate import evaluate_batch, evaluate_spikes, week_start
from vocengine.alerts.urls import UnsafeUrl, check_url
from vocengine.journey.maps import parse_journey_map
from vocengine.settings import Settings
from vocengine.store import outbox
from vocengine.store.analysis_rows import emotion_mask
from vocengine.store.db import write_transaction
from vocengine.store.tables import CommentResult, Response, WebhookDelivery, sentence_result, utcnow

RESPONSE, COMMENT = Response.__table__, CommentResult.__table__
DELIVERY = WebhookDelivery.__table__


@pytest.fixture
def service_settings() -> Settings:
    return Settings(
        touchpoint_threshold=-1.0, max_batch_items=50, worker_batch_size=8, webhook_allow_loopback=True,
        webhook_timeout_seconds=0.5, webhook_backoff_base_seconds=1.0, webhook_backoff_max_seconds=2.0,
    )  # fmt: skip


def make_rule(client, condition, name="rule"):
    reply = client.post("/v1/alert-rules", json={"name": name, "condition": condition})
    assert reply.status_code == 201, reply.text
    return reply.json()


def register(client, receiver=None, **fields):
    reply = client.post("/v1/webhooks", json={"url": receiver.url, **fields} if receiver else fields)
    assert reply.status_code == 201, reply.text
    endpoint = reply.json()
    if receiver is not None:
        receiver.secret = endpoint["secret"]
    return endpoint


def push(service, items):
    with service.client("ingest") as client:
        reply = client.post("/v1/responses/batch", json={"items": items})
    assert reply.status_code == 202, reply.text
    return [i["id"] for i in reply.json()["items"]]


def item(i, text="The onboarding call was a mess.", **fields):
    return {"source": "survey", "external_id": f"r-{i}", "text": text, **fields}


def deliveries(service):
    with service.engine.connect() as connection:
        return connection.execute(select(DELIVERY).order_by(DELIVERY.c.id)).all()


def make_due(service):
    """Time passes: every message waiting for a retry is due."""
    with service.engine.begin() as connection:
        connection.execute(update(DELIVERY).where(DELIVERY.c.status == "pending").values(next_attempt_at=utcnow()))


# -- rules --------------------------------------------------------------------------------------------


def test_alert_rules_are_created_read_replaced_with_a_new_version_and_deleted(service):
    with service.client("admin") as client:
        rule = make_rule(client, {"kind": "response_match", "sentiment": "negative", "emotions": ["anger"]})
        assert rule["version"] == 1 and rule["kind"] == "response_match" and rule["enabled"] is True
        assert rule["condition"]["emotions"] == ["anger"]
        assert client.get(f"/v1/alert-rules/{rule['id']}").json() == rule
        spec = {"name": "rule", "condition": {"kind": "response_match", "sentiment": "negative", "score_max": 3}}
        replaced = client.put(f"/v1/alert-rules/{rule['id']}", json=spec).json()
        assert replaced["version"] == 2 and replaced["condition"]["score_max"] == 3
        assert client.put(f"/v1/alert-rules/{rule['id']}", json=spec).json()["version"] == 2  # no change
        assert [r["id"] for r in client.get("/v1/alert-rules").json()] == [rule["id"]]
        assert client.delete(f"/v1/alert-rules/{rule['id']}").status_code == 204
        assert client.get(f"/v1/alert-rules/{rule['id']}").status_code == 404
    with service.client("read") as client:
        assert client.get("/v1/alert-rules").status_code == 403


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"kind": "nonsense"}, "condition"),
        ({"kind": "response_match"}, "condition.response_match"),
        ({"kind": "response_match", "emotions": ["rage"]}, "condition.response_match"),
        ({"kind": "response_match", "score_min": 5, "score_max": 3}, "condition.response_match"),
        ({"kind": "response_match", "sentiment": "angry"}, "condition.response_match.sentiment"),
        ({"kind": "spike", "z": 0}, "condition.spike.z"),
        ({"kind": "spike", "window_weeks": 4, "min_baseline_weeks": 6}, "condition.spike"),
        ({"kind": "spike", "min_volume": 0}, "condition.spike.min_volume"),
        ({"kind": "contact_at_risk", "window_days": 0}, "condition.contact_at_risk.window_days"),
        ({"kind": "contact_at_risk", "extra": 1}, "condition.contact_at_risk.extra"),
    ],
)
def test_invalid_rules_are_refused_naming_the_field(service, condition, field):
    with service.client("admin") as client:
        reply = client.post("/v1/alert-rules", json={"name": "x", "condition": condition})
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "validation_error" and error["details"][0]["field"] == field


# -- webhooks: which URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/hook", "only http and https"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10:8080/hook", "private"),
        ("http://0.0.0.0/hook", "not a host"),
        ("http://user:pw@example.com/hook", "credentials"),
        ("http://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_webhook_urls_into_our_own_network_are_refused(service, url, why):
    with service.client("admin") as client:
        reply = client.post("/v1/webhooks", json={"url": url})
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "unsafe_url" and error["details"][0]["field"] == "url" and why in error["message"]


def test_loopback_is_refused_unless_a_setting_allows_it():
    with pytest.raises(UnsafeUrl, match="loopback"):
        check_url("http://127.0.0.1:9000/hook", Settings())
    with pytest.raises(UnsafeUrl, match="loopback"):
        check_url("http://localhost:9000/hook", Settings())
    check_url("http://127.0.0.1:9000/hook", Settings(webhook_allow_loopback=True))
    with pytest.raises(UnsafeUrl, match="link-local"):  # the metadata service stays refused
        check_url("http://169.254.169.254/", Settings(webhook_allow_loopback=True, webhook_allow_private=True))


def test_webhook_endpoints_show_their_secret_once_and_validate_fields(service):
    receiver = Receiver()
    with service.client("admin") as client:
        endpoint = register(client, receiver, owner="support-team", format="slack")
        assert endpoint["secret"].startswith("whsec_")
        shown = client.get(f"/v1/webhooks/{endpoint['id']}").json()
        assert "secret" not in shown and shown["owner"] == "support-team" and shown["format"] == "slack"
        bad = client.post("/v1/webhooks", json={"url": receiver.url, "format": "xml"})
        assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "format"
        bad = client.post("/v1/webhooks", json={"url": receiver.url, "secret": "whsec_" + "!" * 40})
        assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "secret"
        assert client.delete(f"/v1/webhooks/{endpoint['id']}").status_code == 204
        assert client.get(f"/v1/webhooks/{endpoint['id']}/deliveries").status_code == 404


# -- response match, end to end ------------------------------------------------------------------------


def test_a_matching_response_fires_once_and_arrives_signed(service):
    receiver = Receiver().start()
    try:
        with service.client("admin") as client:
            rule = make_rule(
                client, {"kind": "response_match", "personas": ["admin"], "score_max": 3}, "Detractor admins"
            )
            endpoint = register(client, receiver)
            other_team = register(client, Receiver(), owner="nobody-owns-this")
        ids = push(service, [
            item(1, persona="admin", score=2, score_type="nps"),
            item(2, persona="admin", score=9, score_type="nps"),
            item(3, persona="champion", score=1, score_type="nps"),
            item(4, persona="admin"),  # no score: a score condition does not match
        ])  # fmt: skip
        service.drain()
        assert receiver.rejected == []
        [message] = receiver.payloads()
        assert message["type"] == "alert.fired"
        alert = message["data"]
        assert (
            alert["rule_id"] == rule["id"] and alert["subject"] == f"response:{ids[0]}" and alert["rule_version"] == 1
        )
        assert alert["evidence"]["figures"]["score"] == 2 and alert["evidence"]["figures"]["persona"] == "admin"
        assert alert["evidence"]["examples"] == ["The onboarding call was a mess."]
        with service.client("admin") as client:
            listed = client.get("/v1/alerts").json()
            assert [a["id"] for a in listed] == [alert["id"]]
            [log] = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries").json()
            assert log["status"] == "delivered" and log["attempts"] == 1 and log["last_status_code"] == 204
            assert log["message_id"] == receiver.received[0].id
            assert client.get(f"/v1/webhooks/{other_team['id']}/deliveries").json() == []  # not its team's alert
        # The same response scored again (put back in the queue) fires nothing new: one rule, subject, period.
        with service.engine.begin() as connection:
            connection.execute(update(RESPONSE).where(RESPONSE.c.id == ids[0]).values(status="pending"))
        service.drain()
        assert len(receiver.received) == 1 and len(deliveries(service)) == 1
    finally:
        receiver.stop()


def test_a_receiver_that_is_down_then_up_gets_everything_once_per_id(service):
    receiver = Receiver()  # its port is chosen, nothing listens there yet
    with service.client("admin") as client:
        make_rule(client, {"kind": "response_match", "personas": ["admin"]})
        register(client, receiver)
    push(service, [item(i, persona="admin") for i in range(5)])
    service.drain()
    rows = deliveries(service)
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1)] * 5
    assert all("ConnectError" in r.last_error for r in rows)
    receiver.start()
    try:
        make_due(service)
        service.drain()
        assert [(r.status, r.attempts) for r in deliveries(service)] == [("delivered", 2)] * 5
        assert len(receiver.received) == 5 and len(receiver.unique) == 5
        # A worker that sends and dies before it records: its lease runs out, the message goes again under the
        # same id with the same body, and the receiver drops the repeat.
        with service.engine.begin() as connection:
            connection.execute(update(DELIVERY).where(DELIVERY.c.id == rows[0].id).values(status="pending"))
        worker = service.worker("dies-after-sending")
        [claimed] = outbox.claim(service.engine, "dies", 10, lease_seconds=60, max_lease_expiries=5)
        worker.deliverer.send(claimed)
        with service.engine.begin() as connection:
            connection.execute(
                update(DELIVERY)
                .values(claim_expires_at=utcnow() - timedelta(seconds=1))
                .where(DELIVERY.c.claimed_by == "dies")
            )
        service.drain()
        assert len(receiver.received) == 7 and len(receiver.unique) == 5
        repeats = [r for r in receiver.received if r.id == claimed.message_id]
        assert len(repeats) == 3 and len({r.body for r in repeats}) == 1
        assert deliveries(service)[0].status == "delivered" and deliveries(service)[0].lease_expiries == 1
        assert receiver.rejected == []
    finally:
        receiver.stop()


def test_a_slow_receiver_times_out_and_the_message_is_retried(service):
    receiver = Receiver(delay=2.0, slow_times=1).start()
    try:
        with service.client("admin") as client:
            make_rule(client, {"kind": "response_match", "personas": ["admin"]})
            register(client, receiver)
        push(service, [item(1, persona="admin")])
        service.drain()
        [row] = deliveries(service)
        assert row.status == "pending" and "no answer in 0.5 s" in row.last_error
        make_due(service)
        service.drain()
        [row] = deliveries(service)
        assert row.status == "delivered" and row.attempts == 2
        time.sleep(2.0)  # the slow answer finishes too: the receiver has the id twice, and handles it once
        assert len(receiver.unique) == 1
    finally:
        receiver.stop()


def test_a_message_is_retried_with_backoff_until_its_window_ends_then_failed(service):
    receiver = Receiver(status=500).start()
    try:
        with service.client("admin") as client:
            make_rule(client, {"kind": "response_match", "personas": ["admin"]})
            endpoint = register(client, receiver)
        push(service, [item(1, persona="admin")])
        service.drain()
        [row] = deliveries(service)
        assert row.status == "pending" and row.last_status_code == 500
        assert row.give_up_at.replace(tzinfo=UTC) - row.created_at.replace(tzinfo=UTC) == timedelta(hours=24)
        for _ in range(3):
            make_due(service)
            service.drain()
        assert deliveries(service)[0].attempts == 4
        with service.engine.begin() as connection:  # 24 hours pass
            connection.execute(update(DELIVERY).values(give_up_at=utcnow(), next_attempt_at=utcnow()))
        service.drain()
        with service.client("admin") as client:
            [log] = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries", params={"status": "failed"}).json()
        assert log["attempts"] == 5 and "HTTP 500" in log["last_error"] and log["next_attempt_at"] is None
    finally:
        receiver.stop()


def test_slack_endpoints_get_a_text_body(service):
    receiver = Receiver().start()
    try:
        with service.client("admin") as client:
            make_rule(client, {"kind": "response_match", "personas": ["admin"]}, "Admins")
            register(client, receiver, format="slack")
        push(service, [item(1, persona="admin")])
        service.drain()
        [payload] = receiver.payloads()
        assert set(payload) == {"text"} and payload["text"].startswith("*Admins: response")
    finally:
        receiver.stop()


# -- planted data: spikes, contacts at risk, emotions ------------------------------------------------


def plant(engine, rows):
    """Scored responses written straight into the tables: (occurred_at, stage, touchpoint, sentiment,
    account, contact, emotions) per response, one sentence each. Their ids."""
    ids = []
    with engine.begin() as connection:
        start = connection.execute(select(RESPONSE.c.id).order_by(RESPONSE.c.id.desc()).limit(1)).scalar() or 0
        for n, (at, stage, touchpoint, sentiment, account, contact, emotions) in enumerate(rows, start + 1):
            connection.execute(insert(RESPONSE).values(
                id=n, source="survey", external_id=f"planted-{n}", text=f"{sentiment} {n}", submitted_at=at,
                received_at=at, segments={}, status="done", attempts=0, lease_expiries=0, account_id=account,
                contact_id=contact, persona="admin",
            ))  # fmt: skip
            connection.execute(insert(COMMENT).values(
                response_id=n, model_version="planted", scored=True, language="en", sentiment=sentiment,
                p_negative=1.0 if sentiment == "negative" else 0.0, analysis={}, created_at=at,
            ))  # fmt: skip
            connection.execute(insert(sentence_result).values(
                response_id=n, idx=0, text=f"Planted {sentiment} sentence {n}.", start=0, end=10,
                sentiment=sentiment, p_negative=1.0 if sentiment == "negative" else 0.0, stage=stage,
                touchpoint=touchpoint, occurred_at=at, source="survey", account_id=account, contact_id=contact,
                emotion_mask=emotion_mask(emotions), e_anger=0.9 if "anger" in emotions else 0.1,
            ))  # fmt: skip
            ids.append(n)
    return ids


def week(now, k, sentiments, touchpoint="kickoff", stage="onboarding"):
    """Responses `k` weeks before this one (0: this week, before now), with these sentiments."""
    this = week_start(now)
    at = this + (now - this) / 2 if k == 0 else this - timedelta(weeks=k) + timedelta(days=2)
    return [(at, stage, touchpoint, s, None, None, ()) for s in sentiments]


def shares(negative, total):
    return ["negative"] * negative + ["positive"] * (total - negative)


def test_a_spike_fires_on_planted_data_and_noise_pages_no_one(service):
    now = datetime.now(UTC)
    rows = []
    for k, negative in enumerate([0, 3, 4, 2, 3, 5, 3, 4, 2]):  # kickoff: ~10 % negative for 8 weeks ...
        rows += week(now, k, shares(18 if k == 0 else negative, 30))  # ... then 60 % this week
    for k, negative in enumerate([7, 6, 5, 7, 6, 4, 6, 5, 7]):  # billing: noise around 20 %
        rows += week(now, k, shares(negative, 30), "procurement_invoicing", "purchase")
    for k in range(9):  # training: 100 % negative this week, but only 5 comments
        rows += week(now, k, shares(5 if k == 0 else 0, 5), "team_training")
    plant(service.engine, rows)
    receiver = Receiver().start()
    try:
        with service.client("admin") as client:
            rule = make_rule(client, {"kind": "spike", "z": 2, "window_weeks": 8, "min_volume": 20}, "Spike")
            register(client, receiver)
        service.drain()  # an idle worker queues the spike evaluation and runs it
        [message] = receiver.payloads()
        alert = message["data"]
        assert alert["rule_id"] == rule["id"] and alert["subject"] == "touchpoint:kickoff"
        assert alert["period"] == "{}-W{:02d}".format(*now.isocalendar()[:2])
        figures = alert["evidence"]["figures"]
        assert figures["value"] == 0.6 and figures["comments"] == 30 and figures["z"] > 2
        assert 0.09 < figures["baseline_mean"] < 0.12 and figures["baseline_weeks"] == 8
        assert len(alert["evidence"]["examples"]) == 3
        # Evaluated again in the same week: the same rule, subject and week fire once.
        with write_transaction(service.engine) as connection:
            assert len(evaluate_spikes(connection, None)) == 1
            assert outbox.fire(connection, evaluate_spikes(connection, None), 24) == []
    finally:
        receiver.stop()


def test_a_volume_spike_and_a_stage_spike(service):
    now = datetime.now(UTC)
    rows = []
    for k, total in enumerate([60, 20, 22, 18, 21, 19, 20, 23, 20]):
        rows += week(now, k, shares(2, total), "ui_usability", "usage")
    plant(service.engine, rows)
    with service.client("admin") as client:
        make_rule(client, {"kind": "spike", "measure": "volume", "window_weeks": 8}, "Volume")
        make_rule(client, {"kind": "spike", "level": "stage", "target": "usage", "direction": "down", "z": 1}, "Down")
    with write_transaction(service.engine) as connection:
        fired = evaluate_spikes(connection, None)
    # Three times the usual comments; and a negative share that fell from 10 % to 3 %, which only a rule
    # watching for drops reports.
    assert [(f.subject, f.evidence["figures"]["value"]) for f in fired] == [
        ("touchpoint:ui_usability", 60.0),
        ("stage:usage", 0.0333),
    ]
    assert fired[1].evidence["figures"]["z"] < -1


OWNED_MAP = {
    "name": "owned",
    "stages": [
        {"id": "onboarding", "name": "Onboarding", "owner": "cs-team", "touchpoints": [
            {"id": "kickoff", "name": "Kick-off", "description": "The first call.", "owner": "onboarding-team"},
            {"id": "team_training", "name": "Training", "description": "Training the team."},
        ]},
    ],
}  # fmt: skip


def test_contact_at_risk_fires_when_the_accounts_worst_contact_turns(service):
    now = datetime.now(UTC)
    day = now - timedelta(days=2)
    plant(service.engine, [(day, "onboarding", "kickoff", "positive", "acme", "ann", ())] * 4)
    with service.client("admin") as client:
        make_rule(client, {"kind": "contact_at_risk", "window_days": 30}, "At risk")
        make_rule(client, {"kind": "contact_at_risk", "account_ids": ["other"]}, "Other accounts only")
    journey = parse_journey_map(OWNED_MAP)

    def batch(*rows):
        ids = plant(service.engine, list(rows))
        with write_transaction(service.engine) as connection:
            return evaluate_batch(connection, ids, journey, now)

    # Bob is mixed (one negative in three): the account is not at risk yet.
    assert (
        batch(*[(now, "onboarding", "kickoff", s, "acme", "bob", ()) for s in ("negative", "positive", "neutral")])
        == []
    )
    # Two more negatives make Bob at risk: the account's worst contact changes to at risk.
    [firing] = batch(*[(now, "onboarding", "kickoff", "negative", "acme", "bob", ())] * 2)
    assert firing.subject == "account:acme" and firing.period == now.date().isoformat()
    figures = firing.evidence["figures"]
    assert (
        figures["worst_contact_id"] == "bob"
        and figures["previous_status"] == "mixed"
        and figures["negative_share"] == 0.6
    )
    assert len(firing.evidence["examples"]) == 2
    # Still at risk after more bad news: no change, nothing fires.
    assert batch((now, "onboarding", "kickoff", "negative", "acme", "bob", ())) == []


def test_response_match_on_emotions_stage_and_owner(service):
    now = datetime.now(UTC)
    with service.client("admin") as client:
        make_rule(
            client, {"kind": "response_match", "sentiment": "negative", "emotions": ["anger", "disgust"]}, "Angry"
        )
        make_rule(
            client, {"kind": "response_match", "emotions": ["anger"], "min_emotion": 0.5, "stages": ["usage"]}, "x"
        )
    ids = plant(service.engine, [
        (now, "onboarding", "kickoff", "negative", None, None, ("anger",)),
        (now, "onboarding", "team_training", "negative", None, None, ("disgust", "sadness")),
        (now, "onboarding", "kickoff", "negative", None, None, ("sadness",)),
        (now, "onboarding", "kickoff", "positive", None, None, ("anger",)),
    ])  # fmt: skip
    with write_transaction(service.engine) as connection:
        fired = evaluate_batch(connection, ids, parse_journey_map(OWNED_MAP), now)
    assert [(f.subject, f.owner, f.evidence["emotions"]) for f in fired] == [
        (f"response:{ids[0]}", "onboarding-team", ["anger"]),
        (f"response:{ids[1]}", "cs-team", ["disgust", "sadness"]),
    ]


def test_the_running_worker_scores_fires_and_delivers_in_the_background(db_engine, tiny_analyzer, service_settings):
    """As `vocengine serve` runs: the embedded worker thread scores, and its deliverer thread sends."""
    from tests.support.service import serve
    from vocengine.runtime import Runtime

    running, stop = serve(Runtime(service_settings, engine=db_engine, analyzer=tiny_analyzer), run_worker=True)
    receiver = Receiver().start()
    try:
        with running.client("admin") as client:
            make_rule(client, {"kind": "response_match", "personas": ["admin"]})
            register(client, receiver)
        [response_id] = push(running, [item(1, persona="admin")])
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        [message] = receiver.payloads()
        assert message["data"]["subject"] == f"response:{response_id}"
    finally:
        receiver.stop()
        stop()
