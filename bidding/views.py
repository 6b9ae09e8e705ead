"""Pages: the bid form (sealed in the browser), your bids, the bid box, receipts, custodians' keys."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bidding import actions, box, keys
from bidding.access import bidding_firms
from bidding.forms import ChangePassphraseForm, CheckShareForm, ReceiptForm, SetPassphraseForm
from bidding.models import Bid, CustodianKey, CustodianShare
from bidding.plaintext_schema import plaintext_schema
from marketplace import access, confirm, live, signing
from marketplace.errors import ActionError
from marketplace.models import Organisation
from tenders.models import Tender, TenderCustodian


def visible_tender(user, tender_id: int) -> Tender:
    tender = Tender.objects.filter(pk=tender_id).select_related("buyer").first()
    if tender is None or not access.can(user, "view_tender", tender):
        raise Http404
    return tender


def chosen_firm(request) -> Organisation:
    firms = bidding_firms(request.user)
    wanted = request.GET.get("organisation") or request.POST.get("organisation")
    for firm in firms:
        if str(firm.pk) == wanted:
            return firm
    return firms[0]


def sealing_config(tender: Tender, firm: Organisation, bid: Bid | None) -> dict:
    """What the page's sealing module needs, passed with json_script (no inline script)."""
    return {
        "tender": tender.pk,
        "organisation": firm.pk,
        "currency": tender.currency,
        "envelopes": keys.public_envelopes(tender),
        "lots": [{"number": lot.number, "title": lot.title, "reserved": lot.sme_reserved} for lot in tender.lots.all()],
        "maxEnvelopeBytes": tender.max_envelope_bytes,
        # The tender's plaintext schema, as `GET /api/v1/bids/plaintext-schema?tender=<id>` gives it.
        "schema": plaintext_schema(tender),
        "submitUrl": reverse("api-tender-bids", args=[tender.pk]),
        "replaceUrl": reverse("api-bid-replace", args=[bid.pk]) if bid else "",
        "pageUrl": reverse("bidding:bid", args=[tender.pk]) + f"?organisation={firm.pk}",
        "text": {
            "reading": _("Reading the documents…"),
            "sealing": _("Sealing the envelope “%(name)s” in your browser…"),
            "uploading": _("Uploading the sealed envelopes…"),
            "received": _("Received. Your receipt:"),
            "noPrice": _("Enter a price for at least one lot."),
            "badPrice": _("Prices are amounts like 1234.50 (a dot before the cents)."),
            "zeroPrice": _("A price must be greater than zero."),
            "tooLarge": _("The sealed envelope “%(name)s” would be larger than this tender accepts."),
            "failed": _("The bid was not received:"),
            "unreadable": _("Nothing was sealed: the envelope would not open as a valid bid."),
            "summarised": _("The summary is saved on your computer. Nothing was sent."),
            "noCrypto": _("Your browser cannot seal bids (WebCrypto is unavailable; use an up-to-date browser over https)."),
        },
    }


@login_required
def bid_page(request, tender_id: int):
    tender = visible_tender(request.user, tender_id)
    access.require(request.user, "prepare_bid", tender)
    firm = chosen_firm(request)
    now = timezone.now()
    bids = list(Bid.objects.filter(tender=tender, organisation=firm).prefetch_related("envelopes").order_by("-received_at"))
    live_bid = next((b for b in bids if b.is_live), None)
    lots = list(tender.lots.all())
    # A lot reserved for SMEs is closed on the page to a firm that is not one: refused before sealing, not after.
    firm_is_sme = any(lot.sme_reserved for lot in lots) and actions.is_sme(firm)
    context = {
        "tender": tender,
        "firm": firm,
        "firms": bidding_firms(request.user),
        "envelopes": keys.public_envelopes(tender),
        "lots": [{"lot": lot, "closed": lot.sme_reserved and not firm_is_sme} for lot in lots],
        "live_bid": live_bid,
        "history": [b for b in bids if not b.is_live],
        "accepts_bids": tender.accepts_bids_at(now),
        "refusals": actions.eligibility_problems(firm, tender, now) if tender.accepts_bids_at(now) else [],
        "sealing_config": sealing_config(tender, firm, live_bid),
        "box": box.bid_box(tender, now),
        "live_after": live.current_seq(),
    }
    return render(request, "bidding/bid.html", context)


