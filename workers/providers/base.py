"""The one small interface every image provider implements.

A provider turns a :class:`GenerationRequest` into a :class:`GeneratedImage`.
Fast providers answer at once from :meth:`Provider.start`; providers that run
a remote job return :class:`Pending` with the provider's job id, and the worker
asks again later with :meth:`Provider.resume`, without holding a process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

ErrorKind = Literal["retryable", "moderation", "account", "bad_request"]


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a provider needs to make one image."""

    prompt: str
    negative_prompt: str = ""
    seed: int = 0
    #: Renderer hint from the campaign style (e.g. "watercolor", "anime", "ink", "3d").
    style: str = ""
    width: int = 1024
    height: int = 1024
    #: Generation kind: "text_to_image" now; photo kinds arrive with the photo campaigns.
    kind: str = "text_to_image"
    #: Provider-specific settings copied from the campaign's ``generation.<provider>`` block.
    settings: dict = field(default_factory=dict)
    #: Named input images (encoded bytes) for kinds that start from a photo.
    inputs: dict[str, bytes] = field(default_factory=dict)
    #: A reference for logs (the participation id); never a secret.
    reference: str = ""


@dataclass(frozen=True)
class GeneratedImage:
    """An encoded image returned by a provider."""

    data: bytes
    content_type: str
    provider: str
    model: str = ""
    revised_prompt: str | None = None


@dataclass(frozen=True)
class Pending:
    """A remote job that is still running; ask again after ``poll_after`` seconds."""

    job_id: str
    poll_after: float = 3.0


class ProviderError(Exception):
    """A provider failure, classified by what the caller should do about it."""

    def __init__(
        self,
        kind: ErrorKind,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind}: {code}: {message}")
        self.kind: ErrorKind = kind
        self.code = code
        self.message = message
        self.retry_after = retry_after


@runtime_checkable
class Provider(Protocol):
    """Start an image generation and, for remote jobs, resume it by job id."""

    name: str

    def start(self, request: GenerationRequest) -> GeneratedImage | Pending:
        """Start generating; return the image, or the remote job to poll."""
        ...

    def resume(self, job_id: str, request: GenerationRequest) -> GeneratedImage | Pending:
        """Ask about a remote job started earlier."""
        ...
