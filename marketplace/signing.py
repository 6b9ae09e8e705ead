"""The platform's signature: compact JWS (EdDSA, Ed25519) over canonical JSON.

Receipts, opening records, evaluation reports and award notices are signed here, so anyone
can check them offline against the published key set (`GET /api/v1/signing-keys/`) with any
JOSE or Ed25519 library. The payload is RFC 8785 canonical JSON, so the signed bytes do not
depend on how a dict happened to be ordered.
"""

import base64
import json
from dataclasses import dataclass
from functools import cache

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils.translation import gettext as _
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

ALGORITHM = "EdDSA"
TYPE = "JOSE"


@cache
def _key_for(seed: bytes) -> jwk.JWK:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    key = jwk.JWK.from_pyca(private)
    key.update(kid=key.thumbprint())
    return key


def signing_key() -> jwk.JWK:
    """The current signing key (private), with its `kid`: the RFC 7638 thumbprint."""
    return _key_for(settings.SIGNING_KEY)


@cache
def _retired_key(public_bytes: bytes) -> dict:
    key = jwk.JWK.from_pyca(Ed25519PublicKey.from_public_bytes(public_bytes))
    return key.export_public(as_dict=True) | {"kid": key.thumbprint()}


def public_jwks() -> dict:
    """The JWK set anyone uses to verify the platform's signatures: the current key first, then
    the keys retired by rotations (`SIGNING_KEYS_RETIRED`), so what they signed stays verifiable."""
    current = signing_key().export_public(as_dict=True)
    retired = [_retired_key(public) for public in settings.SIGNING_KEYS_RETIRED]
    return {"keys": [key | {"alg": ALGORITHM, "use": "sig"} for key in [current, *retired]]}


def public_key_base64() -> str:
    """The current key's public half in the form `SIGNING_KEYS_RETIRED` takes, for a rotation."""
    public = Ed25519PrivateKey.from_private_bytes(settings.SIGNING_KEY).public_key()
    return base64.b64encode(public.public_bytes_raw()).decode("ascii")


@cache
def _signer(seed: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    """The private key and the encoded protected header of everything it signs."""
    header = json.dumps({"alg": ALGORITHM, "kid": _key_for(seed)["kid"], "typ": TYPE})
    return Ed25519PrivateKey.from_private_bytes(seed), _b64url(header.encode())


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign(payload: dict) -> str:
    """Sign `payload` (JSON-compatible) and return the compact JWS (RFC 7515 §7.1, EdDSA per RFC 8037).

    Built with `cryptography` directly: the same bytes jwcrypto would produce (Ed25519 is
    deterministic), at a tenth of its cost, which every bid's receipt pays. `verify()` and the
    tests read them with jwcrypto."""
    private, header = _signer(settings.SIGNING_KEY)
    signing_input = header + b"." + _b64url(rfc8785.dumps(payload))
    return (signing_input + b"." + _b64url(private.sign(signing_input))).decode("ascii")


@dataclass(frozen=True)
class Verification:
    valid: bool
    payload: dict | None = None
    kid: str | None = None
    reason: str = ""


def verify(token: str) -> Verification:
    """Check a compact JWS against the platform's keys. Never raises on bad input."""
    token = (token or "").strip()
    if token.count(".") != 2:
        return Verification(False, reason=_("Not a compact JWS (three dot-separated parts)."))
    candidate = jws.JWS()
    candidate.allowed_algs = [ALGORITHM]
    try:
        candidate.deserialize(token)
        header = candidate.jose_header
    except (JWException, ValueError, TypeError):
        return Verification(False, reason=_("Not a compact JWS."))
    keys = {k["kid"]: k for k in public_jwks()["keys"]}
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or kid not in keys:
        return Verification(False, kid=kid, reason=_("Not signed with a key of this platform."))
    try:
        candidate.verify(jwk.JWK(**keys[kid]), alg=ALGORITHM)
        payload = json.loads(candidate.payload)
    except (JWException, ValueError, TypeError):
        return Verification(False, kid=kid, reason=_("The signature does not match the content."))
    if not isinstance(payload, dict):
        return Verification(False, kid=kid, reason=_("The signed content is not a JSON object."))
    return Verification(True, payload=payload, kid=kid)
