"""Key material: how envelope keys and custodians' keys are made, and the one rule on when an
envelope's private key may be used at all. They are wrapped with `marketplace.keywrap`, as the
contracts' signatory keys are.

Shared by `bidding.keys` (platform custody) and `bidding.custody` (committee custody).
"""

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec
from django.utils.translation import gettext as _
from jwcrypto import jwk

from tenders.models import Tender

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


def opening_refusal(tender: Tender, now: datetime) -> str | None:
    """Why a private key may not be used now, or None when the opening may use it."""
    if not tender.is_past_deadline(now):
        return _("The submission deadline has not passed: no sealed bid may be opened before it.")
    if tender.status not in OPENABLE_STATES:
        return _("The tender is %(status)s: its sealed bids cannot be opened.") % {"status": tender.get_status_display()}
    return None
