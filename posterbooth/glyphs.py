"""Measure and draw mixed-script text from a font chain: runs per face, one baseline, colour emoji, faux bold."""

from __future__ import annotations

import functools
import math
import unicodedata
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from posterbooth.clusters import clusters
from posterbooth.fonts import Face, FontChain, font_chain, load_font

Color = tuple[int, int, int, int]
Run = tuple[Face, str]


def faux_stroke(size: int) -> int:
    """Return the outline width that makes text look bold at this size."""
    return max(1, round(size / 36))


@functools.lru_cache(maxsize=8192)
def _runs(chain: FontChain, text: str) -> tuple[Run, ...]:
    """Split text into runs of one face each; spaces join the run before them, emoji stand alone."""
    runs: list[list] = []
    for cluster in clusters(text):
        if cluster.isspace():
            if cluster == "\n":
                continue
            spaced = [runs[-1][0]] if runs else []
            face = next((f for f in [*spaced, *chain.text_faces] if not f.color and f.has(" ")), chain.text_faces[0])
            pieces: tuple[Run, ...] = ((face, " " * len(cluster)),)
        else:
            pieces = chain.pieces(cluster)
        for face, piece in pieces:
            if runs and runs[-1][0] == face and not face.color:
                runs[-1][1] += piece
            else:
                runs.append([face, piece])
    return tuple((face, piece) for face, piece in runs)


@functools.lru_cache(maxsize=4096)
def _visible_line(chain: FontChain, line: str) -> str:
    """Return one line with what no face draws left out, and the space left dangling before it."""
    out = ""
    parts = clusters(line)
    for i, cluster in enumerate(parts):
        if cluster.isspace():
            out += cluster
            continue
        drawn = "".join(piece for _, piece in chain.pieces(cluster))
        if not drawn:
            after = parts[i + 1] if i + 1 < len(parts) else ""
            if not after or after.isspace() or unicodedata.category(after[0]) in ("Pe", "Pf", "Po"):
                out = out.rstrip(" ")  # "test 🌸”" becomes "test”", not "test ”"
        out += drawn
    return out


