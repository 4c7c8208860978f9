"""Find the fonts posters draw with: a per-character chain of brand, Latin, CJK and colour emoji faces."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from posterbooth import fontfiles
from posterbooth.clusters import clusters, draws_nothing, is_emoji, is_variation_selector, text_form
from posterbooth.fontfiles import (
    CJK_PROBE,
    EMOJI_PROBE,
    LATIN_PROBE,
    MAX_EXTRA_FACES,
    FontNotFoundError,
    bold_of,
    codepoints,
    color_strike,
    emoji_candidates,
    has_glyphs,
    latin_candidates,
    load_font,
    mplfonts_font,
    system_cjk_candidates,
)
from posterbooth.prompt import TemplateProblem, render, template_context
from posterbooth.schema import Campaign, Style

__all__ = [
    "CJK_PROBE", "LATIN_PROBE", "Face", "FontChain", "FontNotFoundError", "codepoints", "find_bold_font",
    "campaign_glyph_warnings", "find_cjk_font", "font_chain", "has_glyphs", "load_font", "log_font_chain",
    "reset_caches", "warn_undrawable_text",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Face:
    """One font of a chain; ``role`` says why it is there (brand, latin, cjk, bundled, extra, emoji)."""

    path: Path
    role: str
    bold: Path | None = None
    strike: int | None = None
    color: bool = False
    covered: frozenset[int] = field(default=frozenset(), compare=False, hash=False, repr=False)

    def has(self, ch: str) -> bool:
        """Tell whether this face has a glyph for the character."""
        return ord(ch) in self.covered

    def describe(self) -> str:
        """Return the face for the log: role, file and what is special about it."""
        notes = []
        if self.bold is not None:
            notes.append(f"bold {self.bold.name}")
        elif self.role != "emoji":
            notes.append("faux bold")
        if self.color:
            notes.append(f"colour, {self.strike} px bitmaps" if self.strike else "colour")
        return f"{self.role}={self.path} ({', '.join(notes)})"


Piece = tuple[Face, str]


@dataclass(frozen=True)
class FontChain:
    """The faces a text is drawn from: each character with the first face that has a glyph for it."""

    faces: tuple[Face, ...]

    @property
    def text_faces(self) -> tuple[Face, ...]:
        """Return the faces that draw plain (non-colour) glyphs."""
        return tuple(face for face in self.faces if not face.color)

    @property
    def emoji_face(self) -> Face | None:
        """Return the colour emoji face, or None when the chain has none."""
        return next((face for face in self.faces if face.color), None)

    def pieces(self, cluster: str) -> tuple[Piece, ...]:
        """Return what to draw for one cluster: (face, text) pieces, empty when no face can draw it."""
        return _pieces(self, cluster)

    def missing(self, text: str) -> list[str]:
        """Return the characters of ``text`` that no face draws (emoji left out included), in order, once."""
        return list(_missing(self, text))

    def describe(self) -> str:
        """Return the chain as one log line."""
        emoji = "" if self.emoji_face else "; no colour emoji font: emoji are left out"
        return ", ".join(face.describe() for face in self.faces) + emoji


@functools.lru_cache(maxsize=4096)
def _missing(chain: FontChain, text: str) -> tuple[str, ...]:
    gone: list[str] = []
    for cluster in clusters(text):
        if cluster.isspace() or all(draws_nothing(ch) or is_variation_selector(ch) for ch in cluster):
            continue
        drawn = "".join(piece for _, piece in chain.pieces(cluster))
        for ch in text_form(cluster) if is_emoji(cluster) else cluster:
            if ch not in drawn and not draws_nothing(ch) and ch not in gone:
                gone.append(ch)
    return tuple(gone)


@functools.lru_cache(maxsize=16384)
def _pieces(chain: FontChain, cluster: str) -> tuple[Piece, ...]:
    if cluster.isspace() or draws_nothing(cluster[0]):
        return ()
    if is_emoji(cluster):
        emoji = chain.emoji_face
        parts = text_form(cluster)
        if emoji is not None and parts and all(emoji.has(ch) for ch in parts):
            return ((emoji, cluster),)
        # No colour glyph: draw what text fonts have of it (☀ stays a plain sun), leave the rest out.
        return tuple(piece for ch in parts for piece in _plain(chain.text_faces, ch))
    return _plain(chain.faces, "".join(ch for ch in cluster if not is_variation_selector(ch)))


def _plain(faces: tuple[Face, ...], drawn: str) -> tuple[Piece, ...]:
    """Return the first face that draws the whole cluster, else the first that draws its base alone."""
    if not drawn:
        return ()
    for face in faces:
        if all(face.has(ch) for ch in drawn):
            return ((face, drawn),)
    for face in faces:  # marks no face draws with their base: draw the base alone
        if face.has(drawn[0]):
            return ((face, drawn[0]),)
    return ()


def _face(path: Path, role: str) -> Face | None:
    """Return a chain face for a font file, or None when the file cannot be used."""
    covered = codepoints(path)
    if not covered:
        return None
    color, strike = color_strike(str(path)) if role == "emoji" else (False, None)
    if role == "emoji" and not color:
        return None
    return Face(path, role, None if color else bold_of(path), strike, color, covered)


@functools.lru_cache(maxsize=1)
def _system_faces() -> tuple[Face, ...]:
    """Return the chain without a brand font (built once, and logged at INFO)."""
    cjk_fonts = [p for p in system_cjk_candidates() if p.is_file() and has_glyphs(p, CJK_PROBE)]
    full = [p for p in cjk_fonts if has_glyphs(p, LATIN_PROBE)]
    latinless = [p for p in cjk_fonts if p not in full]
    bundled = mplfonts_font()
    own = [bundled] if bundled is not None else []
    latin = next((p for p in [*full, *own] if has_glyphs(p, LATIN_PROBE)), None)
    if latin is None:  # no bundled font: any system font with Latin letters
        latin = next((p for p in latin_candidates() if p.is_file() and has_glyphs(p, LATIN_PROBE)), None)
    cjk = next(iter([*full, *own, *latinless]), None)
    if latin is None or cjk is None:
        raise FontNotFoundError(
            "No fonts that draw both Chinese and Latin text were found: install the mplfonts Python package "
            "(a requirement), fonts-noto-cjk, or ship a brand font with Chinese glyphs in the campaign."
        )
    roles = [(latin, "latin"), (cjk, "cjk"), *((p, "bundled") for p in own),
             *((p, "extra") for p in latinless[:MAX_EXTRA_FACES])]
    emoji = next((f for f in (_face(p, "emoji") for p in emoji_candidates() if p.is_file())
                  if f is not None and f.has(EMOJI_PROBE)), None)
    merged: dict[Path, str] = {}
    for path, role in roles:  # one face per file, named after all its roles (e.g. latin+cjk)
        merged[path] = f"{merged[path]}+{role}" if path in merged else role
    faces = [face for face in (_face(path, role) for path, role in merged.items()) if face is not None]
    if emoji is not None:
        faces.append(emoji)
    chain = FontChain(tuple(faces))
    log.info("poster font chain: %s", chain.describe())
    return chain.faces


def font_chain(brand_font: Path | None = None) -> FontChain:
    """Return the chain for a campaign: its brand font (when readable) first, then the system chain."""
    if brand_font is None:
        return _chain(None, 0.0)
    try:
        mtime = Path(brand_font).stat().st_mtime
    except OSError:
        return _chain(None, 0.0)
    return _chain(str(brand_font), mtime)


@functools.lru_cache(maxsize=32)
def _chain(brand: str | None, mtime: float) -> FontChain:
    del mtime  # part of the cache key only
    system = _system_faces()
    face = _face(Path(brand), "brand") if brand else None
    return FontChain(((face,) if face is not None else ()) + system)


def find_cjk_font(preferred: Path | None = None) -> Path:
    """Return the campaign font if it draws Chinese and Latin, else the chain's main CJK face."""
    if preferred is not None and Path(preferred).is_file() and has_glyphs(Path(preferred), CJK_PROBE + LATIN_PROBE):
        return Path(preferred)
    faces = _system_faces()
    return next(f.path for f in faces if not f.color and f.has("中") and f.has("A"))


