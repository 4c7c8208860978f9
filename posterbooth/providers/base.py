"""The one small interface every image provider implements.

A provider turns a :class:`GenerationRequest` into a :class:`GeneratedImage`.
Fast providers answer at once from :meth:`Provider.start`; providers that run
a remote job return :class:`Pending` with the provider's job id, and the worker
asks again later with :meth:`Provider.resume`, without holding a process.

A provider may also have ``prepare(step: str, request: GenerationRequest) -> str``: a
synchronous request a generation needs before it is submitted (AI 写真's upload of the
attendee's photo, ``portrait_upload``), run once as a step of its own (see
:mod:`posterbooth.generation.preparing`).

Poster finishing (outpainting to the poster box's ratio, super-resolution) is a
provider's optional ``finish(request: FinishRequest) -> GeneratedImage``; a
provider without it gets the offline equivalents
(:mod:`posterbooth.providers.finishing`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    #: Generation kind: text_to_image, or a photo kind (image_to_image, avatar, meme, sketch_to_image,
    #: product_background, try_on) that starts from ``inputs``.
    kind: str = "text_to_image"
    #: Provider-specific settings copied from the campaign's ``generation.<provider>`` block.
    settings: dict = field(default_factory=dict)
    #: Named input images (encoded bytes) for kinds that start from a photo ("photo", "sketch", "product",
    #: "model", "garment").
    inputs: dict[str, bytes] = field(default_factory=dict)
    #: Short-lived signed URLs of the same inputs, for actions that only take URLs (empty when there is no
    #: public base URL).
    input_urls: dict[str, str] = field(default_factory=dict)
    #: A reference for logs (the participation id); never a secret.
    reference: str = ""
    #: glam: the template face (x, y, width, height, template pixels) the attendee's face replaces; None: the
    #: largest face (Tencent) or the face found (offline). The template itself is ``inputs["template"]``.
    face_box: tuple[int, int, int, int] | None = None
    #: "Change it" edits (posterbooth.versions): the ChatId of the turn to continue (SubmitHunyuanImageChatJob),
    #: and the conversation so far, oldest first (the first prompt, then each earlier instruction; ``prompt`` is
    #: this turn's instruction), which the offline provider repaints from. Empty for a first picture.
    chat_id: str = ""
    history: tuple[str, ...] = ()
    #: 混元生图 3.0 (SubmitTextToImageJob): the campaign's reference images (encoded files: a mascot, a product).
    references: tuple[bytes, ...] = ()
    #: The provider-side name of the attendee's likeness, made from the participation (AI 写真's ModelId).
    subject: str = ""


@dataclass(frozen=True)
class FinishRequest:
    """One poster finishing step on a generated picture: ``outpaint`` (to ``ratio``) or ``refine``."""

    step: str
    #: The encoded picture to finish.
    image: bytes
    #: ``outpaint``: the target ratio 'W:H' (one of 1:1, 4:3, 3:4, 16:9, 9:16).
    ratio: str = ""
    #: Provider-specific settings copied from the campaign's ``generation.<provider>`` block.
    settings: dict = field(default_factory=dict)
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
    #: The ChatId of this picture's turn (SubmitHunyuanImageChatJob), for "change it" edits; else empty.
    chat_id: str = ""


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
        reason: str = "",
    ) -> None:
        super().__init__(f"{kind}: {code}: {message}")
        self.kind: ErrorKind = kind
        self.code = code
        self.message = message
        self.retry_after = retry_after
        #: The failure code the attendee is shown for a refusal, when the provider knows it better than its kind
        #: does (``face_rejected``: no face, or several, in the photo); empty: decided by the kind.
        self.reason = reason


#: Words of an error code or message that blame the faces in the attendee's photo (none, several, unclear).
_FACE_WORDS = ("face", "人脸")


def face_problem(exc: ProviderError) -> bool:
    """Tell whether a refusal of a photo is about its faces: the attendee should take a clearer photo of just them."""
    text = f"{exc.code} {exc.message}".lower()
    return any(word in text for word in _FACE_WORDS)


class RemoteJobFailed(ProviderError):
    """The remote job itself failed or is gone: polling it again cannot help.

    ``kind`` says what to do next: ``retryable`` means submit the request anew
    (a new job, counted as a retry), the other kinds mean the same as for
    :class:`ProviderError`. A plain :class:`ProviderError` from
    :meth:`Provider.resume` means only that asking failed; the job may be fine.
    """


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


_result_ready: ContextVar[Callable[[], object] | None] = ContextVar("result_ready", default=None)


def result_ready() -> None:
    """Say that a remote job is done, before its result is downloaded: its provider capacity is free.

    Providers call this from :meth:`Provider.resume` when the job reports success; the
    worker hands the account's slot to the next participation while the download runs.
    """
    callback = _result_ready.get()
    if callback is not None:
        callback()


@contextmanager
def on_result_ready(callback: Callable[[], object]) -> Iterator[None]:
    """Run ``callback`` when the provider calls :func:`result_ready` inside this block."""
    token = _result_ready.set(callback)
    try:
        yield
    finally:
        _result_ready.reset(token)
