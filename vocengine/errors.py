"""Every error and warning vocengine reports, with a code, so the CLI, the API and the docs agree."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # E1xx: models
    "E101": "The base encoder could not be found: {detail}.",
    "E102": "The base encoder path is not a Hugging Face model folder: {detail}.",
    "E103": "The model folder is incomplete or invalid: {detail}.",
    "E104": "The model does not fit its base encoder: {detail}.",
    # E2xx: journey maps
    "E201": "Journey map {source} is invalid at {field}: {detail}.",
    "E202": "Journey map {source} could not be read: {detail}.",
    # E3xx: input files and rows
    "E301": "Input {source} could not be read: {detail}.",
    "E302": "Row {row} of {source}: {detail}.",
    "E303": "Input {source} has no column {column!r}; columns are {columns}.",
    "E304": "Unknown input format for {source}: use .csv, .jsonl or plain text lines.",
    "E305": "Line {line} of {source}: {detail}.",
    # E5xx: the service's limits
    "E501": "The scoring queue holds {depth} responses waiting, at its limit of {limit}: nothing was stored; "
    "send again in {retry_after} s.",
    # W: flags put on rows that are still analysed (or skipped with a reason)
    "W401": "Empty text: nothing to analyse.",
    "W402": "Text longer than {limit} characters was cut at a sentence boundary.",
    "W403": "Text is not English ({language}): not scored by the English models.",
    "W404": "Text contained invalid UTF-8 bytes, replaced with U+FFFD.",
    "W405": "Text contained HTML markup, removed before analysis.",
    "W406": "Text has no words (only emoji, symbols or digits): sentiment from emoji only, no emotions.",
}


def message(code: str, **fields: object) -> str:
    return f"[{code}] " + MESSAGES[code].format(**fields)


class VocengineError(Exception):
    """Base class: carries a code from MESSAGES and the fields that fill its text."""

    def __init__(self, code: str, **fields: object) -> None:
        self.code = code
        self.fields = fields
        super().__init__(message(code, **fields))


class ModelLoadError(VocengineError):
    pass


class JourneyMapError(VocengineError):
    pass


class InputError(VocengineError):
    pass


class QueueFull(VocengineError):
    """Ingest refused because the scoring queue is at `max_pending`: nothing of the refused call was stored.
    Its fields include `retry_after`, in seconds."""

    @property
    def retry_after(self) -> int:
        value = self.fields["retry_after"]
        assert isinstance(value, int)
        return value
