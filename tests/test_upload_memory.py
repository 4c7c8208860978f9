"""Uploads are decoded within a memory budget: a small file claiming a huge picture cannot exhaust the web."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from posterbooth import uploads
from posterbooth.uploads import UploadError, clean_upload

ROOT = Path(__file__).resolve().parent.parent

#: Peak RSS is read from VmHWM (per address space, so fresh after exec); ru_maxrss would carry the parent's peak.
_MEASURE = """
import json, sys
from posterbooth.uploads import UploadError, clean_upload
from PIL import Image
import io
data = open(sys.argv[1], "rb").read()
small = io.BytesIO(); Image.new("RGB", (300, 300), (9, 9, 9)).save(small, "PNG")
clean_upload(small.getvalue())  # imports, codecs and numpy warmed up
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
before = peak_kb()
try:
    clean = clean_upload(data, max_pixels_per_byte=float(sys.argv[2]))
    outcome = f"{clean.width}x{clean.height}"
except UploadError as exc:
    outcome = exc.code
after = peak_kb()
print(json.dumps({"grew_mb": (after - before) / 1024, "outcome": outcome}))
"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write a 16-bit greyscale 7000×7000 PNG: about 100 KB on disk, 98 MB decoded."""
    path = tmp_path_factory.mktemp("bomb") / "grey16.png"
    image = Image.linear_gradient("L").resize((7000, 7000)).convert("I").point(lambda v: v * 200)
    image.convert("I;16").save(path, "PNG", compress_level=9)
    return path


def _peak_growth(path: Path, ratio: float) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(path), str(ratio)], cwd=str(ROOT),
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_small_16_bit_png_of_49_megapixels_stays_within_the_memory_budget(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with Image.open(bomb) as opened:
        assert (opened.mode, opened.size) == ("I;16", (7000, 7000))
    refused = _peak_growth(bomb, uploads.DEFAULT_MAX_PIXELS_PER_BYTE)
    assert refused["outcome"] == "too_many_pixels"  # refused early, from its pixels-per-byte ratio
    assert refused["grew_mb"] < 50, refused
    decoded = _peak_growth(bomb, 0)  # the ratio check off: the decoder itself keeps to the budget
    assert decoded["outcome"] == "2048x2048"
    print(f"16-bit 7000x7000 PNG ({bomb.stat().st_size} bytes): refused early +{refused['grew_mb']:.0f} MB, "
          f"decoded +{decoded['grew_mb']:.0f} MB peak")
    assert decoded["grew_mb"] < 300, decoded


def test_decoded_bytes_are_capped_for_every_format() -> None:
    rgba = io.BytesIO()
    Image.new("RGBA", (7000, 7000), (1, 2, 3, 4)).save(rgba, "PNG")  # 196 MB decoded
    with pytest.raises(UploadError) as info:
        clean_upload(rgba.getvalue(), max_pixels_per_byte=0)
    assert info.value.code == "too_many_pixels" and "decodes to" in info.value.detail
    webp = io.BytesIO()
    Image.new("RGB", (3000, 3000), (5, 6, 7)).save(webp, "WEBP")
    with pytest.raises(UploadError, match="decodes to"):
        clean_upload(webp.getvalue(), max_pixels_per_byte=0, max_decoded_bytes=20 * 1024 * 1024)
    assert clean_upload(webp.getvalue(), max_pixels_per_byte=0).width == 2048


def test_16_bit_greyscale_keeps_its_tones() -> None:
    source = io.BytesIO()
    Image.new("I;16", (100, 100), 65535).save(source, "PNG")
    clean = clean_upload(source.getvalue())
    with Image.open(io.BytesIO(clean.data)) as out:
        assert out.convert("L").getextrema() == (255, 255)


def test_at_most_a_few_decodes_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running, peak = 0, 0
    lock = threading.Lock()
    real = uploads._decode

    def slow_decode(*args, **kwargs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(uploads, "_decode", slow_decode)
    photo = io.BytesIO()
    Image.new("RGB", (200, 200), (9, 9, 9)).save(photo, "JPEG")
    threads = [threading.Thread(target=clean_upload, args=(photo.getvalue(),)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == uploads.DECODE_SLOTS
