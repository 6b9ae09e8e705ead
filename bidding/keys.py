"""Envelope keys: created at publication, published as JWK, unwrapped only for the opening.

Platform custody wraps each private key (the 32-byte P-256 scalar) with AES-256-GCM under
`SEALING_KEK`, the key id as associated data so a wrapped key cannot be moved to another
envelope. Committee custody is in `bidding.custody`.
"""

from datetime import datetime

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from jwcrypto import jwk

from bidding import crypto, custody
from bidding.models import EnvelopeKey
from marketplace import audit, keywrap
from marketplace.errors import Conflict
from tenders.models import Custody, Tender


def create_envelope_keys(tender: Tender, *, actor, now: datetime) -> list:
    """One key pair per envelope, under the tender's custody. Runs in `publish_tender`'s transaction."""
    created = []
    for name in tender.envelope_names():
        scalar, public, kid = crypto.new_key_pair()
        key = EnvelopeKey(tender=tender, name=name, kid=kid, public_jwk=public, custody=tender.custody, created_at=now)
        if tender.custody == Custody.PLATFORM:
            key.wrapped_private_key = keywrap.wrap(settings.SEALING_KEK, scalar, kid)
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


def unwrap_platform_key(envelope_key, *, actor=None, now: datetime) -> jwk.JWK:
    """The private key of a platform-custody envelope, for the opening only. Every attempt is audited.

    A refusal is recorded in its own transaction before the Conflict is raised, so it stays on
    the chain unless the caller's enclosing transaction rolls back.
    """
    tender = Tender.objects.get(pk=envelope_key.tender_id)
    refusal = crypto.opening_refusal(tender, now)
    key = None
    if refusal is None and envelope_key.custody != Custody.PLATFORM:
        refusal = _("This envelope key is held by the committee of custodians, not the platform.")
    if refusal is None and not envelope_key.wrapped_private_key:
        refusal = _("This envelope key was destroyed when the tender was cancelled.")
    if refusal is None:
        try:
            key = crypto.private_jwk(
                keywrap.unwrap(settings.SEALING_KEK, envelope_key.wrapped_private_key, envelope_key.kid), envelope_key.public_jwk
            )
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
