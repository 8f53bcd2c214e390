"""What a file is, read from its bytes (never from its name or the declared type alone): the allow-list,
detection from the first bytes, and the check of plain text as it streams. Filters (this and those in
images.py) pass the bytes through as they arrive: `feed` answers the bytes ready to store, `close` the rest,
and both raise `UnsupportedMediaType` for content that is not what its first bytes claim.
"""

from __future__ import annotations

import codecs

from src.platform.errors import UnsupportedMediaType

SNIFF_BYTES = 64
ALLOWED = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/plain",
    "audio/mpeg",
    "audio/mp4",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "video/mp4",
    "video/webm",
)
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
RANGED = frozenset(t for t in ALLOWED if t.startswith(("audio/", "video/")))
# Names clients send for the same thing; application/octet-stream declares nothing (the content decides).
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
}
# One container, either kind of content: the declared one is kept.
_FAMILIES = ({"audio/mp4", "video/mp4"}, {"audio/webm", "video/webm"})
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"M4V "}
_M4A_BRANDS = {b"M4A ", b"M4B "}
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "text/plain": "txt",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/webm": "webm",
    "video/mp4": "mp4",
    "video/webm": "webm",
}


def refused(detail: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(detail)


def declared_type(content_type: str | None) -> str | None:
    """The declared media type, normalised; None when nothing was declared. Refuses types not allowed."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("", "application/octet-stream"):
        return None
    media = _ALIASES.get(media, media)
    if media not in ALLOWED:
        raise refused(f"Files of type {media[:64]!r} are not accepted; allowed: {', '.join(ALLOWED)}.")
    return media


def sniff(head: bytes) -> str:
    """The media type the first bytes show; text/plain when none (checked whole as it streams)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "audio/mpeg"  # an ID3 tag, or an MPEG audio layer III frame header
    if head[4:8] == b"ftyp":
        if head[8:12] in _M4A_BRANDS:
            return "audio/mp4"
        if head[8:12] in _MP4_BRANDS:
            return "video/mp4"
        raise refused("This ISO media file (HEIC, QuickTime or another brand) is not accepted.")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head:
            return "video/webm"
        raise refused("Matroska files other than WebM are not accepted.")
    return "text/plain"


def resolve(declared: str | None, detected: str) -> str:
    """The type stored: the detected one, unless the declared one contradicts it (415)."""
    if declared is None or declared == detected:
        return detected
    if any(declared in family and detected in family for family in _FAMILIES):
        return declared
    raise refused(f"The content is {detected}, not the declared {declared}.")


class Filter:
    """Passes bytes through unchanged."""

    changes_bytes = False  # True: what it lets through may differ from what it was fed

    def feed(self, data: bytes) -> bytes:
        return data

    def close(self) -> bytes:
        return b""


class PlainText(Filter):
    """Valid UTF-8 without NUL, checked as it streams."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")

    def _check(self, data: bytes, final: bool) -> None:
        if b"\x00" in data:
            raise refused("The content is not an allowed type (binary data is not plain text).")
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise refused("The content is not an allowed type (not valid UTF-8 text).") from exc

    def feed(self, data: bytes) -> bytes:
        self._check(data, final=False)
        return data

    def close(self) -> bytes:
        self._check(b"", final=True)
        return b""
