from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from marketplace import access, actions, twofactor
from marketplace.auth import password_reset_allowed
from marketplace.context_processors import start_page
from marketplace.forms import ApiTokenForm
from marketplace.models import ApiToken, Notification


def _tokens_of(user) -> list[ApiToken]:
    """The owner's tokens, each marked `expired`; last use is shown here and nowhere else."""
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=user))
    for token in tokens:
        token.expired = token.is_expired(now)
    return tokens


@login_required
def start(request):
    """After sign-in: the page where the person's work starts (their role's desk), unless the
    sign-in was asked on the way to another page (`?next=`, which the login view honours first)."""
    return redirect(start_page(request.user))


@login_required
def profile(request):
    access.require(request.user, "view_profile")
    context = {
        "memberships": access.memberships(request.user),
        "tokens": _tokens_of(request.user),
        "token_days": settings.API_TOKEN_DAYS,
        "token_form": ApiTokenForm(),
        "new_key": request.session.pop("new_api_key", None),
        "has_authenticator": twofactor.has_authenticator(request.user),
    }
    return render(request, "marketplace/profile.html", context)


@login_required
@require_POST
def api_token_create(request):
    access.require(request.user, "manage_api_tokens", request.user)
    # A token acts without the second factor, so only a session that passed it may make one
    # (the middleware already stops any other for whoever must pass it; this says it here too).
    if twofactor.must_verify(request.user) and not request.user.is_verified():
        raise PermissionDenied
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        context = {
            "memberships": access.memberships(request.user),
            "tokens": _tokens_of(request.user),
            "token_days": settings.API_TOKEN_DAYS,
            "token_form": form,
            "has_authenticator": twofactor.has_authenticator(request.user),
        }
        return render(request, "marketplace/profile.html", context, status=400)
    token, key = actions.issue_api_token(request.user, form.cleaned_data["name"])
    # Shown once, on the next page only; never stored in clear.
    request.session["new_api_key"] = key
    messages.success(request, _("Token “%(name)s” created. Copy it now: it will not be shown again.") % {"name": token.name})
    return redirect("profile")


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    actions.revoke_api_token(request.user, token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("profile")


@login_required
def notifications(request):
    items = Notification.objects.filter(user=request.user)[:100]
    return render(request, "marketplace/notifications.html", {"notifications": items})


@login_required
@require_POST
def notifications_read(request):
    actions.mark_notifications_read(request.user)
    return redirect("notifications")


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        # Past the hourly limit nothing is sent, and the answer stays the same: it must not tell
        # whether the address has an account, nor help flood someone's mailbox.
        if not password_reset_allowed(self.request, form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        form.save(
            # Links point at the configured site, never at whatever Host the request claimed.
            domain_override=urlsplit(settings.SITE_URL).netloc,
            use_https=settings.HTTPS,
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=self.extra_email_context,
        )
        return HttpResponseRedirect(self.get_success_url())


@require_POST
def set_language(request):
    """Django's language switcher; for a signed-in person the choice is also kept on their
    account, so what the platform writes to them later is in that language too."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        actions.choose_language(request.user, language)
    return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        actions.revoke_credentials_after_password_change(form.user, reason="reset")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        actions.revoke_credentials_after_password_change(form.user, reason="change")
        return response
