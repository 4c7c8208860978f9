"""Fakes of external services for tests and benches, served on loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.tencent_server import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, FakeTencentCloud

__all__ = ["DEFAULT_SECRET_ID", "DEFAULT_SECRET_KEY", "FakeTencentCloud", "fake_tencent"]


@pytest.fixture
def fake_tencent() -> Iterator[FakeTencentCloud]:
    """Yield a running fake Tencent Cloud (jobs finish after 0.2 s, concurrency 1), stopped afterwards."""
    with FakeTencentCloud(latency=0.2) as fake:
        yield fake
