"""Alert rules, the alerts they fired, webhook endpoints and their delivery logs: what the API (and any other
entry point) calls, one function per use."""

from __future__ import annotations

from sqlmodel import Session, col, select

from vocengine.alerts.rules import RuleSpec
from vocengine.alerts.urls import check_url
from vocengine.runtime import Runtime
from vocengine.store.outbox import new_secret
from vocengine.store.tables import Alert, AlertRule, WebhookDelivery, WebhookEndpoint, utcnow


def _session(runtime: Runtime) -> Session:
    return Session(runtime.engine, expire_on_commit=False)


def create_rule(runtime: Runtime, spec: RuleSpec) -> AlertRule:
    rule = AlertRule(
        name=spec.name, kind=spec.condition.kind, condition=spec.condition.model_dump(mode="json"), enabled=spec.enabled
    )
    with _session(runtime) as session:
        session.add(rule)
        session.commit()
        session.refresh(rule)
    return rule


def get_rule(runtime: Runtime, rule_id: int) -> AlertRule:
    with _session(runtime) as session:
        rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise LookupError(f"alert rule {rule_id} does not exist")
    return rule


def list_rules(runtime: Runtime) -> list[AlertRule]:
    with _session(runtime) as session:
        return list(session.exec(select(AlertRule).order_by(col(AlertRule.id))).all())


def replace_rule(runtime: Runtime, rule_id: int, spec: RuleSpec) -> AlertRule:
    """The rule's new definition, under a new version (unchanged: the same version)."""
    with _session(runtime) as session:
        rule = session.get(AlertRule, rule_id, with_for_update=True)
        if rule is None:
            raise LookupError(f"alert rule {rule_id} does not exist")
        condition = spec.condition.model_dump(mode="json")
        if (rule.name, rule.condition, rule.enabled) != (spec.name, condition, spec.enabled):
            rule.name, rule.kind, rule.condition, rule.enabled = spec.name, spec.condition.kind, condition, spec.enabled
            rule.version += 1
            rule.updated_at = utcnow()
            session.add(rule)
            session.commit()
            session.refresh(rule)
    return rule


def delete_rule(runtime: Runtime, rule_id: int) -> None:
    """The rule stops firing; the alerts it fired stay."""
    with _session(runtime) as session:
        rule = session.get(AlertRule, rule_id)
        if rule is None:
            raise LookupError(f"alert rule {rule_id} does not exist")
        session.delete(rule)
        session.commit()


def list_alerts(
    runtime: Runtime, rule_id: int | None = None, limit: int = 50, before: int | None = None
) -> list[Alert]:
    """Newest first."""
    query = select(Alert)
    if rule_id is not None:
        query = query.where(Alert.rule_id == rule_id)
    if before is not None:
        query = query.where(col(Alert.id) < before)
    with _session(runtime) as session:
        return list(session.exec(query.order_by(col(Alert.id).desc()).limit(limit)).all())


def create_endpoint(
    runtime: Runtime, url: str, *, owner: str | None = None, fmt: str = "standard", description: str | None = None,
    secret: str | None = None,
) -> WebhookEndpoint:  # fmt: skip
    """A new endpoint with its signing secret (made here unless given); `UnsafeUrl` for a URL we refuse."""
    check_url(url, runtime.settings)
    endpoint = WebhookEndpoint(url=url, secret=secret or new_secret(), owner=owner, format=fmt, description=description)
    with _session(runtime) as session:
        session.add(endpoint)
        session.commit()
        session.refresh(endpoint)
    return endpoint


def get_endpoint(runtime: Runtime, endpoint_id: int) -> WebhookEndpoint:
    with _session(runtime) as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise LookupError(f"webhook endpoint {endpoint_id} does not exist")
    return endpoint


def list_endpoints(runtime: Runtime) -> list[WebhookEndpoint]:
    with _session(runtime) as session:
        return list(session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all())


def delete_endpoint(runtime: Runtime, endpoint_id: int) -> None:
    """The endpoint and its delivery log go; messages not yet sent to it are dropped."""
    with _session(runtime) as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise LookupError(f"webhook endpoint {endpoint_id} does not exist")
        session.delete(endpoint)
        session.commit()


def deliveries(
    runtime: Runtime, endpoint_id: int, status: str | None = None, limit: int = 50, before: int | None = None
) -> list[WebhookDelivery]:
    """An endpoint's messages, newest first."""
    get_endpoint(runtime, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(col(WebhookDelivery.id) < before)
    with _session(runtime) as session:
        return list(session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all())
