"""The bulk export: every record, one JSON line each, gzip-compressed, streamed.

Memory stays bounded whatever the number of tenders: releases are read from the database in
chunks, in ocid order, and only one contracting process's releases are held at a time; the
compressed output leaves in pieces of about `PIECE` bytes.
"""

import itertools
import json
import zlib
from collections.abc import Iterator

from opendata import packages
from opendata.models import Release

PIECE = 64 * 1024
CHUNK = 500  # releases read per database round trip


def record(ocid: str, releases: list[Release]) -> dict:
    """One record: its releases (linked) and its compiled release."""
    return {
        "ocid": ocid,
        "releases": [{"url": f"{packages.release_url(r)}#{r.release_id}", "date": r.data["date"], "tag": r.tags} for r in releases],
        "compiledRelease": packages.compiled_release(releases),
    }


def record_lines() -> Iterator[bytes]:
    """Each record as one line of JSON (UTF-8), in tender order."""
    releases = Release.objects.order_by("tender_id", "position").iterator(chunk_size=CHUNK)
    for ocid, group in itertools.groupby(releases, key=lambda r: r.ocid):
        yield json.dumps(record(ocid, list(group)), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def gzipped(lines: Iterator[bytes]) -> Iterator[bytes]:
    """A gzip stream (RFC 1952) of `lines`, in pieces."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    pending = []
    size = 0
    for line in lines:
        piece = compressor.compress(line)
        if piece:
            pending.append(piece)
            size += len(piece)
        if size >= PIECE:
            yield b"".join(pending)
            pending, size = [], 0
    pending.append(compressor.flush())
    yield b"".join(pending)
