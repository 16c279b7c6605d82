"""The rule for real components the tests need: used when present, brought along (PostgreSQL), skipped with a
notice on a developer's machine, never skipped in CI."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from tests.components import Component, Unavailable
from tests.databases import _answers, start_embedded


def _missing() -> tuple[object, str]:
    raise Unavailable("not installed here")


def test_a_missing_component_skips_locally_and_says_why(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    component = Component("gadget", _missing)
    with pytest.raises(pytest.skip.Exception, match="gadget unavailable: not installed here"):
        component.get()


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_component_fails_in_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    component = Component("gadget", _missing)
    with pytest.raises(pytest.fail.Exception, match="gadget is required here and unavailable"):
        component.get()


def test_a_present_component_is_looked_for_once():
    calls = []

    def find() -> tuple[str, str]:
        calls.append(1)
        return "handle", "found on the shelf"

    component = Component("gadget", find)
    assert component.get() == component.get() == "handle"
    assert calls == [1] and component.used == "found on the shelf"


def test_the_tests_bring_an_embedded_postgresql_that_answers_and_is_deleted_after():
    url, description, stop = start_embedded()
    folder = description.split("data in ")[1].split(")")[0]
    try:
        assert _answers(url) is None
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (id integer primary key)"))
            connection.execute(text("INSERT INTO probe VALUES (1)"))
            assert connection.execute(text("SELECT count(*) FROM probe")).scalar() == 1
        engine.dispose()
    finally:
        stop()
    assert not os.path.exists(folder)
    assert _answers(url) is not None
