"""The JSON Schema of what an envelope seals, published at `GET /api/v1/bids/plaintext-schema`.

It says in a machine-readable form what `bidding.reading` accepts at the opening, so that an API
client can check its plaintext before sealing it. With a tender it is that tender's schema: its
id, envelope names, currency and lot numbers are fixed. Two rules cannot be written in a schema
and are checked only by the opening (and by `manage.py seal_bid --check`): that each document's
SHA-256 is that of its content, and that the envelope's `organisation` is the firm that submits it.
"""

from bidding.reading import MAX_DOCUMENTS
from tenders.models import Tender

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
# A positive decimal with at most 16 digits before the point and 2 after (`bidding.reading.AMOUNT`).
POSITIVE_AMOUNT = r"^(?=[0-9.]*[1-9])[0-9]{1,16}(\.[0-9]{1,2})?$"
# No control character; `bidding.reading` also refuses lone surrogates, which JSON text may escape.
PLAIN_TEXT = r"^[^\u0000-\u001f\u007f]*$"
DOCUMENT_NAME = r"^[^\u0000-\u001f\u007f/\\]*[^\u0000-\u001f\u007f/\\\s][^\u0000-\u001f\u007f/\\]*$"


def plaintext_schema(tender: Tender | None = None, *, uri: str = "") -> dict:
    """The schema; pinned to `tender` when one is given."""
    price = {
        "type": "object",
        "additionalProperties": False,
        "required": ["amount", "currency"],
        "properties": {
            "amount": {"type": "string", "pattern": POSITIVE_AMOUNT, "description": 'decimal string, greater than zero, e.g. "1234.50"'},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code: the tender's currency"},
        },
    }
    lot = {"type": "integer", "minimum": 1, "description": "the lot's number (1 for a tender not divided into lots)"}
    envelope = {"type": "string", "minLength": 1, "description": "the envelope's name: bid, or technical and financial"}
    tender_id = {"type": "integer", "description": "the tender's id"}
    if tender is not None:
        price["properties"]["currency"] = {"const": tender.currency}
        lot = {"enum": sorted(tender.lots.values_list("number", flat=True)) or [1]}
        envelope = {"enum": tender.envelope_names()}
        tender_id = {"const": tender.pk}
    return {
        "$schema": SCHEMA_DRAFT,
        **({"$id": uri} if uri else {}),
        "title": "Sealed envelope plaintext" + (f" for tender {tender.reference}" if tender is not None else ""),
        "description": (
            "The UTF-8 JSON an envelope seals (compact JWE, ECDH-ES + A256GCM). The technical envelope "
            "of a two-envelope tender holds no price; every other envelope prices each lot bid for, once."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["tender", "envelope", "organisation", "lots", "documents"],
        "properties": {
            "tender": tender_id,
            "envelope": envelope,
            "organisation": {"type": "integer", "description": "the id of the bidding supplier organisation"},
            "lots": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["lot", "price"],
                    "properties": {"lot": lot, "price": price},
                },
            },
            "documents": {
                "type": "array",
                "maxItems": MAX_DOCUMENTS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "media_type", "sha256", "content"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": DOCUMENT_NAME},
                        "media_type": {"type": "string", "minLength": 1, "maxLength": 120, "pattern": PLAIN_TEXT},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "hex SHA-256 of the decoded content"},
                        "content": {"type": "string", "contentEncoding": "base64", "pattern": "^[A-Za-z0-9+/]*={0,2}$"},
                    },
                },
            },
        },
        "allOf": [
            {
                "if": {"properties": {"envelope": {"const": "technical"}}},
                "then": {"properties": {"lots": {"maxItems": 0}}},
                "else": {"properties": {"lots": {"minItems": 1}}},
            }
        ],
    }
