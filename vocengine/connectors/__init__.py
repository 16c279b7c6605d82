"""Inbound connectors: survey and ticket tools that post their own payloads, signed their own way.

One module per tool, each a `Connector` (`base`): whether it is configured, how it checks the tool's signature
over the raw body, and a pure mapping of the tool's payload to a `ResponseCreate` (or, for tools whose
notifications carry only ids, to a `Fetch` that a job completes through the tool's API). What is stored goes
through the one ingest use case (`vocengine.usecases.responses`), so a connector validates, redacts and dedupes
exactly as `POST /v1/responses` does. `registry.CONNECTORS` names them all.
"""
