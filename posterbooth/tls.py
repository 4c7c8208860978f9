"""The process's TLS context for outbound HTTPS, built once (loading the CA bundle costs about 80 ms)."""

from __future__ import annotations

import functools
import ssl

import certifi


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Return the shared client TLS context (certifi's CA bundle, as httpx uses by default)."""
    return ssl.create_default_context(cafile=certifi.where())
