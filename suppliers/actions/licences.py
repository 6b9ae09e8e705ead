"""Licences and certificates: the firm's uploads, the registry's types and requirements, and
the warnings before a licence expires."""

from datetime import date, datetime, timedelta
from functools import partial

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace import audit
from marketplace.errors import ActionError, Conflict, Problem
from marketplace.models import Role, User
from marketplace.notify import notify
from suppliers import cpv
from suppliers.actions.common import lock_supplier, members_of, registry_officers, supplier_url, tell_firm
from suppliers.models import Licence, LicenceExpiryWarning, LicenceRequirement, LicenceType, Supplier
from suppliers.uploads import check_licence_file

# Days before expiry when the firm is warned (30 and 7): each threshold at most once per licence.
WARNING_DAYS = (30, 7)


@transaction.atomic
def add_licence(
    actor: User,
    supplier: Supplier,
    *,
    licence_type: LicenceType | None,
    number: str,
    issuer: str,
    valid_from: date | None,
    valid_to: date | None,
    upload: UploadedFile | None,
    now: datetime | None = None,
) -> Licence:
    """Record a licence with its file. The file is checked by its content before anything is stored."""
    now = now or timezone.now()
    problems = []
    if licence_type is None:
        problems.append(Problem(_("Choose the type of licence."), "required", "licence_type"))
    if not (number or "").strip():
        problems.append(Problem(_("Enter the licence number."), "required", "number"))
    if not (issuer or "").strip():
        problems.append(Problem(_("Enter who issued the licence."), "required", "issuer"))
    if valid_from is None:
        problems.append(Problem(_("Enter the date from which the licence is valid."), "required", "valid_from"))
    elif valid_to is not None and valid_to < valid_from:
        problems.append(Problem(_("The licence cannot expire before it starts: check the dates."), "dates_out_of_order", "valid_to"))
    if upload is None:
        problems.append(Problem(_("Attach the licence or certificate (PDF, PNG or JPEG)."), "required", "file"))
    if problems:
        raise ActionError(problems=problems)
    checked = check_licence_file(upload)
    supplier = lock_supplier(supplier)
    licence = Licence(
        supplier=supplier,
        licence_type=licence_type,
        number=number.strip()[:100],
        issuer=issuer.strip()[:200],
        valid_from=valid_from,
        valid_to=valid_to,
        filename=checked.filename,
        media_type=checked.media_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_at=now,
    )
    licence.file.save(checked.stored_name, checked.upload, save=False)
    try:
        with transaction.atomic():
            licence.save()
            audit.record(
                "licence.added",
                actor=actor,
                organisation=supplier.organisation,
                obj=licence,
                payload={"type": licence_type.code, "number": licence.number, "valid_to": valid_to, "sha256": licence.sha256},
                now=now,
            )
    except Exception:
        # Nothing was recorded: the file written a moment ago must not stay behind.
        licence.file.delete(save=False)
        raise
    notify(
        registry_officers(),
        kind="licence.to_check",
        title=lambda: _("Licence to check: %(type)s of %(name)s") % {"type": licence_type.name, "name": supplier.legal_name},
        url=supplier_url(supplier) + "#licences",
        email=False,
    )
    return licence


