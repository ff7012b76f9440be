"""Draw the web app's icons once (committed under static/icons/): a white "B" bar mark on the
app's theme colour, as plain PNGs written with zlib and struct (no imaging library needed).

    python scripts/make_icons.py

`icon-*.png` fill the square (rounded corners look fine on launchers that do not mask);
`maskable-*.png` keep the mark inside the central 80 % safe zone and paint the whole square.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

THEME = (0x00, 0x7A, 0x50)  # Pico's jade primary, the theme colour of the manifest
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parents[1] / "static" / "icons"

# A "B" on a 5 × 7 grid: the mark the icons draw.
GLYPH = [
    "1111.",
    "1...1",
    "1...1",
    "1111.",
    "1...1",
    "1...1",
    "1111.",
]


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def icon(size: int, *, safe: float) -> bytes:
    """The mark scaled to `safe` of the side, centred on the theme colour."""
    cell = int(size * safe / 9)  # 7 rows of glyph plus a cell of margin each side
    left = (size - cell * 5) // 2
    top = (size - cell * 7) // 2
    rows = []
    for y in range(size):
        row = bytearray()
        gy = (y - top) // cell if y >= top else -1
        for x in range(size):
            gx = (x - left) // cell if x >= left else -1
            on = 0 <= gy < 7 and 0 <= gx < 5 and GLYPH[gy][gx] == "1"
            row += bytes(WHITE if on else THEME)
        rows.append(bytes(row))
    return png(size, size, rows)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(icon(size, safe=0.9))
        (OUT / f"maskable-{size}.png").write_bytes(icon(size, safe=0.6))
    (OUT / "apple-touch-icon.png").write_bytes(icon(180, safe=0.8))


if __name__ == "__main__":
    main()
