"""Offline versions of the photo generation kinds: honest image effects, no model needed."""

from .avatar import avatar
from .background import cut_out, product_background
from .face import FaceBox, find_face
from .filters import FILTER_ALIASES, FILTERS, apply_filter, canonical_filter
from .kinds import KIND_INPUTS, OFFLINE_KINDS, PHOTO_KINDS, TRY_ON_MESSAGE, render_offline
from .meme import MOTIONS, meme_gif
from .sketch import colour_sketch

__all__ = [
    "FILTERS", "FILTER_ALIASES", "KIND_INPUTS", "MOTIONS", "OFFLINE_KINDS", "PHOTO_KINDS", "TRY_ON_MESSAGE",
    "FaceBox", "apply_filter", "avatar", "canonical_filter", "colour_sketch", "cut_out", "find_face",
    "meme_gif", "product_background", "render_offline",
]
