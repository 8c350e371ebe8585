#!/usr/bin/env python3
"""Draws assets/icon.png (128x128, the package icon): rising usage bars on a teal tile. Standard library only."""
import struct
import zlib
from pathlib import Path

SIZE = 128
TILE = (17, 94, 89)
BAR = (240, 249, 247)
ACCENT = (250, 204, 21)


def pixel(x, y):
    # Rounded tile with a transparent outside.
    r = 22
    cx = min(max(x, r), SIZE - 1 - r)
    cy = min(max(y, r), SIZE - 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    # Four rising bars; the last one, the current period, in the accent colour.
    bars = [(22, 80), (46, 62), (70, 44), (94, 26)]
    for i, (x0, top) in enumerate(bars):
        if x0 <= x < x0 + 18 and top <= y < 104:
            return (*(ACCENT if i == len(bars) - 1 else BAR), 255)
    return (*TILE, 255)


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


rows = [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]
Path(__file__).with_name("icon.png").write_bytes(png(SIZE, SIZE, rows))
