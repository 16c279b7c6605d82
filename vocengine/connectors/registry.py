"""Every connector, by the name of its endpoint (`POST /v1/connectors/{name}`). A new tool: its module, and
one line here."""

from __future__ import annotations

from vocengine.connectors.base import Connector
from vocengine.connectors.delighted import Delighted
from vocengine.connectors.intercom import Intercom
from vocengine.connectors.qualtrics import Qualtrics
from vocengine.connectors.surveymonkey import SurveyMonkey
from vocengine.connectors.typeform import Typeform
from vocengine.connectors.zendesk import Zendesk

CONNECTORS: dict[str, Connector] = {
    c.name: c for c in (Typeform(), Zendesk(), Intercom(), Delighted(), SurveyMonkey(), Qualtrics())
}
