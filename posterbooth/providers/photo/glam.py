"""AI 美照 offline: the attendee's face, cut out and colour-matched, placed into the template's face box.

An honest rehearsal of Tencent's SubmitGlamPicJob, with no model: the face found in the photo (a skin-colour
region, else where a selfie has it) is mapped onto the template's face box (given by the campaign, else the face
found in the template, else its upper middle), cut out with a soft ellipse, and its colours moved towards the
template face's (mean and standard deviation per Lab channel), so it sits in the template's light: the
colour cast mostly, the lightness less, so skin tones are kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from .face import FaceBox, find_face, skin_mask
from .pixels import feather, limit_side

#: How far the face's colours move towards the template face's, per Lab channel (0: the photo's own, 1: the
#: template's): the colour cast (a, b) mostly, so the face takes the template's light; the lightness (L) less,
#: so a darker-skinned attendee is not lightened to the template's skin.
COLOUR_MATCH = (0.35, 0.8, 0.8)
#: The cut-out ellipse's half-axes, relative to the face box (brow to chin, cheek to cheek).
ELLIPSE_SCALE = (0.5, 0.52)
#: Largest side of the result (the template is kept at its own size up to this).
MAX_SIDE = 2048


def _target_box(template: np.ndarray, face_box: tuple[int, int, int, int] | None) -> FaceBox:
    """Return the template's face box: the campaign's, else the face found (or the upper middle)."""
    if face_box is not None:
        x, y, w, h = face_box
        return FaceBox(x, y, w, h, found=True)
    return find_face(template)


def _ellipse(shape: tuple[int, int], box: FaceBox) -> np.ndarray:
    """Return a 0..1 float mask: the soft ellipse of a face box (feathered over about a tenth of its width)."""
    mask = np.zeros(shape, np.float32)
    cx, cy = box.centre
    axes = (max(2, int(box.width * ELLIPSE_SCALE[0])), max(2, int(box.height * ELLIPSE_SCALE[1])))
    cv2.ellipse(mask, (int(cx), int(cy)), axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    # Feather inwards: shrink a little first so the soft edge ends where the ellipse did.
    radius = max(1.5, box.width * 0.07)
    shrunk = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(radius) * 2 + 1,) * 2))
    return feather(shrunk, radius)


def _face_shape(warped: np.ndarray, ellipse: np.ndarray) -> np.ndarray:
    """Return the cut-out: the ellipse, narrowed to the photo's own face outline where its skin is found.

    The skin region inside the ellipse, with its holes (eyes, brows, mouth) filled, keeps the photo's
    background and hair out of the cut-out; when too little skin is found, the plain ellipse is used.
    """
    inside = ellipse > 0.02
    skin = skin_mask(warped) & inside.astype(np.uint8) * 255
    if np.count_nonzero(skin) < 0.5 * np.count_nonzero(ellipse > 0.5):
        return ellipse
    ys, xs = np.nonzero(inside)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    part = np.ascontiguousarray(skin[y0:y1, x0:x1])
    holes = part.copy()
    flood = np.zeros((holes.shape[0] + 2, holes.shape[1] + 2), np.uint8)
    for corner in ((0, 0), (holes.shape[1] - 1, 0), (0, holes.shape[0] - 1), (holes.shape[1] - 1, holes.shape[0] - 1)):
        if holes[corner[1], corner[0]] == 0:
            cv2.floodFill(holes, flood, corner, 255)
    filled = np.zeros_like(skin)
    filled[y0:y1, x0:x1] = part | cv2.bitwise_not(holes)
    radius = max(1.5, (x1 - x0) * 0.03)
    shape = feather(cv2.dilate(filled, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))), radius)
    return ellipse * shape


def _warp(photo: np.ndarray, source: FaceBox, target: FaceBox, size: tuple[int, int]) -> np.ndarray:
    """Return the photo moved and scaled so its face box lies on the template's (aspect change kept small)."""
    sx = target.width / max(1, source.width)
    sy = target.height / max(1, source.height)
    sy = float(np.clip(sy, sx * 0.85, sx * 1.18))  # never squash or stretch a face much
    (scx, scy), (tcx, tcy) = source.centre, target.centre
    matrix = np.array([[sx, 0, tcx - sx * scx], [0, sy, tcy - sy * scy]], np.float32)
    return cv2.warpAffine(photo, matrix, size, flags=cv2.INTER_CUBIC if sx > 1 else cv2.INTER_AREA,
                          borderMode=cv2.BORDER_REFLECT)


def _stats(lab: np.ndarray, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean and standard deviation per channel of the pixels inside a boolean mask."""
    picked = lab[inside] if inside.any() else lab.reshape(-1, 3)
    return picked.mean(0), np.maximum(picked.std(0), 1e-3)


def match_colours(face: np.ndarray, template: np.ndarray, mask: np.ndarray,
                  amount: tuple[float, float, float] = COLOUR_MATCH) -> np.ndarray:
    """Return ``face`` (RGB uint8) with its colours inside ``mask`` moved towards the template's there (Lab)."""
    src = cv2.cvtColor(face, cv2.COLOR_RGB2LAB).astype(np.float32)
    dst = cv2.cvtColor(template, cv2.COLOR_RGB2LAB).astype(np.float32)
    core = mask > 0.5
    mean_s, std_s = _stats(src, core)
    mean_t, std_t = _stats(dst, core)
    # A drawn template face is flat: never flatten the attendee's features by more than 40%, nor boost them.
    ratio = np.clip(std_t / std_s, 0.6, 1.25)
    share = np.asarray(amount, np.float32)
    scale = 1 + share * (ratio - 1)
    mean = mean_s + share * (mean_t - mean_s)
    out = (src - mean_s) * scale + mean
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def glam_swap(photo: np.ndarray, template: np.ndarray, face_box: tuple[int, int, int, int] | None = None
              ) -> np.ndarray:
    """Return the template (RGB uint8) with the photo's face placed, cut out and colour-matched, in its face box."""
    height, width = template.shape[:2]
    if max(height, width) > MAX_SIDE:
        scale = MAX_SIDE / max(height, width)
        template = limit_side(template, MAX_SIDE)
        if face_box is not None:
            face_box = (
                int(face_box[0] * scale), int(face_box[1] * scale), int(face_box[2] * scale), int(face_box[3] * scale))
        height, width = template.shape[:2]
    target = _target_box(template, face_box)
    photo = limit_side(photo, 2048)
    source = find_face(photo)
    warped = _warp(photo, source, target, (width, height))
    mask = _face_shape(warped, _ellipse((height, width), target))
    ys, xs = np.nonzero(mask > 0.002)
    if not len(ys):
        return template.copy()
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1  # only the face's box is worked on
    part = template[y0:y1, x0:x1]
    matched = match_colours(warped[y0:y1, x0:x1], part, mask[y0:y1, x0:x1])
    alpha = mask[y0:y1, x0:x1, None]
    out = template.copy()
    blended = part.astype(np.float32) * (1 - alpha) + matched.astype(np.float32) * alpha
    out[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out
