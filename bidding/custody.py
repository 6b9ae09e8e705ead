"""Committee custody: an envelope key split k-of-n among named custodians, never stored whole.

Design. A custodian's passphrase is not available at publication, so each custodian first
sets an *opening passphrase* once. It derives (scrypt) the key that wraps a personal P-256
key pair; only the public half is usable without the passphrase. At publication the
envelope's private scalar is split with SLIP-39 (shamir-mnemonic, one group, k of n) and each
share's mnemonic is sealed (ECDH-ES / A256GCM JWE) to its custodian's public key; the scalar
is then discarded. At the opening each custodian's passphrase unlocks their private key and so
their share; k shares rebuild the scalar, which must match the published public key.

Before the deadline a custodian can check that their passphrase unlocks their share. The
share is never shown, and with k ≥ 2 one share says nothing about the key.
"""

import os
from datetime import datetime

import shamir_mnemonic
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.db import transaction
from django.utils.translation import gettext as _
from jwcrypto import jwk
from jwcrypto.common import JWException
from shamir_mnemonic.share import Share

from bidding import crypto, sealing
from bidding.models import CustodianKey, CustodianShare
from marketplace import audit, keywrap
from marketplace.errors import ActionError, Conflict
from tenders.models import Custody

# scrypt cost: 2^17 × 128 × r bytes = 128 MiB and about a third of a second per try, which is
# what an opening passphrase guessed offline from a stolen database has to pay each time.
SCRYPT_LOG_N = 17
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSPHRASE_LENGTH = 12
MAX_SHARES = 16  # SLIP-39's limit on the shares of one group


class WrongPassphrase(ActionError):
    default_code = "wrong_passphrase"


