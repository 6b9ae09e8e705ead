"""The sealer's own proof, before the deadline, that its envelope will open.

An ECDH-ES envelope (RFC 7518 §4.6) is encrypted under a key both sides can derive: the tender's
key holder from its private key and the envelope's ephemeral public key, the sealer from the
ephemeral private key and the tender's public key. A sealer that keeps the ephemeral private key
can therefore open its own envelope exactly as the opening will, and run the opening's checks
on what it finds (`bidding.reading.check`), while the tender's key stays sealed.

`seal_keeping()` seals as `bidding.sealing.seal()` does and returns the ephemeral key beside the
envelope; `open_as_sealer()` opens an envelope with it. Both use `cryptography` directly, with
the opening's Concat KDF (`bidding.unsealing`); the tests hold them against jwcrypto, the
independent reference.
"""

import json
import os

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwcrypto import jwk

from bidding import unsealing
from bidding.sealing import ALG, ENC, b64url, b64url_decode, party_info


class NotOpened(Exception):
    """The envelope does not open with the kept key, and why."""


def content_key(shared_secret: bytes, *, apu: str, apv: str) -> bytes:
    """The Concat KDF of RFC 7518 §4.6.2, the opening's own (`bidding.unsealing`), from the
    header's base64url party info."""
    return unsealing.content_key(shared_secret, apu=b64url_decode(apu), apv=b64url_decode(apv))


def _public_key(public_jwk: dict) -> ec.EllipticCurvePublicKey:
    return jwk.JWK(**public_jwk).get_op_key("wrapKey")


def seal_keeping(content: bytes, public_jwk: dict, *, kid: str, organisation_id: int, tender_id: int) -> tuple[str, dict]:
    """Seal `content` to the envelope's public key; return the compact JWE and the ephemeral
    private key (a JWK) that opens it again on the sealer's side. Keep that key private: it
    opens the envelope as well as the tender's key does."""
    recipient = _public_key(public_jwk)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    ephemeral_jwk = json.loads(jwk.JWK.from_pyca(ephemeral).export(private_key=True))
    apu, apv = party_info(organisation_id), party_info(tender_id)
    epk = {name: ephemeral_jwk[name] for name in ("kty", "crv", "x", "y")}
    header = b64url(json.dumps({"alg": ALG, "enc": ENC, "kid": kid, "epk": epk, "apu": apu, "apv": apv}, separators=(",", ":")).encode())
    key = content_key(ephemeral.exchange(ec.ECDH(), recipient), apu=apu, apv=apv)
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, content, header.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return ".".join([header, "", b64url(iv), b64url(ciphertext), b64url(tag)]), ephemeral_jwk


def open_as_sealer(compact: str, ephemeral_jwk: dict, public_jwk: dict) -> bytes:
    """The plaintext of an envelope sealed with `ephemeral_jwk` to `public_jwk`; `NotOpened`
    with the reason if it was not, or does not decrypt."""
    parts = compact.split(".") if isinstance(compact, str) else []
    if len(parts) != 5:
        raise NotOpened("not a compact JWE (five dot-separated parts)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        iv, ciphertext, tag = (b64url_decode(part) for part in parts[2:])
    except ValueError:
        raise NotOpened("a part of the JWE is not base64url JSON") from None
    if not isinstance(header, dict) or header.get("alg") != ALG or header.get("enc") != ENC or parts[1]:
        raise NotOpened(f"not an {ALG} / {ENC} envelope")
    epk = header.get("epk") if isinstance(header.get("epk"), dict) else {}
    if (epk.get("x"), epk.get("y")) != (ephemeral_jwk.get("x"), ephemeral_jwk.get("y")):
        raise NotOpened("the envelope was sealed with another ephemeral key than the one kept")
    try:
        private = jwk.JWK(**ephemeral_jwk).get_op_key("unwrapKey")
        key = content_key(private.exchange(ec.ECDH(), _public_key(public_jwk)), apu=header.get("apu", ""), apv=header.get("apv", ""))
        return AESGCM(key).decrypt(iv, ciphertext + tag, parts[0].encode("ascii"))
    except Exception as error:  # a wrong curve, key or tag: it does not open, whatever the library says
        raise NotOpened(f"the envelope does not decrypt with the kept key ({type(error).__name__})") from None
