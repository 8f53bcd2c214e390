"""Streaming filters that take location and device metadata out of JPEG, PNG and WebP images as the bytes
pass through. Each holds at most one segment or chunk header at a time (a JPEG segment is at most 64 KiB),
never the file."""

from __future__ import annotations

import struct

from src.attachments.media import Filter, PlainText, refused

# APPn segments kept: the colour profile and the JFIF and Adobe headers decoders need; every other APPn
# (Exif with GPS and camera serials, XMP, maker notes, Photoshop IRB) and comments go.
_JPEG_KEEP_APP = ((0xE0, b"JFIF\x00"), (0xE2, b"ICC_PROFILE\x00"), (0xEE, b"Adobe"))
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


class _Stripper(Filter):
    """A filter stepping through a buffer: `_step` moves one segment or chunk (or a run of its data) from
    `_buffer` to `out`, answering False when it needs more bytes; `removed` counts the bytes left out."""

    changes_bytes = True

    def __init__(self, state: str) -> None:
        self._buffer = bytearray()
        self._state = state
        self._remaining = 0
        self.removed = 0

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while self._step(out):
            pass
        return bytes(out)

    def _step(self, out: bytearray) -> bool:
        raise NotImplementedError


class JpegStripper(_Stripper):
    def __init__(self) -> None:
        super().__init__("start")  # start | marker | scan | end

    def feed(self, data: bytes) -> bytes:
        if self._state == "end":
            self.removed += len(data)
            return b""
        return super().feed(data)

    def _step(self, out: bytearray) -> bool:
        """One segment (or a run of scan data) moved from the buffer to `out`; False: more bytes needed."""
        buffer = self._buffer
        if self._state == "start":
            if len(buffer) < 2:
                return False
            if buffer[:2] != b"\xff\xd8":
                raise refused("The content is not a valid JPEG image.")
            out += buffer[:2]
            del buffer[:2]
            self._state = "marker"
            return True
        if self._state == "scan":
            at = buffer.find(b"\xff")
            if at < 0:
                out += buffer
                buffer.clear()
                return False
            if at + 1 >= len(buffer):
                out += buffer[:at]
                del buffer[:at]
                return False
            following = buffer[at + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7:
                out += buffer[: at + 2]
                del buffer[: at + 2]
                return True
            out += buffer[:at]
            del buffer[:at]
            self._state = "marker"  # a marker ends the scan (the next scan, a table, or the end)
            return True
        if self._state == "end":
            self.removed += len(buffer)
            buffer.clear()
            return False
        # marker
        while len(buffer) >= 2 and buffer[0] == 0xFF and buffer[1] == 0xFF:
            del buffer[0]  # fill bytes
        if len(buffer) < 2:
            return False
        if buffer[0] != 0xFF:
            raise refused("The content is not a valid JPEG image.")
        marker = buffer[1]
        if marker in _JPEG_STANDALONE:
            out += buffer[:2]
            del buffer[:2]
            return True
        if marker == 0xD9:
            out += buffer[:2]
            del buffer[:2]
            self._state = "end"  # anything after the image (appended files, other metadata) is dropped
            return True
        if len(buffer) < 4:
            return False
        length = struct.unpack(">H", buffer[2:4])[0]
        if length < 2:
            raise refused("The content is not a valid JPEG image.")
        if len(buffer) < 2 + length:
            return False
        segment = bytes(buffer[: 2 + length])
        del buffer[: 2 + length]
        if self._keeps(marker, segment[4:]):
            out += segment
        else:
            self.removed += len(segment)
        if marker == 0xDA:
            self._state = "scan"
        return True

    @staticmethod
    def _keeps(marker: int, payload: bytes) -> bool:
        if marker == 0xFE:
            return False
        if 0xE0 <= marker <= 0xEF:
            return any(marker == kept and payload.startswith(tag) for kept, tag in _JPEG_KEEP_APP)
        return True

    def close(self) -> bytes:
        if self._state not in ("end", "scan"):
            raise refused("The content is not a valid JPEG image (it ends before the image data).")
        rest = b"" if self._state == "end" else bytes(self._buffer)
        self._buffer.clear()
        return rest


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Exif (GPS, camera), text chunks (author, software, comments, XMP) and the modification time.
_PNG_DROP = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})


