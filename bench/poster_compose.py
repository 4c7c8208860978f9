"""Time poster composition against the floor of decoding the input and encoding one poster JPEG.

Run: python bench/poster_compose.py [--runs 30]
Prints the median time to decode a generated image and compose a 1080×1920 poster (with its
share card, both encoded), the median of the unavoidable work (decode the same image, encode a
JPEG of the poster's size with the same settings) measured in the same run, and their ratio.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posterbooth.aigc import AigcRecord  # noqa: E402
from posterbooth.layout import PosterLayout  # noqa: E402
from posterbooth.poster import JPEG_QUALITY, PosterAssets, compose_poster  # noqa: E402

TEXTS = {
    "{{ outcome.title }}": "杭州西湖 · 断桥残雪",
    "{{ outcome.description }}": "春风十里，不如和你一起去看西湖的桃花。"
                                 "愿你这个春天，走得慢一点，看得多一点。",
    "{{ campaign.title }}": "春游测一测",
}


def synthetic_png(size: int = 1024) -> bytes:
    """Return a PNG that looks like a generated picture (gradients, shapes, soft detail)."""
    image = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    image = Image.merge("RGB", (image.getchannel(0).point(lambda v: 120 + v // 2),
                                image.getchannel(0).point(lambda v: 170 + v // 4),
                                image.getchannel(0).point(lambda v: 230 - v // 3)))
    draw = ImageDraw.Draw(image)
    for i in range(400):
        x, y = (i * 7919) % size, (i * 104729) % size
        r = 6 + (i * 31) % 30
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(240, 150 + i % 80, 170 + i % 60))
    for k in range(3):
        pts = [(x, size * (0.55 + 0.08 * k) + 40 * math.sin(x / 90 + k)) for x in range(0, size + 16, 16)]
        draw.polygon([*pts, (size, size), (0, size)], fill=(70 + 20 * k, 140 - 15 * k, 100 - 5 * k))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    """Decode image bytes fully."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def floor_once(data: bytes, size: tuple[int, int]) -> float:
    """Time decoding the input and encoding one JPEG of the poster's size."""
    start = time.perf_counter()
    image = decode(data).convert("RGB")
    canvas = Image.new("RGB", size, (246, 241, 231))
    canvas.paste(image, (60, 150))
    buf = io.BytesIO()
    canvas.save(buf, format="JPEG", quality=JPEG_QUALITY, progressive=True)
    return time.perf_counter() - start


def compose_once(data: bytes, layout: PosterLayout) -> float:
    """Time decoding the input and composing and encoding the poster and the share card."""
    start = time.perf_counter()
    image = decode(data)
    compose_poster(
        layout, image, render_text=lambda source: TEXTS.get(source, source), assets=PosterAssets(),
        qr_url="https://event.example.com/c/spring-outing?ref=7Kq2xY", aigc=AigcRecord("p-1", "bench"),
    )
    return time.perf_counter() - start


def main() -> None:
    """Print the median composition time, the floor and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    data = synthetic_png()
    layout = PosterLayout()
    size = (layout.width, layout.height)
    first = compose_once(data, layout)  # cold: fonts, caches
    floor_once(data, size)
    composed, floors = [], []
    for _ in range(args.runs):  # interleave so that both see the same machine state
        composed.append(compose_once(data, layout))
        floors.append(floor_once(data, size))
    c, f = statistics.median(composed), statistics.median(floors)
    print(f"runs: {args.runs}  poster: {size[0]}x{size[1]} + share card 1200x630")
    print(f"first compose (cold caches): {first * 1000:.1f} ms")
    print(f"median compose: {c * 1000:.1f} ms")
    print(f"median floor (decode input + encode one poster JPEG): {f * 1000:.1f} ms")
    print(f"ratio compose/floor: {c / f:.2f}")


if __name__ == "__main__":
    main()
