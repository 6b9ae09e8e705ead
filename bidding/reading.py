"""Reading one sealed envelope at the opening: decrypt it and check it, or say why it is rejected.

The checks run in the order a reader would: the envelope is the one the receipt names (its
SHA-256, under the platform's signature), it decrypts with the envelope key, its plaintext is
the JSON `bidding.sealing.plaintext()` builds, and it was sealed for this tender, this
supplier and this envelope. A JWE copied from another bid or tender fails one of them.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import orjson
import pybase64
from django.utils.translation import gettext as _

from bidding import unsealing
from bidding.models import Bid, OpeningLine
from marketplace import signing

Reason = OpeningLine.Reason

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
AMOUNT = re.compile(r"[0-9]{1,16}(\.[0-9]{1,2})?")
CURRENCY = re.compile(r"[A-Z]{3}")
PLAINTEXT_KEYS = {"tender", "envelope", "organisation", "lots", "documents"}
DOCUMENT_KEYS = {"name", "media_type", "sha256", "content"}
MAX_DOCUMENTS = 200


@dataclass(frozen=True)
class Document:
    name: str
    media_type: str
    sha256: str
    content: bytes

    def as_json(self) -> dict:
        return {"name": self.name, "media_type": self.media_type, "sha256": self.sha256, "size": len(self.content)}


@dataclass(frozen=True)
class Reading:
    """What the opening found in one envelope."""

    reason_code: str = ""
    reason: str = ""
    lots: list[dict] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    @property
    def result(self) -> str:
        return OpeningLine.Result.REJECTED if self.reason_code else OpeningLine.Result.OPENED


class Rejected(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def receipt_digests(bid: Bid) -> dict[str, str]:
    """The envelope digests the platform signed when it received the bid; {} if the receipt does not verify."""
    verification = signing.verify(bid.receipt)
    payload = verification.payload or {}
    if not verification.valid or payload.get("bid") != str(bid.id) or payload.get("tender") != bid.tender_id:
        return {}
    digests = payload.get("envelopes")
    return digests if isinstance(digests, dict) else {}


class Stored(NamedTuple):
    """An envelope as fetched for the opening: its compact JWE in ASCII bytes and their SHA-256
    (None and "" if the stored text is not ASCII, which no envelope received is)."""

    compact: bytes | None
    sha256: str


def stored(jwe: str) -> Stored:
    """The stored JWE and its digest."""
    try:
        compact = jwe.encode("ascii")
    except UnicodeEncodeError:
        return Stored(None, "")
    return Stored(compact, hashlib.sha256(compact).hexdigest())


def stored_bytes(jwe: bytes) -> Stored:
    """`stored` for the JWE's bytes as PostgreSQL sent them (UTF-8): the same digest and bytes
    for the same stored text (`bidding.envelopes.EnvelopeStream`)."""
    if not jwe.isascii():
        return Stored(None, "")
    return Stored(jwe, hashlib.sha256(jwe).hexdigest())


def read(
    envelope: Stored | None, bid: Bid, *, name: str, key: unsealing.OpeningKey, digests: dict[str, str], lot_numbers: set[int]
) -> Reading:
    """Decrypt and check the envelope `name` of `bid` as stored (None if the bid has none).
    Never raises for anything in the envelope."""
    try:
        return _read(envelope, bid, name=name, key=key, digests=digests, lot_numbers=lot_numbers)
    except Rejected as rejection:
        return Reading(reason_code=rejection.code, reason=rejection.reason)


def _read(envelope, bid, *, name, key, digests, lot_numbers) -> Reading:
    expected = digests.get(name)
    if envelope is None or not expected:
        raise Rejected(Reason.DIGEST_MISMATCH, _("The platform's signed receipt for this envelope is missing or does not verify."))
    if envelope.sha256 != expected:  # sealing.digest() of the stored text
        raise Rejected(
            Reason.DIGEST_MISMATCH,
            _("The stored envelope's SHA-256 is not the one on the receipt: it was altered after it was received."),
        )
    try:
        plaintext = unsealing.open_compact(envelope.compact, key)
    except Exception:  # unsealing.NotOpened, or whatever the curve refuses: the envelope does not open
        raise Rejected(
            Reason.UNDECRYPTABLE, _("The envelope cannot be decrypted with this tender's key for “%(name)s”.") % {"name": name}
        ) from None
    return _check(
        plaintext,
        tender_id=bid.tender_id,
        organisation_id=bid.organisation_id,
        name=name,
        currency=bid.tender.currency,
        lot_numbers=lot_numbers,
    )


def check(plaintext: bytes, *, tender_id: int, organisation_id: int, name: str, currency: str, lot_numbers: set[int]) -> Reading:
    """The opening's checks of a decrypted envelope, for anyone holding the plaintext: the
    sealer's self-check (`manage.py seal_bid --check`) runs exactly these. Never raises."""
    try:
        return _check(
            plaintext, tender_id=tender_id, organisation_id=organisation_id, name=name, currency=currency, lot_numbers=lot_numbers
        )
    except Rejected as rejection:
        return Reading(reason_code=rejection.code, reason=rejection.reason)


