"""The second factor's pages: the step after the password, setting up an app, the recovery codes,
removing the app. `marketplace.middleware.SecondFactorMiddleware` sends people here."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from marketplace import twofactor
from marketplace.errors import ActionError
from marketplace.forms import ConfirmAuthenticatorForm, PasswordCheckForm, SignInCodeForm

# The recovery codes just made, shown on the next page once and then forgotten.
NEW_CODES_KEY = "new_recovery_codes"


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("start")


def _with_next(url_name: str, target: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': target})}"


def _passed(request, device) -> None:
    # A new session key once the second factor is passed, as at the password step.
    request.session.cycle_key()
    otp_login(request, device)


@login_required
def verify(request):
    """The step after the password for whoever has an app: a code from it, or a recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    if not twofactor.has_authenticator(user):
        return redirect(_with_next("second-factor-enrol", _next(request)) if twofactor.is_required(user) else _next(request))
    form = SignInCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device = twofactor.pass_sign_in(user, form.cleaned_data["code"])
            except ActionError as error:
                form.add_error("code", error.problems[0].message)
                status = error.status if error.status == 429 else 400
            else:
                _passed(request, device)
                if device.name == twofactor.RECOVERY_NAME:
                    left = twofactor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        _("Recovery code accepted; %(left)s left. Make new ones on your two-step sign-in page if you are running out.")
                        % {"left": left},
                    )
                return redirect(_next(request))
    return render(request, "marketplace/second_factor_verify.html", {"form": form, "next": _next(request)}, status=status)


@login_required
def enrol(request):
    """Setting up an authenticator app: scan the code (or type the secret), then confirm it
    with a first code; only then does it count, and the recovery codes are shown."""
    user = request.user
    if twofactor.has_authenticator(user):
        return redirect("second-factor" if user.is_verified() else "second-factor-verify")
    device = twofactor.pending_authenticator(user)
    form = ConfirmAuthenticatorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                codes = twofactor.confirm_authenticator(user, device, form.cleaned_data["code"])
            except ActionError as error:
                form.add_error("code", error.problems[0].message)
                status = error.status if error.status == 429 else 400
            else:
                device.refresh_from_db()
                _passed(request, device)
                request.session[NEW_CODES_KEY] = codes
                messages.success(request, _("Your authenticator app is set up: sign-in will ask for its code from now on."))
                return redirect(_with_next("second-factor-recovery-codes", _next(request)))
    context = {
        "form": form,
        "qr": twofactor.qr_svg(device, _("QR code to scan with your authenticator app")),
        "secret": twofactor.secret_text(device),
        "required": twofactor.is_required(user),
        "next": _next(request),
    }
    return render(request, "marketplace/second_factor_enrol.html", context, status=status)


@login_required
def manage(request):
    user = request.user
    context = {
        "authenticator": twofactor.authenticator_of(user),
        "required": twofactor.is_required(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "regenerate_form": PasswordCheckForm(auto_id="id_regenerate_%s"),
        "remove_form": PasswordCheckForm(auto_id="id_remove_%s"),
    }
    return render(request, "marketplace/second_factor.html", context)


@login_required
def recovery_codes(request):
    """GET: the codes just made, once. POST: new codes for the password (the old ones stop working)."""
    if request.method == "POST":
        form = PasswordCheckForm(request.POST, auto_id="id_regenerate_%s")
        if form.is_valid():
            try:
                request.session[NEW_CODES_KEY] = twofactor.regenerate_recovery_codes(request.user, password=form.cleaned_data["password"])
            except ActionError as error:
                messages.error(request, error.problems[0].message)
                return redirect("second-factor")
            return redirect("second-factor-recovery-codes")
        messages.error(request, _("Enter your password to make new recovery codes."))
        return redirect("second-factor")
    codes = request.session.pop(NEW_CODES_KEY, None)
    if not codes:
        return redirect("second-factor")
    return render(request, "marketplace/second_factor_codes.html", {"codes": codes, "next": _next(request)})


@login_required
@require_POST
def remove(request):
    form = PasswordCheckForm(request.POST, auto_id="id_remove_%s")
    if not form.is_valid():
        messages.error(request, _("Enter your password to remove the authenticator app."))
        return redirect("second-factor")
    try:
        twofactor.remove_second_factor(request.user, password=form.cleaned_data["password"])
    except ActionError as error:
        messages.error(request, error.problems[0].message)
        return redirect("second-factor")
    if twofactor.is_required(request.user):
        messages.warning(request, _("The authenticator app is removed. Your roles require one: set up a new app now."))
        return redirect("second-factor-enrol")
    messages.success(request, _("The authenticator app and the recovery codes are removed: sign-in asks for your password only."))
    return redirect("second-factor")