@functools.lru_cache(maxsize=512)
def _emoji(face: Face, cluster: str, size: int) -> tuple[Image.Image, int, int, float]:
    """Return a colour emoji as an RGBA image scaled to the text size, its offset from the pen and its advance."""
    font = load_font(face.path, face.strike or size)
    left, top, right, bottom = font.getbbox(cluster, anchor="ls")
    image = Image.new("RGBA", (max(1, int(right - left)), max(1, int(bottom - top))), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((-left, -top), cluster, font=font, anchor="ls", embedded_color=True)
    advance = font.getlength(cluster)
    if face.strike is None:
        return image, int(left), int(top), advance
    ascent, descent = font.getmetrics()
    scale = size / max(1, ascent + descent)  # the emoji's box as tall as the text size
    width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    return image.resize((width, height), Image.Resampling.LANCZOS), round(left * scale), round(top * scale), \
        advance * scale


class ChainFont:
    """A font chain at one pixel size: every character from the first face that has it, on one baseline."""

    def __init__(self, chain: FontChain, size: int, bold: bool = False) -> None:
        self.chain, self.size, self.bold = chain, size, bold
        self.stroke = faux_stroke(size) if bold else 0

    def font(self, face: Face) -> tuple[ImageFont.FreeTypeFont, int]:
        """Return the Pillow font of a text face at this size and the faux-bold outline it needs."""
        if self.bold and face.bold is not None:
            return load_font(face.bold, self.size), 0
        return load_font(face.path, self.size), self.stroke

    def runs(self, text: str) -> tuple[Run, ...]:
        """Return the text split into runs of one face each (characters no face draws are left out)."""
        return _runs(self.chain, text)

    def visible(self, text: str) -> str:
        """Return the text with what no face can draw left out (line breaks kept)."""
        return "\n".join(_visible_line(self.chain, line) for line in text.split("\n"))

    def getlength(self, text: str) -> float:
        """Return the advance width of the text, summed over its runs."""
        total = 0.0
        for face, piece in self.runs(text):
            total += _emoji(face, piece, self.size)[3] if face.color else self.font(face)[0].getlength(piece)
        return total

    def outline(self, text: str) -> int:
        """Return the faux-bold outline the text's widest run needs (0 when every run has a bold face)."""
        return max((self.font(face)[1] for face, _ in self.runs(text) if not face.color), default=0)

    def getbbox(self, text: str) -> tuple[int, int, int, int]:
        """Return the ink box of the text (left, top, right, bottom), relative to the pen on the baseline."""
        boxes: list[tuple[float, float, float, float]] = []
        x = 0.0
        for face, piece in self.runs(text):
            if face.color:
                image, dx, dy, advance = _emoji(face, piece, self.size)
                boxes.append((x + dx, dy, x + dx + image.width, dy + image.height))
            else:
                font, stroke = self.font(face)
                left, top, right, bottom = font.getbbox(piece, anchor="ls", stroke_width=stroke)
                boxes.append((x + left, top, x + right, bottom))
                advance = font.getlength(piece)
            x += advance
        if not boxes:
            return 0, 0, 0, 0
        return (math.floor(min(b[0] for b in boxes)), math.floor(min(b[1] for b in boxes)),
                math.ceil(max(b[2] for b in boxes)), math.ceil(max(b[3] for b in boxes)))

    def center_offset(self, text: str) -> float:
        """Return how far below the visual centre of a line its baseline lies, for the text's main face."""
        counts = Counter(face for face, piece in self.runs(text) for ch in piece if not ch.isspace())
        face = counts.most_common(1)[0][0] if counts else self.chain.text_faces[0]
        return _center_offset(self, face)

    def draw(self, canvas: Image.Image, xy: tuple[float, float], text: str, color: Color) -> None:
        """Draw the text with its baseline at xy, run by run, honouring the colour's alpha."""
        x, y = xy
        for face, piece in self.runs(text):
            if face.color:
                image, dx, dy, advance = _emoji(face, piece, self.size)
                if color[3] != 255:
                    image = image.copy()
                    image.putalpha(image.getchannel("A").point(lambda v: v * color[3] // 255))
                canvas.paste(image, (round(x + dx), round(y + dy)), image)
                x += advance
                continue
            font, stroke = self.font(face)
            paint_text(canvas, (x, y), piece, font, color, stroke)
            x += font.getlength(piece)


@functools.lru_cache(maxsize=256)
def _center_offset(font: ChainFont, face: Face) -> float:
    if face.color:
        image, _, dy, _ = _emoji(face, "\U0001f600", font.size)
        return -(dy + dy + image.height) / 2
    probe = "中" if face.has("中") else "H"
    top, bottom = font.font(face)[0].getbbox(probe, anchor="ls")[1::2]
    return -(top + bottom) / 2


def paint_text(canvas: Image.Image, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
               color: Color, stroke: int = 0) -> None:
    """Draw text of one font with its baseline at xy, honouring the colour's alpha."""
    if color[3] == 255:
        ImageDraw.Draw(canvas).text(xy, text, font=font, fill=color[:3], anchor="ls",
                                    stroke_width=stroke, stroke_fill=color[:3])
        return
    left, top, right, bottom = font.getbbox(text, anchor="ls", stroke_width=stroke)
    ox, oy = math.floor(xy[0] + left), math.floor(xy[1] + top)
    mask = Image.new("L", (int(right - left) + 2, int(bottom - top) + 2), 0)
    ImageDraw.Draw(mask).text((xy[0] - ox, xy[1] - oy), text, font=font, fill=255, anchor="ls",
                              stroke_width=stroke, stroke_fill=255)
    mask = mask.point(lambda v: v * color[3] // 255)
    canvas.paste(color[:3], (ox, oy, ox + mask.width, oy + mask.height), mask)


@functools.lru_cache(maxsize=512)
def _chain_font(chain: FontChain, size: int, bold: bool) -> ChainFont:
    return ChainFont(chain, size, bold)


def chain_font(chain: FontChain | Path | None, size: int, bold: bool = False) -> ChainFont:
    """Return the (cached) chain font at a size; a path stands for a chain headed by that brand font."""
    if not isinstance(chain, FontChain):
        chain = font_chain(Path(chain) if chain is not None else None)
    return _chain_font(chain, int(size), bold)
