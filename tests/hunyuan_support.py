"""Shared fixtures and helpers of the Hunyuan client tests (a fake whose clock the tests advance)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from posterbooth.config import Settings
from posterbooth.providers.base import GeneratedImage, GenerationRequest, Pending, ProviderError
from posterbooth.providers.hunyuan import (
    HUNYUAN_VERSION,
    HunyuanProvider,
    provider_from_settings,
)
from posterbooth.providers.results import ResultFetcher
from posterbooth.providers.tencent import TencentCloudClient
from tests.fakes import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud

SUBMIT, QUERY, LITE = "SubmitHunyuanImageJob", "QueryHunyuanImageJob", "TextToImageLite"


def provider_from_env(env: dict[str, str]):  # noqa: ANN201 - the provider class under test
    """Build the provider from settings named as in the environment."""
    return provider_from_settings(Settings(**env))


@pytest.fixture
def fake() -> Iterator[FakeTencentCloud]:
    """Run a fake whose jobs take 10 s of its own clock (tests advance it)."""
    with FakeTencentCloud(latency=10.0, queue_time=2.0) as server:
        yield server


def client_for(fake: FakeTencentCloud, **kwargs: object) -> TencentCloudClient:
    """Return a Tencent Cloud client pointed at the fake."""
    kwargs.setdefault("secret_key", DEFAULT_SECRET_KEY)
    return TencentCloudClient("hunyuan", HUNYUAN_VERSION, fake.url, DEFAULT_SECRET_ID, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def provider(fake: FakeTencentCloud) -> Iterator[HunyuanProvider]:
    """Yield a Hunyuan provider talking to the fake."""
    p = HunyuanProvider(client_for(fake), fetch=ResultFetcher(override_origin=fake.url))
    yield p
    p.close()


def req(prompt: str = "一只橘猫在月光下弹古琴", **kwargs: object) -> GenerationRequest:
    """Return a generation request."""
    return GenerationRequest(prompt=prompt, **kwargs)  # type: ignore[arg-type]


def finish(provider: HunyuanProvider, fake: FakeTencentCloud, request: GenerationRequest) -> GeneratedImage:
    """Start a job, let the fake's clock run out and collect the image."""
    pending = provider.start(request)
    assert isinstance(pending, Pending)
    fake.advance(60)
    result = provider.resume(pending.job_id, request)
    assert isinstance(result, GeneratedImage)
    return result


def error_of(call: object, *args: object) -> ProviderError:
    """Run a call that must fail and return its ProviderError."""
    with pytest.raises(ProviderError) as info:
        call(*args)  # type: ignore[operator]
    return info.value
