"""The opening's reader of a sealed envelope: the compact JWE of `bidding.sealing` (ECDH-ES +
A256GCM, RFC 7516 / RFC 7518 §4.6 and §5.3), decrypted with `cryptography` directly.

It opens exactly the envelopes the platform receives (`bidding.sealing.inspect`): five
base64url segments without padding, a protected header with alg `ECDH-ES`, enc `A256GCM`, the
round's kid, a P-256 ephemeral key (epk) on the curve, no parameter outside
`sealing.ALLOWED_HEADER` (so no `zip`, no `crit`), an empty encrypted key, a 12-byte IV, a
ciphertext and a 16-byte tag. Anything else is refused (`NotOpened`), before any key is used.

Within that profile it agrees with jwcrypto, the independent reference the tests hold it
against: every envelope it opens, jwcrypto opens to the same bytes, and the reverse. jwcrypto
is laxer outside it (it drops characters that are not base64, accepts padding, other kids,
`zip`, other IV lengths), where `inspect` refuses at submission whatever either would do.

Why not jwcrypto on the opening's path: its base64url decoding of a 1 MB envelope alone costs
more than the rest of reading it. Here the segments are decoded with pybase64 (SIMD), and the
plaintext comes out of AES-GCM in one piece, with no other copy.
"""

import binascii
import json
import struct
from dataclasses import dataclass

import pybase64
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from jwcrypto import jwk

from bidding.sealing import ALG, ALLOWED_HEADER, BASE64URL, ENC

KEY_BITS = 256
IV_BYTES = 12
TAG_BYTES = 16
COORDINATE_BYTES = 32
# What epk may hold besides its point (a JWK exported by a browser has ext and key_ops), and
# must not: a private key.
EPK_REQUIRED = {"kty": "EC", "crv": "P-256"}


class NotOpened(Exception):
    """The envelope does not open with this key; the message says why (for logs and tests, not
    the public record, which says only that it cannot be decrypted)."""


class OutsideProfile(NotOpened):
    """The envelope is not of the form the platform receives: refused before any key is used."""


class DoesNotDecrypt(NotOpened):
    """The envelope is of the right form but not sealed to this key, or altered: AES-GCM refuses it."""


@dataclass(frozen=True)
class OpeningKey:
    """A round's private key as the opening uses it: the P-256 key and the kid envelopes name."""

    private: ec.EllipticCurvePrivateKey
    kid: str

    @classmethod
    def from_jwk(cls, key: jwk.JWK) -> "OpeningKey":
        """From the private JWK the key holders rebuild; its kid is its RFC 7638 thumbprint, as
        `bidding.crypto.new_key_pair` published it."""
        return cls(private=key.get_op_key("unwrapKey"), kid=key.thumbprint())


