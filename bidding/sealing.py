"""The sealed envelope format: a compact JWE, `alg=ECDH-ES`, `enc=A256GCM`, `kid`.

The browser seals with `static/js/seal.js` (WebCrypto); API clients with any JOSE library;
the project's own CLI and tests with `seal()` below. Both bind the envelope to its sealer and
tender through the Concat KDF party info (RFC 7518 §4.6.2): `apu` is the bidding
organisation's id and `apv` the tender's id, each as decimal ASCII, base64url-encoded. A JWE
replayed by another supplier therefore names its true sealer and is refused without looking
at any stored bid.

`inspect()` checks everything that can be checked without the private key.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.translation import gettext as _
from jwcrypto import jwe, jwk

from marketplace.errors import ActionError, TooLarge

ALG = "ECDH-ES"
ENC = "A256GCM"
ALLOWED_HEADER = {"alg", "enc", "kid", "epk", "apu", "apv", "typ", "cty"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def party_info(identifier: int) -> str:
    return b64url(str(identifier).encode("ascii"))


def digest(compact: str) -> str:
    return hashlib.sha256(compact.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Inspected:
    """What the server can know about an envelope before the opening."""

    name: str
    kid: str
    compact: str
    sha256: str
    size: int


def inspect(name: str, compact, *, kid: str, organisation_id: int, tender_id: int, max_bytes: int) -> Inspected:
    """Check that `compact` is a well-formed sealed envelope for this envelope key and sealer.

    Raises ActionError (422) with a problem on field `envelopes.<name>`, or TooLarge (413).
    """
    field = f"envelopes.{name}"

    def refuse(message: str, code: str) -> ActionError:
        return ActionError(message, code=code, field=field)

    if not isinstance(compact, str):
        raise refuse(_("The envelope must be a compact JWE string."), "not_jwe")
    size = len(compact.encode("utf-8"))
    if size > max_bytes:
        raise TooLarge(
            _("The sealed envelope is %(size)s bytes; this tender accepts at most %(limit)s bytes per envelope.")
            % {"size": size, "limit": max_bytes},
            field=field,
        )
    parts = compact.split(".")
    if len(parts) != 5:
        raise refuse(_("Not a compact JWE: expected five dot-separated parts."), "not_jwe")
    try:
        header_bytes, encrypted_key, iv, tag = (b64url_decode(parts[i]) for i in (0, 1, 2, 4))
        header = json.loads(header_bytes)
        # The ciphertext (the bulk of the envelope) is only checked, not decoded.
        if not BASE64URL.fullmatch(parts[3]) or len(parts[3]) % 4 == 1:
            raise ValueError("not base64url")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refuse(_("Not a compact JWE: a part is not base64url, or the header is not JSON."), "not_jwe") from None
    if not isinstance(header, dict):
        raise refuse(_("Not a compact JWE: the header is not a JSON object."), "not_jwe")
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise refuse(
            _("Envelopes must be sealed with alg %(alg)s and enc %(enc)s (got alg %(got_alg)s, enc %(got_enc)s).")
            % {"alg": ALG, "enc": ENC, "got_alg": header.get("alg"), "got_enc": header.get("enc")},
            "wrong_algorithm",
        )
    unexpected = sorted(set(header) - ALLOWED_HEADER)
    if unexpected:
        raise refuse(
            _("The JWE header has parameters this platform does not accept: %(names)s.") % {"names": ", ".join(unexpected)}, "bad_header"
        )
    if header.get("kid") != kid:
        raise refuse(
            _("The envelope is not sealed to this tender's key for “%(name)s” (kid %(kid)s).") % {"name": name, "kid": kid}, "wrong_kid"
        )
    if encrypted_key != b"" or len(iv) != 12 or len(tag) != 16 or not parts[3]:
        raise refuse(_("Not a direct ECDH-ES / A256GCM JWE: the key, IV, ciphertext or tag part has the wrong length."), "not_jwe")
    if not _is_p256_point(header.get("epk")):
        raise refuse(_("The ephemeral public key (epk) is not a P-256 point."), "bad_epk")
    if header.get("apu") != party_info(organisation_id):
        raise refuse(_("This envelope was sealed for another organisation (apu); seal your own bid."), "wrong_sealer")
    if header.get("apv") != party_info(tender_id):
        raise refuse(_("This envelope was sealed for another tender (apv)."), "wrong_tender")
    return Inspected(name=name, kid=kid, compact=compact, sha256=digest(compact), size=size)


def _is_p256_point(epk) -> bool:
    if not isinstance(epk, dict) or epk.get("kty") != "EC" or epk.get("crv") != "P-256" or "d" in epk:
        return False
    try:
        x, y = b64url_decode(epk["x"]), b64url_decode(epk["y"])
        if len(x) != 32 or len(y) != 32:
            return False
        ec.EllipticCurvePublicNumbers(int.from_bytes(x), int.from_bytes(y), ec.SECP256R1()).public_key()
    except (KeyError, ValueError, binascii.Error):
        return False
    return True


# Sealing (the plaintext is JSON, as the browser builds it) ------------------------------------


@dataclass(frozen=True)
class Document:
    name: str
    media_type: str
    content: bytes

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "content": base64.b64encode(self.content).decode("ascii"),
        }


def plaintext(
    *, tender_id: int, envelope: str, organisation_id: int, prices: dict[int, Decimal], currency: str, documents: list[Document]
) -> bytes:
    """The JSON an envelope seals (`bidding.plaintext_schema`): prices as decimal strings, documents in base64."""
    body = {
        "tender": tender_id,
        "envelope": envelope,
        "organisation": organisation_id,
        "lots": [{"lot": number, "price": {"amount": str(amount), "currency": currency}} for number, amount in sorted(prices.items())],
        "documents": [d.as_json() for d in documents],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(content: bytes, public_jwk: dict, *, kid: str, organisation_id: int, tender_id: int) -> str:
    """Encrypt `content` to an envelope's public key; return the compact JWE."""
    return seal_to(content, public_jwk, kid=kid, apu=party_info(organisation_id), apv=party_info(tender_id))


def seal_to(content: bytes, public_jwk: dict, *, kid: str, apu: str, apv: str) -> str:
    """ECDH-ES / A256GCM compact JWE to a P-256 public key, with the given party info."""
    header = {"alg": ALG, "enc": ENC, "kid": kid, "apu": apu, "apv": apv}
    token = jwe.JWE(content, protected=json.dumps(header))
    token.add_recipient(jwk.JWK(**public_jwk))
    return token.serialize(compact=True)


def open_envelope(compact: str, private_key: jwk.JWK) -> bytes:
    """Decrypt a compact JWE with the envelope's private key (the opening, after the deadline)."""
    token = jwe.JWE()
    token.allowed_algs = [ALG, ENC]
    token.deserialize(compact, key=private_key)
    return token.payload
