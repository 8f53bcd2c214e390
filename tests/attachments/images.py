"""Image files built by hand for the tests, with location and device metadata in every place it hides."""

from __future__ import annotations

import struct
import zlib

GPS_MARKER = b"GPS-42.8746N-74.5698E"
DEVICE_MARKER = b"SERIAL-CAM-0042"


def _exif_with_gps() -> bytes:
    """A big-endian TIFF: IFD0 with Make and a GPSInfo pointer; the GPS IFD with latitude 42 deg N."""
    make = DEVICE_MARKER + b"\x00"
    # Offsets from the TIFF header start.
    ifd0_at = 8
    ifd0_size = 2 + 2 * 12 + 4
    make_at = ifd0_at + ifd0_size
    gps_at = make_at + len(make)
    gps_size = 2 + 2 * 12 + 4
    rational_at = gps_at + gps_size
    ifd0 = struct.pack(">H", 2)
    ifd0 += struct.pack(">HHII", 0x010F, 2, len(make), make_at)  # Make
    ifd0 += struct.pack(">HHII", 0x8825, 4, 1, gps_at)  # GPSInfo
    ifd0 += struct.pack(">I", 0)
    gps = struct.pack(">H", 2)
    gps += struct.pack(">HHI", 0x0001, 2, 2) + b"N\x00\x00\x00"  # GPSLatitudeRef
    gps += struct.pack(">HHII", 0x0002, 5, 3, rational_at)  # GPSLatitude
    gps += struct.pack(">I", 0)
    rationals = struct.pack(">IIIIII", 42, 1, 52, 1, 2856, 100)
    tiff = b"MM\x00\x2a" + struct.pack(">I", ifd0_at) + ifd0 + make + gps + rationals
    return b"Exif\x00\x00" + tiff + GPS_MARKER


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


JFIF = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
ICC = _segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"profile-bytes")
DQT = _segment(0xDB, b"\x00" + bytes(range(64)))
SOF0 = _segment(0xC0, b"\x08\x00\x10\x00\x10\x03\x01\x11\x00\x02\x11\x01\x03\x11\x01")
SOS = _segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00")
# Entropy-coded data with a stuffed FF00 and a restart marker, which belong to the scan.
SCAN = b"\x12\x34\xff\x00\x56" + b"\xab" * 300 + b"\xff\xd0\x78\x9a"


def jpeg(*, with_metadata: bool = True) -> tuple[bytes, bytes]:
    """(the file as a phone would send it, the file as it must be stored)."""
    clean = b"\xff\xd8" + JFIF + ICC + DQT + SOF0 + SOS + SCAN + b"\xff\xd9"
    if not with_metadata:
        return clean, clean
    sent = (
        b"\xff\xd8"
        + JFIF
        + _segment(0xE1, _exif_with_gps())
        + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + GPS_MARKER + b"</x:xmpmeta>")
        + ICC
        + _segment(0xED, b"Photoshop 3.0\x00" + DEVICE_MARKER)
        + _segment(0xFE, b"shot at the shelter " + GPS_MARKER)
        + DQT
        + SOF0
        + b"\xff\xff"  # fill bytes before a marker
        + SOS
        + SCAN
        + b"\xff\xd9"
        + b"appended after the image: "
        + DEVICE_MARKER
    )
    return sent, clean


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> tuple[bytes, bytes]:
    signature = b"\x89PNG\r\n\x1a\n"
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    iend = _png_chunk(b"IEND", b"")
    sent = (
        signature
        + ihdr
        + _png_chunk(b"tEXt", b"Comment\x00" + GPS_MARKER)
        + _png_chunk(b"eXIf", _exif_with_gps()[6:])
        + _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + DEVICE_MARKER)
        + _png_chunk(b"tIME", b"\x07\xea\x0b\x01\x0c\x00\x00")
        + idat
        + _png_chunk(b"zTXt", b"Author\x00\x00" + zlib.compress(DEVICE_MARKER))
        + iend
    )
    return sent, signature + ihdr + idat + iend


def _riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def webp() -> tuple[bytes, bytes]:
    image = _riff_chunk(b"VP8L", b"\x2f\x00\x00\x00\x00" + b"\x11" * 20)
    exif = _exif_with_gps()[6:]
    xmp = b"<x:xmpmeta>" + DEVICE_MARKER + b"</x:xmpmeta>"  # odd length: padded

    def whole(flags: int, *chunks: bytes) -> bytes:
        vp8x = _riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + b"\x00\x00\x00\x00\x00\x00")
        body = b"WEBP" + vp8x + b"".join(chunks)
        return b"RIFF" + struct.pack("<I", len(body)) + body

    sent = whole(0x08 | 0x04 | 0x10, image, _riff_chunk(b"EXIF", exif), _riff_chunk(b"XMP ", xmp))
    stored = whole(
        0x10,
        image,
        b"JUNK" + struct.pack("<I", len(exif)) + bytes(len(exif) + len(exif) % 2),
        b"JUNK" + struct.pack("<I", len(xmp)) + bytes(len(xmp) + len(xmp) % 2),
    )
    return sent, stored
