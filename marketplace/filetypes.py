"""Does a file parse as the type it claims? Magic bytes alone let a `%PDF-` header in front of
an executable pass as a PDF; these read the structure: a PDF's cross-reference table and
catalogue (pyHanko's reader), a PNG's chunks with their CRCs up to IEND, a JPEG's markers from
SOI to EOI."""

import io
import struct
import zlib
from typing import BinaryIO

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _read_all(stream: BinaryIO) -> bytes:
    stream.seek(0)
    try:
        return stream.read()
    finally:
        stream.seek(0)


def is_pdf(stream: BinaryIO) -> bool:
    data = _read_all(stream)
    if not data.startswith(b"%PDF-"):
        return False
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        return reader.root.get("/Type") == "/Catalog"
    except (PdfError, ValueError, KeyError, TypeError, IndexError, struct.error, OSError, RecursionError):
        return False


def is_png(stream: BinaryIO) -> bool:
    data = _read_all(stream)
    if not data.startswith(PNG_SIGNATURE):
        return False
    position, first = len(PNG_SIGNATURE), True
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 8 + length
        if end + 4 > len(data) or (first and kind != b"IHDR"):
            return False
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(data[position + 4 : end]) != crc:
            return False
        if kind == b"IEND":
            return True
        position, first = end + 4, False
    return False


def is_jpeg(stream: BinaryIO) -> bool:
    data = _read_all(stream)
    if not data.startswith(b"\xff\xd8\xff"):
        return False
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the end-of-image marker
            return data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
        if marker in (0x01, *range(0xD0, 0xD8)):
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return False
