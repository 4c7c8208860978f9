"""Time the offline painter: median 1024×1024 render per style against the PNG-encoding floor.

The floor is the unavoidable cost every provider pays here: Pillow encoding a
1024×1024 RGB picture to PNG, measured in the same run on the same machine.
Run: ``python bench/offline_render.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posterbooth.providers.base import GenerationRequest  # noqa: E402
from posterbooth.providers.offline import OfflineProvider  # noqa: E402
from posterbooth.providers.painter import paint  # noqa: E402

PROMPTS = (
    "春天的西湖，湖光山色，柳树和桃花",
    "大理 洱海 苍山 蓝天白云",
    "婺源 油菜花田 徽派古村 春天",
    "a neon city skyline at night with stars",
    "snowy mountains at sunset",
    "a quiet beach in summer",
)
STYLES = ("", "watercolor", "anime", "ink", "3d")
SIZE = (1024, 1024)


def timed(fn: object) -> float:
    """Return the wall time of one call in seconds."""
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    """Print the median render time per style and its ratio to the PNG floor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2, help="renders of each prompt per style")
    args = parser.parse_args()

    paint(PROMPTS[0], 0, "", SIZE)  # warm caches (style textures, fonts)
    sample = paint(PROMPTS[1], 0, "", SIZE)
    floors = [timed(lambda: sample.save(io.BytesIO(), format="PNG")) for _ in range(9)]
    floor = statistics.median(floors)
    print(f"floor: PNG encode of {SIZE[0]}x{SIZE[1]} RGB = {floor * 1000:.1f} ms (median of {len(floors)})")
    print(f"{'style':<11} {'median ms':>9} {'max ms':>8} {'x floor':>8}   {'provider.start ms':>17}")
    provider = OfflineProvider()
    for style in STYLES:
        paint(PROMPTS[0], 1, style, SIZE)
        times = [timed(lambda p=p, s=seed, st=style: paint(p, s, st, SIZE))
                 for seed in range(args.repeats) for p in PROMPTS]
        starts = [timed(lambda p=p, st=style: provider.start(GenerationRequest(prompt=p, seed=0, style=st,
                                                                               width=SIZE[0],
                                                                               height=SIZE[1])))
                  for p in PROMPTS]
        median = statistics.median(times)
        print(f"{style or 'default':<11} {median * 1000:9.1f} {max(times) * 1000:8.1f} {median / floor:8.2f}"
              f"   {statistics.median(starts) * 1000:17.1f}")
    print("render = paint() to a PIL image; provider.start adds the provider's PNG encoding (level 1)")


if __name__ == "__main__":
    main()
