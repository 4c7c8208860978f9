"""Posterbooth: campaign microsites that turn quiz answers into AI-generated posters.

The package's domain (answers, outcome, prompt, draft, submit, generation, providers, poster, storage)
imports no Flask, so workers and scripts load none of it; the web app is built by :func:`create_app`
(:mod:`posterbooth.webapp`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the web app: settings, campaigns, database, queue and blueprints."""
    from posterbooth.webapp import create_app as build

    return build(test_config)
