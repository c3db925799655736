"""Typed settings, read once at the composition root (prefix ``DRAFTDESK_``, optional .env).

Lower layers never read the environment: they receive these values as plain arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEMO_KB_DIR = PACKAGE_ROOT / "knowledge_base" / "demo"
DEFAULT_DATA_DIR = Path("./var")
# The Selling Partner API's documented hosts, one per region.
SP_API_ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "xxx", "placeholder", "todo"}


def env_file_location(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the optional ``.env`` is read from: ``DRAFTDESK_ENV_FILE`` if set, else ``.env``
    in the data dir (``DRAFTDESK_DATA_DIR``, default ``./var``) — never the working directory,
    so running a command from another checkout cannot pick up someone else's secrets."""
    explicit = environ.get("DRAFTDESK_ENV_FILE")
    if explicit:
        return Path(explicit)
    return Path(environ.get("DRAFTDESK_DATA_DIR") or DEFAULT_DATA_DIR) / ".env"


class Settings(BaseSettings):
    """Every knob of draftdesk; defaults give the embedded, offline, key-less product."""

    model_config = SettingsConfigDict(
        env_prefix="DRAFTDESK_", extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    chroma_url: str | None = None
    chroma_collection: str = "draftdesk_chunks"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr("development-only-secret-key-change-me")
    # Encryption at rest of buyer data (bot/protection/crypto.py): base64 key(s), the first
    # encrypts, the others only decrypt (during a rotation). Without either, an embedded
    # data dir gets a generated key file ``data.key`` (0600).
    data_key: SecretStr | None = None
    data_key_file: Path | None = None

    # Drafting
    llm: str | None = None  # "provider:model", e.g. "openai:gpt-4o-mini"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 30.0
    seller_name: str = "Brightwater Home"
    # Who signs the replies; None: "The <seller name> team" (see ``sign_off``).
    signature: str | None = None
    handoff_threshold: float | None = None  # None: the calibrated default shipped with the model
    retrieval_top_k: int = Field(default=4, ge=1, le=20)
    # PyTorch threads of the embedding model; None: 1 in serve/worker processes (several
    # share the cores), all cores for `draftdesk ingest` (one bulk job).
    embed_threads: int | None = Field(default=None, ge=1, le=256)
    # `serve --api-only`: no embedding model, no index, no in-process worker (workers draft).
    api_only: bool = False

    # Workflow
    reply_deadline_hours: float = 24.0
    ack_response_time_text: str = "within a few hours, and always within 24 hours"
    max_message_chars: int = Field(default=4000, ge=100, le=20000)
    rate_limit_per_conversation: int = 20  # messages per minute
    rate_limit_per_ip: int = 60  # requests per minute to public endpoints without a buyer token
    rate_limit_per_buyer: int = 120  # requests per minute with one buyer's token
    login_attempts_per_minute: int = 10  # failed sign-ins, per IP and per e-mail address
    # Where the limits count: "memory://" (one process) or "redis://host:6379/0" (shared by
    # every API process), any storage URL of the ``limits`` library.
    rate_limit_storage_url: str = "memory://"
    worker_in_process: bool = True
    worker_poll_seconds: float = 0.5
    worker_max_attempts: int = 5
    # With a backlog, a worker claims up to this many conversations and embeds their texts
    # in one model call (1: one at a time).
    worker_batch_size: int = Field(default=4, ge=1, le=32)
    # A claim is held this long unless its worker's heartbeat renews it (every
    # ``worker_heartbeat_seconds``; None: a third of the lease), so a dead worker's job is
    # retaken within the lease. 25 s: with the poll interval, within 30 s of a kill.
    worker_lease_seconds: float = Field(default=25.0, gt=0)
    worker_heartbeat_seconds: float | None = Field(default=None, gt=0)
    worker_retry_base_seconds: float = 2.0  # backoff: base, 2×base, 4×base … (max 5 min)
    console_session_hours: float = 12.0
    # A browser session not used for this long is signed out (the absolute limit above
    # still holds); its last use is recorded at most once a minute.
    session_idle_minutes: float = Field(default=60.0, gt=0)
    # Test-only ("module:function" returning build_services keywords); ignored unless
    # environment == "test". Lets subprocess tests run a fast fake drafter.

    # Widget
    # NoDecode: the env value is comma-separated (see _comma_separated), not JSON.
    widget_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Policy and orders
    policy_file: Path | None = None
    orders_file: Path | None = None

    # Reply checks
    allowed_link_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_phone_numbers: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Slack
    slack_mode: Literal["off", "socket", "http"] = "off"
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_review_channel: str | None = None
    slack_approvers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_api_url: str = "https://slack.com/api/"
    slack_reminder_hours: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [12.0, 20.0]
    )

    # Amazon inbox: the marketplace's e-mail relay (bot/mail). URLs carry credentials, so
    # they are secrets; a password file replaces the password in the URL.
    mail_imap_url: SecretStr | None = None  # imaps://user:pass@host:993/INBOX
    mail_imap_password_file: Path | None = None
    mail_smtp_url: SecretStr | None = None  # smtps://user:pass@host:465 or smtp://…:587
    mail_smtp_password_file: Path | None = None
    mail_from: str | None = None  # the seller's registered address (Amazon refuses others)
    # Bcc of every reply (default: mail_from), so a crash during sending can be checked.
    mail_copy_to: str | None = None
    mail_ca_file: Path | None = None  # PEM bundle trusted besides the system CAs (IMAP+SMTP)
    mail_relay_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mail_require_authentication: bool = True
    mail_trusted_authserv_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mail_max_reply_chars: int = Field(default=2000, ge=100, le=20000)
    # Documents an agent may attach to a reply (invoice-*, warranty-*, instructions-*; PDF,
    # PNG, JPEG). None: $DRAFTDESK_DATA_DIR/mail/outbound_documents.
    mail_documents_dir: Path | None = None
    mail_poll_seconds: float = 60.0
    mail_in_process: bool = True  # serve/worker run the poller and sender when configured

    # Orders from the marketplace: the Selling Partner API (bot/orders/sp_api.py). Each
    # credential comes from the environment or from a file (``…_FILE``, e.g. a secret mount).
    sp_api_refresh_token: SecretStr | None = None
    sp_api_refresh_token_file: Path | None = None
    sp_api_client_id: SecretStr | None = None  # the app's Login with Amazon client
    sp_api_client_id_file: Path | None = None
    sp_api_client_secret: SecretStr | None = None
    sp_api_client_secret_file: Path | None = None
    # na, eu or fe: the region of the seller's marketplaces (its documented host below);
    # ``sp_api_endpoint`` replaces the host (a sandbox, or a local fake in tests).
    sp_api_region: Literal["na", "eu", "fe"] = "na"
    sp_api_endpoint: str | None = None
    sp_api_marketplace_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sp_api_token_url: str = "https://api.amazon.com/auth/o2/token"
    sp_api_sync_seconds: float = Field(default=900.0, ge=0)  # 0: no periodic sync
    sp_api_first_sync_days: int = Field(default=30, ge=1, le=730)  # how far back, first time

    # Buyer data is purged this many days after delivery (or the conversation's last
    # activity); Amazon's Data Protection Policy allows at most 30 (bot/privacy/retention.py).
    retention_days: int = Field(default=30, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual order (arguments, environment, .env, secrets), with the .env found by
        :func:`env_file_location` when the settings are read (an explicit ``_env_file`` wins)."""
        explicit = getattr(dotenv_settings, "env_file", None)
        dotenv = DotEnvSettingsSource(settings_cls, env_file=explicit or env_file_location())
        return init_settings, env_settings, dotenv, file_secret_settings

    @field_validator(
        "widget_origins",
        "allowed_link_domains",
        "allowed_phone_numbers",
        "slack_approvers",
        "mail_relay_domains",
        "mail_trusted_authserv_ids",
        "sp_api_marketplace_ids",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention_within_policy(cls, value: int) -> int:
        if value > 30:
            raise ValueError(
                f"DRAFTDESK_RETENTION_DAYS may be at most 30 (Amazon's Data Protection Policy: "
                f"buyer data goes 30 days after delivery), not {value}"
            )
        return value

    @field_validator("slack_reminder_hours", mode="before")
    @classmethod
    def _comma_separated_hours(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.secret_key.get_secret_value()
            if len(key) < 32 or "change-me" in key or key.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    "DRAFTDESK_SECRET_KEY must be set to a random value of 32+ characters "
                    "in production"
                )
        return self

    @model_validator(mode="after")
    def _heartbeat_within_the_lease(self) -> Settings:
        beat = self.worker_heartbeat_seconds
        if beat is not None and beat >= self.worker_lease_seconds:
            raise ValueError(
                "DRAFTDESK_WORKER_HEARTBEAT_SECONDS must be shorter than "
                "DRAFTDESK_WORKER_LEASE_SECONDS (a claim would expire between beats)"
            )
        return self

    @model_validator(mode="after")
    def _api_only_processes_do_not_draft(self) -> Settings:
        if self.api_only:
            self.worker_in_process = False
        return self

    @field_validator("sp_api_endpoint", "sp_api_token_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s):// URL")
        return value

    @property
    def sp_api_url(self) -> str:
        """The Selling Partner API host of the configured region (or the override)."""
        return self.sp_api_endpoint or SP_API_ENDPOINTS[self.sp_api_region]

    @property
    def sign_off(self) -> str:
        """The signature under every reply."""
        return self.signature or f"The {self.seller_name} team"

    @property
    def resolved_database_url(self) -> str:
        """The SQL database: PostgreSQL when configured, else SQLite under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'draftdesk.sqlite3').resolve()}"

    @property
    def default_data_key_file(self) -> Path:
        return self.data_dir / "data.key"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def resolved_policy_file(self) -> Path:
        return self.policy_file or DEMO_KB_DIR / "_seller" / "policy.yaml"
