"""A small offline landscape painter: prompt keywords in, a styled picture out, no model needed."""

from .keywords import SceneSpec, read_prompt
from .render import paint
from .styles import STYLE_ALIASES, STYLES, canonical_style

__all__ = ["STYLES", "STYLE_ALIASES", "SceneSpec", "canonical_style", "paint", "read_prompt"]
