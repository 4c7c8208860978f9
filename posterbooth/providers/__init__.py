"""Image providers behind one small interface, and the one registry that names each of them.

Each provider is one :class:`ProviderSpec` in :data:`PROVIDERS`: the model that validates a campaign's
``generation.<name>`` block, how to build the client from :class:`~posterbooth.config.Settings` (its typed
credentials come from there, never from the environment directly), the account's concurrency setting and
the request rates its API allows. Everything else (the campaign schema, settings validation, the workers'
contexts, the clock, health checks) asks this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import BaseModel, ConfigDict

from posterbooth.config import ConfigError, Settings
from posterbooth.providers.base import Provider


class OfflineSettings(BaseModel):
    """The offline renderer takes no settings."""

    model_config = ConfigDict(extra="forbid")


def _offline(settings: Settings, transport: httpx.BaseTransport | None = None) -> Provider:
    from posterbooth.providers.offline import OfflineProvider

    return OfflineProvider()


def _hunyuan(settings: Settings, transport: httpx.BaseTransport | None = None) -> Provider:
    from posterbooth.providers.hunyuan import provider_from_settings

    return provider_from_settings(settings, transport)


def _openai(settings: Settings, transport: httpx.BaseTransport | None = None) -> Provider:
    from posterbooth.providers.openai_images import provider_from_settings

    return provider_from_settings(settings, transport)


def _hunyuan_settings() -> type[BaseModel]:
    from posterbooth.providers.hunyuan_settings import HunyuanSettings

    return HunyuanSettings


def _openai_settings() -> type[BaseModel]:
    from posterbooth.providers.openai_images import OpenAISettings

    return OpenAISettings


@dataclass(frozen=True)
class ProviderSpec:
    """One image provider: its settings model, its factory, its account limits and its credentials."""

    name: str
    #: Returns the pydantic model of the campaign's ``generation.<name>`` block (imported on first use).
    settings_model: Callable[[], type[BaseModel]]
    #: Builds the client from the settings (an injectable transport for tests and fakes).
    build: Callable[[Settings, httpx.BaseTransport | None], Provider]
    #: The Settings field overriding PROVIDER_CONCURRENCY for this account; None: no account, no limit.
    concurrency_setting: str | None = None
    #: Settings fields that must be set before the provider can be used.
    credentials: tuple[str, ...] = ()
    #: Requests per second the API allows, by call ("query": job status polls).
    rates: Mapping[str, float] = field(default_factory=dict)


PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec("offline", lambda: OfflineSettings, _offline),
        ProviderSpec("hunyuan", _hunyuan_settings, _hunyuan, "HUNYUAN_CONCURRENCY",
                     ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"), {"query": 20.0}),
        ProviderSpec("openai", _openai_settings, _openai, "OPENAI_CONCURRENCY", ("OPENAI_API_KEY",)),
    )
}
PROVIDER_NAMES = tuple(PROVIDERS)


def spec(name: str) -> ProviderSpec:
    """Return the registry entry of a provider; raise ValueError for an unknown name."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown image provider {name!r}") from None


def settings_model(name: str) -> type[BaseModel] | None:
    """Return the pydantic model that validates a provider's campaign settings."""
    entry = PROVIDERS.get(name)
    return entry.settings_model() if entry else None


def make_provider(name: str, settings: Settings, transport: httpx.BaseTransport | None = None) -> Provider:
    """Build the named provider from the settings; raise ValueError when its credentials are missing."""
    return spec(name).build(settings, transport)


def concurrency(settings: Settings, name: str) -> int | None:
    """Return a provider account's concurrency, or None for a provider with no account (offline)."""
    entry = spec(name)
    if entry.concurrency_setting is None:
        return None
    return int(getattr(settings, entry.concurrency_setting)) or settings.PROVIDER_CONCURRENCY


def request_rate(name: str, call: str) -> float | None:
    """Return the requests per second a provider's call may make, or None when it has no limit."""
    entry = PROVIDERS.get(name)
    return entry.rates.get(call) if entry else None


def missing_credentials(settings: Settings, name: str) -> list[str]:
    """Return the settings a provider needs that are unset."""
    return [setting for setting in spec(name).credentials if not getattr(settings, setting)]


def check_settings(settings: Settings) -> None:
    """Refuse an IMAGE_PROVIDER the registry does not know (called at start-up)."""
    if settings.IMAGE_PROVIDER not in PROVIDERS:
        names = ", ".join(PROVIDER_NAMES)
        raise ConfigError(f"IMAGE_PROVIDER must be one of {names} (got {settings.IMAGE_PROVIDER!r})")
