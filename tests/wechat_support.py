"""Shared fixtures and helpers of the WeChat tests: a hand-moved clock, the fake WeChat API, credentials."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis

from posterbooth.wechat import (
    WeChatCredentials,
)
from tests.fakes.wechat_server import STABLE_TOKEN, FakeWeChatServer

PAGE = "https://posters.example.com/c/spring-gala/result/42?from=singlemessage&isappinstalled=0"
T0 = 1_700_000_000.0


class FakeClock:
    """Stand in for time.time with a clock the test moves by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer(clock=clock) as server:
        yield server


@pytest.fixture
def creds(fake: FakeWeChatServer, redis_conn: redis.Redis, clock: FakeClock) -> Iterator[WeChatCredentials]:
    with WeChatCredentials(fake.app_id, fake.app_secret, redis_conn, api_base=fake.url, clock=clock) as c:
        yield c


def force_flags(fake: FakeWeChatServer) -> list[bool]:
    return [body["force_refresh"] for body in fake.requests(STABLE_TOKEN)]


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
