"""Image providers behind one small interface, and the settings each one accepts."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from workers.providers.base import Provider

PROVIDER_NAMES = ("offline", "hunyuan", "openai")


class OfflineSettings(BaseModel):
    """The offline renderer takes no settings."""

    model_config = ConfigDict(extra="forbid")


def settings_model(name: str) -> type[BaseModel] | None:
    """Return the pydantic model that validates a provider's campaign settings."""
    if name == "offline":
        return OfflineSettings
    if name == "hunyuan":
        from workers.providers.hunyuan import HunyuanSettings

        return HunyuanSettings
    if name == "openai":
        from workers.providers.openai_images import OpenAISettings

        return OpenAISettings
    return None


def make_provider(name: str, env: Mapping[str, str]) -> Provider:
    """Build the named provider from the environment's settings."""
    if name == "offline":
        from workers.providers.offline import OfflineProvider

        return OfflineProvider()
    if name == "hunyuan":
        from workers.providers.hunyuan import provider_from_env

        return provider_from_env(env)
    if name == "openai":
        from workers.providers.openai_images import provider_from_env as openai_from_env

        return openai_from_env(env)
    raise ValueError(f"unknown image provider {name!r}")