def _check(plaintext, *, tender_id, organisation_id, name, currency, lot_numbers) -> Reading:
    body = _parse(plaintext)
    if body["tender"] != tender_id:
        # The other tender is not named: the public record would tell that this firm bids there.
        raise Rejected(Reason.WRONG_TENDER, _("The envelope was sealed for another tender."))
    if body["organisation"] != organisation_id:
        raise Rejected(Reason.WRONG_SUPPLIER, _("The envelope names another supplier than the one that submitted it."))
    if body["envelope"] != name:
        raise Rejected(
            Reason.WRONG_ENVELOPE,
            _("The envelope holds the “%(found)s” envelope, not “%(name)s”.") % {"found": str(body["envelope"])[:40], "name": name},
        )
    lots = _lots(body["lots"], name=name, currency=currency, lot_numbers=lot_numbers)
    return Reading(lots=lots, documents=_documents(body["documents"]))


def _invalid(reason: str) -> Rejected:
    return Rejected(Reason.INVALID_CONTENT, reason)


def _parse(plaintext: bytes) -> dict:
    try:
        body = _json(plaintext)
    except (ValueError, UnicodeDecodeError):
        raise _invalid(_("The decrypted envelope is not JSON.")) from None
    except RecursionError:  # what Python's parser raises past ~1000 nested levels
        raise _invalid(_("The decrypted envelope nests too deeply to be read.")) from None
    if not isinstance(body, dict) or set(body) != PLAINTEXT_KEYS:
        raise _invalid(_("The decrypted envelope must hold exactly: tender, envelope, organisation, lots, documents."))
    if not _is_int(body["tender"]) or not _is_int(body["organisation"]) or not _is_text(body["envelope"]):
        raise _invalid(_("The tender and organisation must be numbers and the envelope a name."))
    if not isinstance(body["lots"], list) or not isinstance(body["documents"], list):
        raise _invalid(_("The lots and documents must be lists."))
    return body


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value) -> bool:
    """Text the record can store and show: no control character, and no lone surrogate (a JSON
    escape such as \\ud800 decodes to one; neither PostgreSQL nor UTF-8 accepts it)."""
    return isinstance(value, str) and not any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value)


