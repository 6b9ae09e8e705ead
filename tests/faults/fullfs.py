"""A real full disk for upload tests: a small tmpfs mounted over MEDIA_ROOT and filled.

Mounting needs root (CAP_SYS_ADMIN); where the test cannot mount, it is skipped with the reason
rather than run against an imitation of a full disk."""

import io
import os
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

ROOM_LEFT = 64 * 1024


@pytest.fixture
def full_disk(settings, tmp_path):
    """MEDIA_ROOT on a 2 MB tmpfs, filled but for `ROOM_LEFT` bytes; yields the filler file."""
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)  # files already stored are hidden under the mount meanwhile
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(media)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here ({mounted.stderr.strip() or 'mount failed'}): needs root")
    try:
        settings.MEDIA_ROOT = media
        filler = media / "filler"
        with filler.open("wb") as f:
            try:
                while True:
                    f.write(os.urandom(64 * 1024))
                    f.flush()
            except OSError:
                pass
        os.truncate(filler, filler.stat().st_size - ROOM_LEFT)
        yield filler
    finally:
        subprocess.run(["umount", "-l", str(media)], check=True)


def office_document(size: int) -> bytes:
    """A .docx (a zip the type check opens) carrying `size` bytes that do not compress."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/image1.bin", os.urandom(size), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def png_image(size: int) -> bytes:
    """A real PNG whose pixels are `size` bytes or so of noise (it does not compress)."""
    width = 256
    height = max(1, size // (width * 3))
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    header = struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