class PngStripper(_Stripper):
    def __init__(self) -> None:
        super().__init__("signature")  # signature | header | pass | skip | end-chunk | end

    def _step(self, out: bytearray) -> bool:
        buffer = self._buffer
        if self._state == "signature":
            if len(buffer) < 8:
                return False
            if buffer[:8] != _PNG_SIGNATURE:
                raise refused("The content is not a valid PNG image.")
            out += buffer[:8]
            del buffer[:8]
            self._state = "header"
            return True
        if self._state == "header":
            if len(buffer) < 8:
                return False
            length, kind = struct.unpack(">I", buffer[:4])[0], bytes(buffer[4:8])
            if length > 0x7FFFFFFF or not kind.isalpha():
                raise refused("The content is not a valid PNG image.")
            self._remaining = length + 4  # data and CRC
            if kind in _PNG_DROP:
                self._state = "skip"
                self.removed += 8
            else:
                out += buffer[:8]
                self._state = "end-chunk" if kind == b"IEND" else "pass"
            del buffer[:8]
            return True
        if self._state in ("pass", "skip", "end-chunk"):
            if not buffer:
                return False
            take = min(self._remaining, len(buffer))
            if self._state == "skip":
                self.removed += take
            else:
                out += buffer[:take]
            del buffer[:take]
            self._remaining -= take
            if self._remaining == 0:
                self._state = "end" if self._state == "end-chunk" else "header"
            return True
        self.removed += len(buffer)  # end: nothing after IEND is kept
        buffer.clear()
        return False

    def close(self) -> bytes:
        if self._state != "end":
            raise refused("The content is not a valid PNG image (it ends before IEND).")
        return b""


_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


class WebpStripper(_Stripper):
    """EXIF and XMP chunks become JUNK chunks of the same size filled with zeros (decoders skip unknown
    chunks), and VP8X stops announcing them: the RIFF size, written first, stays right without holding the
    file back to learn the metadata's size, which comes last."""

    def __init__(self) -> None:
        super().__init__("header")  # header | chunk | pass | zero | end
        self._left = 0  # bytes of the RIFF payload not yet read

    def _step(self, out: bytearray) -> bool:
        buffer = self._buffer
        if self._state == "header":
            if len(buffer) < 12:
                return False
            if buffer[:4] != b"RIFF" or buffer[8:12] != b"WEBP":
                raise refused("The content is not a valid WebP image.")
            self._left = struct.unpack("<I", buffer[4:8])[0] - 4
            out += buffer[:12]
            del buffer[:12]
            self._state = "chunk" if self._left > 0 else "end"
            return True
        if self._state == "chunk":
            if len(buffer) < 8:
                return False
            kind, size = bytes(buffer[:4]), struct.unpack("<I", buffer[4:8])[0]
            padded = size + (size & 1)
            if 8 + padded > self._left:
                raise refused("The content is not a valid WebP image.")
            if kind == b"VP8X":
                if size != 10 or len(buffer) < 18:
                    if size != 10:
                        raise refused("The content is not a valid WebP image.")
                    return False
                buffer[8] &= ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF
                out += buffer[:18]
                del buffer[:18]
                self._left -= 18
                return self._next_chunk()
            self._left -= 8 + padded
            self._remaining = padded
            if kind in (b"EXIF", b"XMP "):
                out += b"JUNK" + buffer[4:8]
                self._state = "zero"
            else:
                out += buffer[:8]
                self._state = "pass"
            del buffer[:8]
            return True
        if self._state in ("pass", "zero"):
            if self._remaining == 0:
                return self._next_chunk()
            if not buffer:
                return False
            take = min(self._remaining, len(buffer))
            if self._state == "zero":
                out += bytes(take)
                self.removed += take
            else:
                out += buffer[:take]
            del buffer[:take]
            self._remaining -= take
            return True
        self.removed += len(buffer)  # end: nothing after the RIFF payload is kept
        buffer.clear()
        return False

    def _next_chunk(self) -> bool:
        self._state = "chunk" if self._left > 0 else "end"
        return True

    def close(self) -> bytes:
        if self._state != "end":
            raise refused("The content is not a valid WebP image (it ends early).")
        return b""


def filter_for(media_type: str, keep_metadata: bool) -> Filter:
    if media_type == "text/plain":
        return PlainText()
    if keep_metadata:
        return Filter()
    if media_type == "image/jpeg":
        return JpegStripper()
    if media_type == "image/png":
        return PngStripper()
    if media_type == "image/webp":
        return WebpStripper()
    return Filter()