def _lots(lots: list, *, name: str, currency: str, lot_numbers: set[int]) -> list[dict]:
    """Prices as read out: `[{"lot": 1, "price": {"amount": "123.45", "currency": "EUR"}}]`."""
    if name == "technical":
        if lots:
            raise _invalid(_("The technical envelope must not hold prices: they are opened only for qualified bids."))
        return []
    if not lots:
        raise _invalid(_("The envelope holds no price."))
    read_out, seen = [], set()
    for entry in lots:
        if not isinstance(entry, dict) or set(entry) != {"lot", "price"} or not _is_int(entry["lot"]):
            raise _invalid(_('Each price must be {"lot": <number>, "price": {"amount", "currency"}}.'))
        price = entry["price"]
        if not isinstance(price, dict) or set(price) != {"amount", "currency"}:
            raise _invalid(_("Each price must have an amount and a currency."))
        amount, code = price["amount"], price["currency"]
        if not isinstance(amount, str) or not AMOUNT.fullmatch(amount) or not isinstance(code, str) or not CURRENCY.fullmatch(code):
            raise _invalid(_("A price amount must be a decimal string with at most two decimals, and its currency a code."))
        if code != currency:
            raise _invalid(_("The prices must be in the tender's currency, %(currency)s.") % {"currency": currency})
        if entry["lot"] not in lot_numbers or entry["lot"] in seen:
            raise _invalid(_("The envelope prices lot %(lot)s, which the bid is not for (or prices it twice).") % {"lot": entry["lot"]})
        seen.add(entry["lot"])
        try:
            value = Decimal(amount).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise _invalid(_("A price amount is not a number.")) from None
        # A price of nothing is no offer, and no price score can be computed from it.
        if value <= 0:
            raise _invalid(_("The price of lot %(lot)s must be greater than zero.") % {"lot": entry["lot"]})
        normalised = str(value)
        read_out.append({"lot": entry["lot"], "price": {"amount": normalised, "currency": code}})
    return sorted(read_out, key=lambda entry: entry["lot"])


def _documents(documents: list) -> list[Document]:
    if len(documents) > MAX_DOCUMENTS:
        raise _invalid(_("The envelope holds more than %(n)s documents.") % {"n": MAX_DOCUMENTS})
    parsed = []
    for entry in documents:
        if not isinstance(entry, dict) or set(entry) != DOCUMENT_KEYS or not all(isinstance(entry[k], str) for k in DOCUMENT_KEYS):
            raise _invalid(_("Each document must have a name, a media type, a SHA-256 and its content, as text."))
        name = entry["name"].strip()
        if not name or len(name) > 200 or any(c in name for c in "/\\\0") or not _is_text(name):
            raise _invalid(_("A document name is empty, too long, or holds a path separator."))
        media_type = entry["media_type"]
        # Sent back as the download's Content-Type: a control character would make every download fail.
        if not media_type or len(media_type) > 120 or not _is_text(media_type):
            raise _invalid(_("A document's media type is missing, too long, or holds a control character."))
        try:
            content = _base64(entry["content"])
        except (binascii.Error, ValueError):
            raise _invalid(_("The content of “%(name)s” is not base64.") % {"name": name}) from None
        if not SHA256_HEX.fullmatch(entry["sha256"]) or hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise _invalid(_("The content of “%(name)s” does not match its SHA-256.") % {"name": name})
        parsed.append(Document(name=name, media_type=entry["media_type"], sha256=entry["sha256"], content=content))
    return parsed


def _json(plaintext: bytes):
    """`json.loads(plaintext)` at orjson's speed. orjson refuses more (NaN, UTF-16, escaped lone
    surrogates, numbers out of range), and reads two things otherwise: an integer past 64 bits
    as a float, and nesting deeper than the standard library can. So a refusal, a float or deep
    nesting anywhere is read again by the standard library; whatever else orjson reads, it reads
    to the same values."""
    try:
        body = orjson.loads(plaintext)
    except ValueError:  # orjson.JSONDecodeError
        return json.loads(plaintext)
    return json.loads(plaintext) if _floats_or_deep(body) else body


def _floats_or_deep(value, limit: int = 200) -> bool:
    """Whether a float, or nesting past `limit` levels, is anywhere in a decoded JSON value."""
    pending = [(value, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, float) or depth > limit:
            return True
        if isinstance(value, dict):
            pending.extend((member, depth + 1) for member in value.values())
        elif isinstance(value, list):
            pending.extend((member, depth + 1) for member in value)
    return False


def _base64(text: str) -> bytes:
    """`base64.b64decode(text, validate=True)`, the rule the plaintext schema publishes, at
    SIMD speed: pybase64 decodes what it accepts to the same bytes, and refuses a little more
    (padding past a full quantum, which the standard library ignores), so a refusal is decided
    by the standard library."""
    try:
        return pybase64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return base64.b64decode(text, validate=True)