@transaction.atomic
def check_licence(officer: User, licence: Licence, *, accept: bool, reason: str = "", now: datetime | None = None) -> Licence:
    """The registry's look at a licence: accepted, it counts for bidding; refused, with the reason
    the firm reads (it may upload a corrected one)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ActionError(_("Give the reason: the firm will read it."), code="required", field="reason")
    supplier = lock_supplier(licence.supplier_id)
    licence = Licence.objects.select_for_update().select_related("licence_type").get(pk=licence.pk)
    if licence.status != Licence.Status.PENDING:
        raise Conflict(_("This licence was already checked."), code="already_checked")
    licence.status = Licence.Status.ACCEPTED if accept else Licence.Status.REJECTED
    licence.checked_at, licence.checked_by, licence.check_reason = now, officer, "" if accept else reason
    licence.save(update_fields=["status", "checked_at", "checked_by", "check_reason"])
    audit.record(
        "licence.accepted" if accept else "licence.rejected",
        actor=officer,
        organisation=supplier.organisation,
        obj=licence,
        payload={"type": licence.licence_type.code, "number": licence.number, "sha256": licence.sha256}
        | ({} if accept else {"reason": reason}),
        now=now,
    )
    names = {"type": licence.licence_type.name, "number": licence.number}
    if accept:
        tell_firm(
            supplier,
            kind="licence.accepted",
            title=lambda: _("%(type)s %(number)s accepted by the registry") % names,
            body=lambda: _("It now counts for the tenders that require it."),
            admins_only=True,
        )
    else:
        tell_firm(
            supplier,
            kind="licence.rejected",
            title=lambda: _("%(type)s %(number)s refused by the registry") % names,
            body=lambda: _("The registry refused it: %(reason)s Upload a corrected licence from your firm's page.") % {"reason": reason},
            admins_only=True,
        )
    return licence


@transaction.atomic
def remove_licence(actor: User, licence: Licence) -> None:
    supplier = lock_supplier(licence.supplier_id)
    audit.record(
        "licence.removed",
        actor=actor,
        organisation=supplier.organisation,
        obj=licence,
        payload={"type": licence.licence_type.code, "number": licence.number, "sha256": licence.sha256},
    )
    storage, name = licence.file.storage, licence.file.name
    licence.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def _is_renewed(licence: Licence) -> bool:
    """The firm already holds a licence of the same type that takes over when this one ends."""
    return (
        Licence.objects.filter(supplier_id=licence.supplier_id, licence_type_id=licence.licence_type_id)
        .exclude(pk=licence.pk)
        .filter(valid_from__lte=licence.valid_to + timedelta(days=1))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=licence.valid_to))
        .exists()
    )


def _expiry_title(licence: Licence, days_left: int) -> str:
    names = {"type": licence.licence_type.name, "number": licence.number, "days": days_left}
    if days_left == 0:
        return _("%(type)s %(number)s expires today") % names
    if days_left == 1:
        return _("%(type)s %(number)s expires tomorrow") % names
    return ngettext("%(type)s %(number)s expires in %(days)s day", "%(type)s %(number)s expires in %(days)s days", days_left) % names


def _expiry_body(licence: Licence) -> str:
    return _(
        "Your firm's %(type)s (number %(number)s) is valid until %(date)s. Upload the renewed licence before then: "
        "a firm whose required licence has expired cannot bid."
    ) % {
        "type": licence.licence_type.name,
        "number": licence.number,
        "date": formats.date_format(licence.valid_to, "DATE_FORMAT"),
    }


def send_licence_expiry_warnings(now: datetime | None = None) -> int:
    """Warn each firm's administrators 30 and 7 days before a licence expires (daily upkeep).

    A licence first seen inside the 7-day window gets only the 7-day warning; a day missed
    by the worker is caught up on its next run. The unique warning row makes each warning once.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + timedelta(days=max(WARNING_DAYS))
    sent = 0
    expiring = Licence.objects.filter(valid_to__gte=today, valid_to__lte=horizon).select_related("licence_type", "supplier__organisation")
    for licence in expiring:
        days_left = (licence.valid_to - today).days
        threshold = min(d for d in WARNING_DAYS if days_left <= d)
        if licence.expiry_warnings.filter(days_before=threshold).exists() or _is_renewed(licence):
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    LicenceExpiryWarning.objects.create(licence=licence, days_before=threshold, sent_at=now)
            except IntegrityError:  # another worker sent it first
                continue
            notify(
                members_of(licence.supplier.organisation_id, Role.SUPPLIER_ADMIN),
                kind="licence.expiring",
                title=partial(_expiry_title, licence, days_left),
                body=partial(_expiry_body, licence),
                url=supplier_url(licence.supplier),
                organisation=licence.supplier.organisation,
            )
        sent += 1
    return sent


@transaction.atomic
def create_licence_type(actor: User, *, name: str, description: str = "", code: str = "") -> LicenceType:
    name = (name or "").strip()
    if not name:
        raise ActionError(_("Give the licence type a name."), code="required", field="name")
    code = slugify(code or name)[:40]
    if not code or LicenceType.objects.filter(code=code).exists():
        raise ActionError(_("A licence type with this code already exists."), code="duplicate", field="code")
    licence_type = LicenceType.objects.create(code=code, name=name[:200], description=(description or "").strip())
    audit.record("licence_type.created", actor=actor, obj=licence_type, payload={"code": code, "name": licence_type.name})
    return licence_type


@transaction.atomic
def add_licence_requirement(actor: User, licence_type: LicenceType, category: str) -> LicenceRequirement:
    """From now on, bidding on a tender in `category` (or under it) needs a valid licence of this type."""
    if not cpv.exists(category or ""):
        raise ActionError(_("%(code)s is not a CPV 2008 code.") % {"code": category}, code="unknown_cpv", field="category")
    code = cpv.normalise(category)
    requirement, created = LicenceRequirement.objects.get_or_create(licence_type=licence_type, category=code)
    if not created:
        raise ActionError(_("This licence is already required for this category."), code="duplicate", field="category")
    audit.record("licence_requirement.added", actor=actor, obj=requirement, payload={"type": licence_type.code, "category": code})
    return requirement


@transaction.atomic
def remove_licence_requirement(actor: User, requirement: LicenceRequirement) -> None:
    audit.record(
        "licence_requirement.removed",
        actor=actor,
        obj=requirement,
        payload={"type": requirement.licence_type.code, "category": requirement.category},
    )
    requirement.delete()