def length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def content_key(shared_secret: bytes, *, apu: bytes, apv: bytes) -> bytes:
    """The Concat KDF of RFC 7518 §4.6.2 for direct key agreement: the AlgorithmID is `enc`,
    PartyUInfo and PartyVInfo the decoded `apu` and `apv` (empty when absent)."""
    other_info = length_prefixed(ENC.encode("ascii")) + length_prefixed(apu) + length_prefixed(apv) + struct.pack(">I", KEY_BITS)
    return ConcatKDFHash(algorithm=hashes.SHA256(), length=KEY_BITS // 8, otherinfo=other_info).derive(shared_secret)


def decode_segment(segment: str | bytes) -> bytes:
    """A base64url segment of a compact JWE, without padding (RFC 7515 §2), strictly: any
    character outside the alphabet, padding, or a length no encoding has (4n + 1) is refused."""
    if isinstance(segment, str):
        if not segment.isascii():
            raise OutsideProfile("a segment is not base64url")
        segment = segment.encode("ascii")
    return _decode(segment, 0, len(segment))


def _decode(data: bytes, start: int, end: int) -> bytes:
    """`data[start:end]` decoded as strict base64url, read in place (no copy of the segment)."""
    # pybase64 with validate=True refuses any character outside the alphabet, the altchars and
    # padding; its alphabet still holds + and /, which base64url has not, and padding is not sent.
    if (end - start) % 4 == 1 or any(data.find(c, start, end) != -1 for c in (b"+", b"/", b"=")):
        raise OutsideProfile("a segment is not base64url")
    whole = start + (end - start) // 4 * 4  # the full 4-character groups, then 0, 2 or 3 more
    try:
        decoded = pybase64.b64decode(memoryview(data)[start:whole], altchars=b"-_", validate=True)
        if whole < end:
            decoded += pybase64.b64decode(data[whole:end] + b"=" * (4 - (end - whole)), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise OutsideProfile("a segment is not base64url") from None
    return decoded


def _header(segment: bytes, kid: str) -> dict:
    try:
        header = json.loads(decode_segment(segment))
    except (ValueError, RecursionError):  # not UTF-8, not JSON (UnicodeDecodeError is a ValueError)
        raise OutsideProfile("the protected header is not JSON") from None
    if not isinstance(header, dict):
        raise OutsideProfile("the protected header is not a JSON object")
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise OutsideProfile(f"not an {ALG} / {ENC} envelope")
    unexpected = set(header) - ALLOWED_HEADER
    if unexpected:  # zip, crit, jku, x5u…: nothing the platform receives, nothing to act on
        raise OutsideProfile(f"the protected header has parameters the platform does not accept: {', '.join(sorted(unexpected))}")
    if header.get("kid") != kid:
        raise OutsideProfile("the envelope names another key (kid)")
    return header


def _party_info(header: dict, name: str) -> bytes:
    value = header.get(name, "")
    if not isinstance(value, str) or not BASE64URL.fullmatch(value):
        raise OutsideProfile(f"{name} is not base64url")
    return decode_segment(value)


def _ephemeral_key(epk) -> ec.EllipticCurvePublicKey:
    """The sender's ephemeral P-256 public key, checked on the curve (cryptography refuses a
    point that is not on it when loading it)."""
    if not isinstance(epk, dict) or any(epk.get(name) != value for name, value in EPK_REQUIRED.items()) or "d" in epk:
        raise OutsideProfile("the ephemeral key (epk) is not a public P-256 key")
    x, y = epk.get("x"), epk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise OutsideProfile("the ephemeral key (epk) has no point")
    x, y = decode_segment(x), decode_segment(y)
    if len(x) != COORDINATE_BYTES or len(y) != COORDINATE_BYTES:
        raise OutsideProfile("the ephemeral key (epk) is not a P-256 point")
    try:
        return ec.EllipticCurvePublicNumbers(int.from_bytes(x), int.from_bytes(y), ec.SECP256R1()).public_key()
    except ValueError:
        raise OutsideProfile("the ephemeral key (epk) is not on the P-256 curve") from None


def open_compact(compact: str | bytes, key: OpeningKey) -> bytes:
    """The plaintext of a compact JWE (as text, or its ASCII bytes) sealed to `key`; `NotOpened`
    (its subclass says which kind) for anything else. Nothing from the envelope reaches the key
    before the header is checked, and no plaintext is returned unless its tag verifies. The
    ciphertext is decoded where it lies and decrypted in one piece: the plaintext is the only
    copy made of it."""
    if isinstance(compact, str):
        if not compact.isascii():
            raise OutsideProfile("not a compact JWE: it holds characters that are not ASCII")
        compact = compact.encode("ascii")
    if not isinstance(compact, bytes):
        raise OutsideProfile("not a compact JWE")
    # Five segments: the four dots found from each end, the ciphertext between them scanned once.
    first = compact.find(b".")
    second = compact.find(b".", first + 1) if first != -1 else -1
    third = compact.find(b".", second + 1) if second != -1 else -1
    fourth = compact.rfind(b".")
    if third == -1 or fourth <= third or compact.find(b".", third + 1, fourth) != -1:
        raise OutsideProfile("not a compact JWE (five dot-separated segments)")
    protected = compact[:first]  # the AAD is its ASCII (RFC 7516 §5.1, step 14)
    header = _header(protected, key.kid)
    if second != first + 1:
        raise OutsideProfile("direct key agreement has an empty encrypted key")
    peer = _ephemeral_key(header.get("epk"))
    apu, apv = _party_info(header, "apu"), _party_info(header, "apv")
    iv, tag = _decode(compact, second + 1, third), _decode(compact, fourth + 1, len(compact))
    if len(iv) != IV_BYTES or len(tag) != TAG_BYTES or fourth == third + 1:
        raise OutsideProfile("the IV, ciphertext or tag has the wrong length")
    ciphertext = _decode(compact, third + 1, fourth)
    cek = content_key(key.private.exchange(ec.ECDH(), peer), apu=apu, apv=apv)
    decryptor = Cipher(algorithms.AES(cek), modes.GCM(iv, tag)).decryptor()
    decryptor.authenticate_additional_data(protected)
    plaintext = decryptor.update(ciphertext)
    del ciphertext
    try:
        decryptor.finalize()
    except InvalidTag:
        raise DoesNotDecrypt("the tag does not verify: sealed to another key, or altered") from None
    return plaintext