def find_bold_font(regular: Path) -> Path | None:
    """Return the bold sibling of a font file (e.g. NotoSansCJK-Bold.ttc), or None when there is none."""
    return bold_of(Path(regular))


def reset_caches() -> None:
    """Forget the fonts found so far (after the system's fonts or fontconfig's setup changed)."""
    for cached in (_system_faces, _chain, _pieces, _missing):
        cached.cache_clear()
    fontfiles.clear_caches()


def log_font_chain(brand_fonts: dict[str, Path | None] | None = None) -> FontChain | None:
    """Log the font chain at INFO (once per process) and each campaign's brand font; return the chain."""
    try:
        chain = font_chain(None)  # building the system chain logs it
    except FontNotFoundError as exc:
        log.error("posters cannot draw text: %s", exc)
        return None
    for slug, brand in sorted((brand_fonts or {}).items()):
        if brand is not None:
            face = font_chain(brand).faces[0]
            used = face.role == "brand"
            log.info("campaign %s: brand font %s %s", slug, brand,
                     "heads its font chain" if used else "cannot be read: the chain goes without it")
    return chain


def _campaign_texts(campaign: Campaign) -> list[tuple[str, str]]:
    """Return (where, text) for every text a campaign's posters can show, templates dry-run per outcome."""
    texts = [("poster.label.text", campaign.poster.label.text), ("title", campaign.title)]
    for question in campaign.questions:
        texts += [(f"questions[{question.id}] option {o.value}", o.label) for o in question.options]
    texts += [(f"styles[{style.id}].label", style.label) for style in campaign.styles]
    sources = [(f"poster.texts[{i}]", block.text) for i, block in enumerate(campaign.poster.texts)]
    if campaign.poster.qr is not None and campaign.poster.qr.caption.strip():
        sources.append(("poster.qr.caption", campaign.poster.qr.caption))
    for outcome in campaign.outcomes:
        choices: list[Style | None] = [*campaign.styles] or [None]
        for style in choices:
            context = template_context(campaign, {}, outcome, style)
            for where, source in sources:
                try:
                    texts.append((f"{where} (outcome {outcome.id})", render(source, context)))
                except TemplateProblem:
                    continue  # reported by the template check
    return texts


def campaign_glyph_warnings(campaign: Campaign, brand_font: Path | None = None) -> list[str]:
    """Return a warning for each campaign text with characters no font in the chain can draw."""
    try:
        chain = font_chain(brand_font)
    except FontNotFoundError as exc:
        return [str(exc)]
    warnings: list[str] = []
    seen: set[str] = set()
    for where, text in _campaign_texts(campaign):
        gone = [ch for ch in chain.missing(text) if ch not in seen]
        if gone:
            seen.update(gone)
            chars = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in gone[:8])
            warnings.append(f"{where}: no font can draw {chars}; posters leave it out")
    return warnings


_warned: set[tuple[str, str]] = set()


def warn_undrawable_text(campaign: Campaign, brand_font: Path | None, source: Path) -> None:
    """Log a warning, once per process, for each campaign text with characters no font can draw."""
    for warning in campaign_glyph_warnings(campaign, brand_font):
        if (str(source), warning) not in _warned:
            _warned.add((str(source), warning))
            log.warning("%s: %s", source, warning)