def passphrase_key(passphrase: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=bytes(salt), length=32, n=2**log_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def validate_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ActionError(
            _("Choose an opening passphrase of at least %(n)s characters.") % {"n": MIN_PASSPHRASE_LENGTH},
            code="too_short",
            field="passphrase",
        )


def custodian_aad(user_id: int) -> str:
    return f"custodian:{user_id}"


def new_custodian_key(user, passphrase: str, now: datetime):
    """A fresh personal key pair, its private half wrapped under the passphrase (unsaved)."""
    scalar, public, kid = crypto.new_key_pair()
    salt = os.urandom(16)
    wrapping = passphrase_key(passphrase, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    return CustodianKey(
        user=user,
        kid=kid,
        public_jwk=public,
        wrapped_private_key=keywrap.wrap(wrapping, scalar, custodian_aad(user.pk)),
        salt=salt,
        scrypt_log_n=SCRYPT_LOG_N,
        scrypt_r=SCRYPT_R,
        scrypt_p=SCRYPT_P,
        created_at=now,
        passphrase_changed_at=now,
    )


def custodian_private_key(opening_key, passphrase: str) -> tuple[bytes, jwk.JWK]:
    """(scalar, private JWK) of a custodian key; WrongPassphrase if the passphrase does not unlock it."""
    wrapping = passphrase_key(passphrase, opening_key.salt, opening_key.scrypt_log_n, opening_key.scrypt_r, opening_key.scrypt_p)
    try:
        scalar = keywrap.unwrap(wrapping, opening_key.wrapped_private_key, custodian_aad(opening_key.user_id))
    except InvalidTag:
        raise WrongPassphrase(_("This passphrase does not unlock your opening key."), field="passphrase") from None
    return scalar, crypto.private_jwk(scalar, opening_key.public_jwk)


def rewrap(opening_key, old_passphrase: str, new_passphrase: str, now: datetime) -> None:
    """Change the passphrase: the key pair (and so every share sealed to it) stays the same."""
    scalar, _key = custodian_private_key(opening_key, old_passphrase)
    salt = os.urandom(16)
    wrapping = passphrase_key(new_passphrase, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    opening_key.wrapped_private_key = keywrap.wrap(wrapping, scalar, custodian_aad(opening_key.user_id))
    opening_key.salt = salt
    opening_key.scrypt_log_n, opening_key.scrypt_r, opening_key.scrypt_p = SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P
    opening_key.passphrase_changed_at = now


def split_among_custodians(envelope_key, scalar: bytes) -> None:
    """Seal one share of `scalar` to each custodian of the tender, in seat order."""
    seats = list(envelope_key.tender.custodian_seats.order_by("position").select_related("user"))
    opening_keys = {k.user_id: k for k in CustodianKey.objects.filter(user__in=[s.user for s in seats])}
    threshold = envelope_key.threshold
    [mnemonics] = shamir_mnemonic.generate_mnemonics(1, [(threshold, len(seats))], scalar, iteration_exponent=0)
    envelope_key.share_identifier = Share.from_mnemonic(mnemonics[0]).identifier
    envelope_key.save(update_fields=["share_identifier"])
    for seat, mnemonic in zip(seats, mnemonics, strict=True):
        recipient = opening_keys[seat.user_id]
        CustodianShare.objects.create(
            envelope_key=envelope_key,
            custodian=seat.user,
            position=seat.position,
            recipient_kid=recipient.kid,
            sealed_share=sealing.seal_to(
                mnemonic.encode("ascii"),
                recipient.public_jwk,
                kid=recipient.kid,
                apu=sealing.b64url(envelope_key.kid.encode()),
                apv=sealing.b64url(custodian_aad(seat.user_id).encode()),
            ),
        )


def open_share(share, passphrase: str) -> str:
    """The mnemonic of a share, checked to belong to its envelope key. Never shown to anyone."""
    _scalar, private = custodian_private_key(share.custodian.opening_key, passphrase)
    try:
        mnemonic = sealing.open_envelope(share.sealed_share, private).decode("ascii")
        parsed = Share.from_mnemonic(mnemonic)
    except (JWException, ValueError, UnicodeDecodeError, shamir_mnemonic.MnemonicError):
        raise ActionError(_("Your share cannot be read: it was sealed to another opening key."), code="share_unreadable") from None
    if parsed.identifier != share.envelope_key.share_identifier or parsed.member_threshold != share.envelope_key.threshold:
        raise ActionError(_("Your share does not belong to this envelope key."), code="share_mismatch")
    return mnemonic


def publication_problems(tender) -> list[str]:
    """What stops a committee-custody tender from being published, in words for its officer.

    The tender's own rules (2 ≤ k ≤ n, distinct custodians holding the role) are checked by
    `tenders.rules`; these are the sealing's: SLIP-39's limit and each custodian's opening key.
    """
    if tender.custody != Custody.COMMITTEE:
        return []
    seats = list(tender.custodian_seats.select_related("user"))
    n = len(seats)
    problems = []
    if n > MAX_SHARES:
        problems.append(_("At most %(max)s custodians can hold shares of one key.") % {"max": MAX_SHARES})
    with_keys = set(CustodianKey.objects.filter(user__in=[s.user for s in seats]).values_list("user_id", flat=True))
    for seat in seats:
        if seat.user_id not in with_keys:
            problems.append(_("Custodian %(name)s has not set an opening passphrase yet.") % {"name": seat.user})
    return problems


def unlock_share(custodian, envelope_key, passphrase: str, *, now: datetime) -> str:
    """A custodian's share, unlocked for the opening (past the deadline only). Every attempt is audited."""
    share = envelope_key.shares.select_related("custodian__opening_key", "envelope_key").filter(custodian=custodian).first()
    tender = envelope_key.tender
    refusal: ActionError | None = None
    mnemonic = ""
    reason = crypto.opening_refusal(tender, now)
    if reason is not None:
        refusal = Conflict(reason, code="not_openable")
    elif share is None:
        refusal = ActionError(_("You hold no share of this envelope key."), code="no_share")
    else:
        try:
            mnemonic = open_share(share, passphrase)
        except ActionError as error:
            refusal = error
    with transaction.atomic():
        audit.record(
            "custodian_share.unlocked" if refusal is None else "custodian_share.unlock_refused",
            actor=custodian,
            organisation=tender.buyer,
            obj=envelope_key,
            payload={"tender": tender.pk, "envelope": envelope_key.name, "reason": "" if refusal is None else refusal.message},
            now=now,
        )
    if refusal is not None:
        raise refusal
    return mnemonic


def rebuild_committee_key(envelope_key, mnemonics: list[str], *, actor=None, now: datetime) -> jwk.JWK:
    """The private key from k unlocked shares; refused with fewer, or before the deadline. Audited."""
    tender = envelope_key.tender
    reason = crypto.opening_refusal(tender, now)
    key = None
    if reason is None and envelope_key.custody != Custody.COMMITTEE:
        reason = _("This envelope key is held by the platform, not a committee.")
    if reason is None and len(set(mnemonics)) < (envelope_key.threshold or 0):
        reason = _("%(k)s custodians' shares are needed to rebuild the key; %(got)s were given.") % {
            "k": envelope_key.threshold,
            "got": len(set(mnemonics)),
        }
    if reason is None:
        try:
            key = crypto.private_jwk(shamir_mnemonic.combine_mnemonics(sorted(set(mnemonics))), envelope_key.public_jwk)
        except (shamir_mnemonic.MnemonicError, ValueError):
            reason = _("These shares do not rebuild this envelope's key.")
    with transaction.atomic():
        audit.record(
            "envelope_key.rebuilt" if reason is None else "envelope_key.rebuild_refused",
            actor=actor,
            organisation=tender.buyer,
            obj=envelope_key,
            payload={"tender": tender.pk, "envelope": envelope_key.name, "shares": len(set(mnemonics)), "reason": reason or ""},
            now=now,
        )
    if reason is not None:
        raise Conflict(reason, code="not_openable")
    return key
