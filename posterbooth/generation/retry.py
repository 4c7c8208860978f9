"""How transient provider failures are retried: doubling delays with jitter, capped, a bounded number of times."""

from __future__ import annotations

import random
from dataclasses import dataclass

from posterbooth.config import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """How transient provider failures are retried."""

    max_retries: int = 8
    base_delay: float = 2.0
    job_timeout: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """Return the policy the settings describe."""
        return cls(settings.PROVIDER_MAX_RETRIES, settings.PROVIDER_RETRY_DELAY, settings.PROVIDER_JOB_TIMEOUT)

    @property
    def max_delay(self) -> float:
        """Return the longest wait before one retry."""
        return 30 * self.base_delay

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Return the wait before retry number ``retry`` (1, 2, …): doubling, with jitter, capped."""
        delay = min(self.max_delay, self.base_delay * 2 ** (retry - 1)) * random.uniform(0.5, 1.0)
        if retry_after:
            delay = max(delay, retry_after)
        return min(delay, self.max_delay)
