"""Envelope keys: created at publication, published as JWK, unwrapped only for the opening.

Platform custody wraps each private key (the 32-byte P-256 scalar) with AES-256-GCM under
`SEALING_KEK`, the key id as associated data so a wrapped key cannot be moved to another
envelope. Committee custody is in `bidding.custody`.
"""

import os
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from jwcrypto import jwk

from marketplace import audit
from marketplace.errors import Conflict
from tenders.models import Custody, Tender

# 电子招标投标办法 / Directive 2014/24 Annex IV: no access to the content before the deadline,
# and then only for the opening.
OPENABLE_STATES = {Tender.Status.CLOSED, Tender.Status.OPENING, Tender.Status.OPENED, Tender.Status.EVALUATING}


def new_key_pair() -> tuple[bytes, dict, str]:
    """A fresh P-256 key pair: (private scalar, public JWK, kid = RFC 7638 thumbprint)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = jwk.JWK.from_pyca(private.public_key())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return scalar, public.export_public(as_dict=True), public.thumbprint()


def private_jwk(scalar: bytes, public_jwk: dict) -> jwk.JWK:
    """The private JWK for a scalar, checked against the public key it must belong to."""
    private = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    key = jwk.JWK.from_pyca(private)
    if (key["x"], key["y"]) != (public_jwk["x"], public_jwk["y"]):
        raise ValueError("the private key does not match the published public key")
    return key


def wrap(kek: bytes, secret: bytes, aad: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(kek).encrypt(nonce, secret, aad.encode())


def unwrap(kek: bytes, wrapped: bytes, aad: str) -> bytes:
    """Raises InvalidTag when the key, the associated data or the wrapped bytes are wrong."""
    wrapped = bytes(wrapped)
    return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad.encode())


def create_envelope_keys(tender: Tender, *, actor, now: datetime) -> list:
    """One key pair per envelope, under the tender's custody. Runs in `publish_tender`'s transaction."""
    from bidding import custody
    from bidding.models import EnvelopeKey

    created = []
    for name in tender.envelope_names():
        scalar, public, kid = new_key_pair()
        key = EnvelopeKey(tender=tender, name=name, kid=kid, public_jwk=public, custody=tender.custody, created_at=now)
        if tender.custody == Custody.PLATFORM:
            key.wrapped_private_key = wrap(settings.SEALING_KEK, scalar, kid)
            key.save()
        else:
            key.threshold = tender.custody_threshold
            key.save()
            custody.split_among_custodians(key, scalar)
        del scalar  # the plain key leaves memory with this frame; it is stored nowhere
        audit.record(
            "envelope_key.created",
            actor=actor,
            organisation=tender.buyer,
            obj=key,
            payload={"tender": tender.pk, "envelope": name, "kid": kid, "custody": key.custody, "threshold": key.threshold},
            now=now,
        )
        created.append(key)
    return created


def public_envelopes(tender: Tender) -> list[dict]:
    """The keys bidders seal to: `[{"name", "kid", "jwk"}]`, in envelope order (empty for a draft)."""
    order = {name: i for i, name in enumerate(tender.envelope_names())}
    keys = sorted(tender.envelope_keys.all(), key=lambda k: order.get(k.name, len(order)))
    return [{"name": k.name, "kid": k.kid, "jwk": k.public_jwk | {"kid": k.kid, "alg": "ECDH-ES", "use": "enc"}} for k in keys]


def opening_refusal(tender: Tender, now: datetime) -> str | None:
    """Why a private key may not be used now, or None when the opening may use it."""
    if not tender.is_past_deadline(now):
        return _("The submission deadline has not passed: no sealed bid may be opened before it.")
    if tender.status not in OPENABLE_STATES:
        return _("The tender is %(status)s: its sealed bids cannot be opened.") % {"status": tender.get_status_display()}
    return None


def unwrap_platform_key(envelope_key, *, actor=None, now: datetime) -> jwk.JWK:
    """The private key of a platform-custody envelope, for the opening only. Every attempt is audited.

    A refusal is recorded in its own transaction before the Conflict is raised, so it stays on
    the chain unless the caller's enclosing transaction rolls back.
    """
    tender = Tender.objects.get(pk=envelope_key.tender_id)
    refusal = opening_refusal(tender, now)
    key = None
    if refusal is None and envelope_key.custody != Custody.PLATFORM:
        refusal = _("This envelope key is held by the committee of custodians, not the platform.")
    if refusal is None and not envelope_key.wrapped_private_key:
        refusal = _("This envelope key was destroyed when the tender was cancelled.")
    if refusal is None:
        try:
            key = private_jwk(unwrap(settings.SEALING_KEK, envelope_key.wrapped_private_key, envelope_key.kid), envelope_key.public_jwk)
        except (InvalidTag, ValueError):
            refusal = _("The platform key-encryption key does not unwrap this envelope key (wrong SEALING_KEK?).")
    with transaction.atomic():
        audit.record(
            "envelope_key.unwrapped" if refusal is None else "envelope_key.unwrap_refused",
            actor=actor,
            organisation=tender.buyer,
            obj=envelope_key,
            payload={"tender": tender.pk, "envelope": envelope_key.name, "kid": envelope_key.kid, "reason": refusal or ""},
            now=now,
        )
    if refusal is not None:
        raise Conflict(refusal, code="not_openable")
    return key
