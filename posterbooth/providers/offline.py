"""The offline image provider: paints a landscape from the prompt locally, with no network and no model.

It is the default provider when no image API is configured.  Pictures are
deterministic: the same prompt, seed, style and size give byte-identical PNGs.

Photo kinds (image_to_image, avatar, meme, sketch_to_image, product_background, glam, portrait)
are honest image effects on the attendee's photo, made by
:func:`posterbooth.providers.photo.kinds.render_offline` (a meme is an animated
GIF); try_on is refused with a message saying it needs a real provider.
Operators can tell its posters apart by ``provider="offline"`` and the model
name on the returned :class:`GeneratedImage`; nothing is written on the image.
"""

from __future__ import annotations

import io

from PIL import Image

from .base import FinishRequest, GeneratedImage, GenerationRequest, Pending, ProviderError
from .painter import paint

MODEL = "posterbooth-offline-1"
MAX_SIDE = 4096

__all__ = ["MODEL", "OfflineProvider", "paint", "png_bytes"]


def png_bytes(image: Image.Image) -> bytes:
    """Encode an image as PNG bytes, deterministic for the same pixels.

    Light compression (level 1): about a quarter of the default's encoding time
    for files about a fifth larger, which suits an intermediate image.
    """
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _open_inputs(inputs: dict[str, bytes]) -> dict[str, Image.Image]:
    """Decode the request's input photos; a broken one is a bad request."""
    images: dict[str, Image.Image] = {}
    for name, data in inputs.items():
        try:
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
            image.load()
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ProviderError("bad_request", "bad_input", f"input image {name!r} cannot be read: {exc}") from None
        images[name] = image
    return images


class OfflineProvider:
    """Paint text-to-image requests and apply photo effects locally, answering at once."""

    name = "offline"

    def start(self, request: GenerationRequest) -> GeneratedImage | Pending:
        """Make the picture for a request: a painted PNG, or the photo kind's JPEG (GIF for memes)."""
        from .photo.kinds import KIND_INPUTS, OFFLINE_KINDS, render_offline

        if request.kind != "text_to_image" and request.kind not in KIND_INPUTS:
            raise ProviderError("bad_request", "unsupported_kind",
                                f"the offline provider cannot make {request.kind!r} images")
        width, height = int(request.width), int(request.height)
        if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE):
            raise ProviderError("bad_request", "bad_size", f"unsupported image size {width}x{height}")
        if request.kind != "text_to_image":
            images = _open_inputs(request.inputs) if request.kind in OFFLINE_KINDS else {}  # try_on: refused
            data, content_type = render_offline(request.kind, images, request.prompt, request.style,
                                                int(request.seed), (width, height), request.face_box)
            return GeneratedImage(data=data, content_type=content_type, provider=self.name,
                                  model=f"{MODEL}/{request.kind}")
        if request.history:  # a "change it" edit: the first picture's scene, changed by each instruction
            from .painter.render import paint_edit

            image = paint_edit(request.history[0], (*request.history[1:], request.prompt), int(request.seed),
                               request.style, (width, height))
            return GeneratedImage(data=png_bytes(image), content_type="image/png", provider=self.name,
                                  model=f"{MODEL}/edit")
        image = paint(request.prompt, int(request.seed), request.style, (width, height))
        if request.references:  # rehearsing 混元生图 3.0 with references: the mascot (or product) in the scene
            from .references import place_reference

            image = place_reference(image, request.references[0])
        return GeneratedImage(data=png_bytes(image), content_type="image/png", provider=self.name, model=MODEL)

    def prepare(self, step: str, request: GenerationRequest) -> str:
        """Rehearse a preparation step (AI 写真's photo upload): check the photo can be read."""
        if request.kind != "portrait":
            raise ProviderError("bad_request", "no_preparation", f"no {step!r} step for {request.kind!r} images")
        _open_inputs(request.inputs)
        return f"{MODEL}/{step}"

    def finish(self, request: FinishRequest) -> GeneratedImage:
        """Finish a picture locally: a mirrored, blurred extension (outpaint) or an upscale filter (refine)."""
        from .finishing import finish_offline

        return finish_offline(request)

    def resume(self, job_id: str, request: GenerationRequest) -> GeneratedImage | Pending:
        """Refuse: the offline provider never leaves remote jobs to resume."""
        raise ProviderError("bad_request", "no_remote_jobs",
                            f"the offline provider has no remote job {job_id!r} to resume")