@login_required
def receipt_file(request, bid_id):
    """A bid's receipt (or withdrawal receipt) as a file to keep, for the firm's own members."""
    bid = Bid.objects.filter(pk=bid_id, organisation__in=bidding_firms(request.user)).select_related("tender").first()
    if bid is None:
        raise Http404
    withdrawal = request.GET.get("withdrawal") == "1"
    receipt = bid.withdrawal_receipt if withdrawal else bid.receipt
    if not receipt:
        raise Http404
    name = f"{'withdrawal-' if withdrawal else ''}receipt-{bid.tender.reference}-{bid.pk}.jws"
    response = HttpResponse(receipt, content_type="application/jose; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def withdraw(request, tender_id: int):
    tender = visible_tender(request.user, tender_id)
    firms = [o.pk for o in bidding_firms(request.user)]
    bid = (
        Bid.objects.filter(pk=request.POST.get("bid"), tender=tender, organisation__in=firms).first()
        if _is_uuid(request.POST.get("bid"))
        else None
    )
    if bid is None or not access.can(request.user, "change_bid", bid):
        raise Http404
    if page := confirm.ask(
        request,
        title=_("Withdraw your bid for %(reference)s?") % {"reference": tender.reference},
        consequences=[
            _("The sealed bid will never be opened; the withdrawal receipt proves it."),
            _("To bid again before the deadline you must seal and submit a new bid."),
        ],
        action=_("Withdraw the bid"),
        back=reverse("bidding:bid", args=[tender.pk]) + f"?organisation={bid.organisation_id}",
    ):
        return page
    try:
        actions.withdraw_bid(request.user, bid)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your bid was withdrawn. It will never be opened; the withdrawal receipt is below."))
    return redirect(reverse("bidding:bid", args=[tender.pk]) + f"?organisation={bid.organisation_id}")


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def bid_box_page(request, tender_id: int):
    tender = visible_tender(request.user, tender_id)
    access.require(request.user, "view_bid_box", tender)
    context = {
        "tender": tender,
        "box": box.bid_box(tender, timezone.now()),
        "officer_count": box.live_bid_count(tender) if access.can(request.user, "view_bid_count", tender) else None,
        "live_after": live.current_seq(),
    }
    return render(request, "bidding/bid_box.html", context)


@login_required
def my_bids(request):
    firms = bidding_firms(request.user)
    if not firms:
        raise Http404
    bids = Bid.objects.filter(organisation__in=firms).select_related("tender", "organisation").order_by("-received_at")[:200]
    return render(request, "bidding/my_bids.html", {"bids": bids})


def verify_receipt(request):
    result = None
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = signing.verify(form.cleaned_data["receipt"])
    return render(request, "bidding/verify_receipt.html", {"form": form, "result": result, "jwks_url": reverse("api-signing-keys")})


def _custody_context(user, **forms) -> dict:
    seats = TenderCustodian.objects.filter(user=user).select_related("tender").order_by("-tender__submission_deadline")
    checked = {}
    for share in CustodianShare.objects.filter(custodian=user).select_related("envelope_key"):
        checked.setdefault(share.envelope_key.tender_id, []).append(share)
    return {
        "opening_key": CustodianKey.objects.filter(user=user).first(),
        "seats": [{"seat": s, "shares": checked.get(s.tender_id, [])} for s in seats],
        "set_form": forms.get("set_form") or SetPassphraseForm(),
        "change_form": forms.get("change_form") or ChangePassphraseForm(),
    }


@login_required
def custody_page(request):
    access.require(request.user, "manage_opening_key")
    return render(request, "bidding/custody.html", _custody_context(request.user))


@login_required
@require_POST
def set_passphrase(request):
    access.require(request.user, "manage_opening_key")
    form = SetPassphraseForm(request.POST)
    if form.is_valid():
        try:
            actions.set_opening_passphrase(request.user, form.cleaned_data["passphrase"])
        except ActionError as error:
            form.add_error(error.problems[0].field, error.message)
        else:
            messages.success(request, _("Your opening passphrase is set. Nobody can recover it for you: keep it safe."))
            return redirect("bidding:custody")
    return render(request, "bidding/custody.html", _custody_context(request.user, set_form=form), status=400)


@login_required
@require_POST
def change_passphrase(request):
    access.require(request.user, "manage_opening_key")
    form = ChangePassphraseForm(request.POST)
    if form.is_valid():
        try:
            actions.change_opening_passphrase(request.user, form.cleaned_data["current"], form.cleaned_data["passphrase"])
        except ActionError as error:
            form.add_error(error.problems[0].field, error.message)
        else:
            messages.success(request, _("Your opening passphrase was changed; your shares are unchanged."))
            return redirect("bidding:custody")
    return render(request, "bidding/custody.html", _custody_context(request.user, change_form=form), status=400)


@login_required
@require_POST
def check_share(request, tender_id: int):
    tender = get_object_or_404(Tender, pk=tender_id)
    access.require(request.user, "check_custodian_share", tender)
    form = CheckShareForm(request.POST)
    if form.is_valid():
        try:
            names = actions.check_custodian_shares(request.user, tender, form.cleaned_data["passphrase"])
        except ActionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your passphrase unlocks your share of: %(names)s.") % {"names": ", ".join(names)})
    return redirect("bidding:custody")
