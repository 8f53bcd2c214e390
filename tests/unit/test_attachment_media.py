"""Media detection and the image metadata filters, fed in every piece size (a segment split anywhere)."""

from __future__ import annotations

import pytest

from src.attachments import images as filters
from src.attachments import media
from src.attachments.service import RangeNotSatisfiable, byte_range
from src.platform.errors import UnsupportedMediaType
from tests.attachments import images


def _through(flow: media.Filter, data: bytes, piece: int) -> bytes:
    out = b"".join(flow.feed(data[i : i + piece]) for i in range(0, len(data), piece))
    return out + flow.close()


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64, 4096])
@pytest.mark.parametrize(
    ("name", "build"), [("jpeg", images.jpeg), ("png", images.png), ("webp", images.webp)]
)
def test_image_metadata_is_taken_out_whatever_the_piece_size(name: str, build: object, piece: int) -> None:
    sent, stored = build()  # type: ignore[operator]
    assert images.GPS_MARKER in sent or images.DEVICE_MARKER in sent
    kind = media.sniff(sent[: media.SNIFF_BYTES])
    assert kind == f"image/{name}"
    out = _through(filters.filter_for(kind, keep_metadata=False), sent, piece)
    assert out == stored
    assert images.GPS_MARKER not in out and images.DEVICE_MARKER not in out


def test_an_image_without_metadata_passes_unchanged() -> None:
    clean, _ = images.jpeg(with_metadata=False)
    assert _through(filters.JpegStripper(), clean, 5) == clean


def test_keeping_metadata_passes_the_file_unchanged() -> None:
    sent, _ = images.jpeg()
    assert _through(filters.filter_for("image/jpeg", keep_metadata=True), sent, 10) == sent


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x00", "audio/mpeg"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"plain words", "text/plain"),
    ],
)
def test_the_type_comes_from_the_first_bytes(head: bytes, kind: str) -> None:
    assert media.sniff(head) == kind


@pytest.mark.parametrize(
    "head", [b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", b"\x1a\x45\xdf\xa3\x9f\x42\x86matroska"]
)
def test_containers_outside_the_allow_list_are_refused(head: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        media.sniff(head)


def test_declared_types_are_normalised_and_checked_against_the_content() -> None:
    assert media.declared_type("image/JPG; q=1") == "image/jpeg"
    assert media.declared_type("application/octet-stream") is None
    with pytest.raises(UnsupportedMediaType):
        media.declared_type("application/zip")
    assert media.resolve("audio/mp4", "video/mp4") == "audio/mp4"
    with pytest.raises(UnsupportedMediaType):
        media.resolve("image/png", "application/pdf")


@pytest.mark.parametrize("data", [b"text\x00with a NUL", b"\xc3\x28 broken UTF-8", "ok \u00e9".encode()[:-1]])
def test_plain_text_is_valid_utf8_without_nul(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        _through(media.PlainText(), data, 3)


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8" + images.JFIF + images.DQT])
def test_a_jpeg_cut_before_its_image_data_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        _through(filters.JpegStripper(), data, 4)


def test_a_png_cut_before_iend_is_refused() -> None:
    sent, _ = images.png()
    with pytest.raises(UnsupportedMediaType):
        _through(filters.PngStripper(), sent[:-12], 5)


def test_byte_ranges() -> None:
    assert byte_range(None, 100) is None
    assert byte_range("bytes=0-9", 100) == (0, 9)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=50-1000", 100) == (50, 99)
    assert byte_range("bytes=0-1,5-6", 100) is None  # several: the whole file
    assert byte_range("items=0-1", 100) is None
    assert byte_range("bytes=9-2", 100) is None
    for unsatisfiable in ("bytes=100-", "bytes=-0"):
        with pytest.raises(RangeNotSatisfiable):
            byte_range(unsatisfiable, 100)
