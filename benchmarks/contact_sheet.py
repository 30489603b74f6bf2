"""A contact sheet: evenly spaced frames of a video tiled into one PNG, to look at a render.

::

    .venv/bin/python benchmarks/contact_sheet.py out/vertical.mp4 docs/reframe-contact-sheet.png \\
        --count 12 --columns 6 --height 360
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def contact_sheet(video: Path, count: int, columns: int, height: int) -> np.ndarray:
    from editor.media.decode import iter_frames
    from editor.media.probe import probe

    total = probe(video).video.frame_count
    wanted = sorted({round(i * (total - 1) / max(1, count - 1)) for i in range(count)})
    tiles = []
    for frame in iter_frames(video, fmt="rgb", height=height):
        if frame.index in wanted:
            tile = np.ascontiguousarray(frame.image[:, :, ::-1])
            cv2.putText(tile, f"{frame.index}", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (255, 255, 255), 2, cv2.LINE_AA)
            cv2.putText(tile, f"{frame.index}", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (0, 0, 0), 1, cv2.LINE_AA)
            tiles.append(tile)
        if frame.index >= wanted[-1]:
            break
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    sheet = np.full((rows * (h + 4) + 4, columns * (w + 4) + 4, 3), 32, np.uint8)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        sheet[4 + r * (h + 4):4 + r * (h + 4) + h, 4 + c * (w + 4):4 + c * (w + 4) + w] = tile
    return sheet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("video")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--height", type=int, default=320, help="tile height in pixels")
    args = parser.parse_args()
    sheet = contact_sheet(Path(args.video), args.count, args.columns, args.height)
    if not cv2.imwrite(args.out, sheet):
        print(f"could not write {args.out}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
