from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from evaluation import urls as evaluation_urls
from marketplace import api, health, second_factor_views, views
from tenders import urls as tender_urls
from tenders import views as tender_views

api_v1 = [
    path("audit/head", api.AuditHeadView.as_view(), name="api-audit-head"),
    path("audit/checkpoints/", api.AuditCheckpointListView.as_view(), name="api-audit-checkpoints"),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", api.NotificationsReadView.as_view(), name="api-notifications-read"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("tenders.api_urls")),
    path("", include("evaluation.api_urls")),
    path("", include("bidding.api_urls")),
    path("", include("contracts.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("opendata.api_urls")),
]

urlpatterns = [
    # The API first: a bid submission in a deadline burst should not try every page route first.
    path("api/v1/", include(api_v1)),
    path("api/v1/", include("suppliers.api_urls")),
    path("", tender_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("payments/", include("payments.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/two-factor/", second_factor_views.manage, name="second-factor"),
    path("accounts/two-factor/verify/", second_factor_views.verify, name="second-factor-verify"),
    path("accounts/two-factor/enrol/", second_factor_views.enrol, name="second-factor-enrol"),
    path("accounts/two-factor/recovery-codes/", second_factor_views.recovery_codes, name="second-factor-recovery-codes"),
    path("accounts/two-factor/remove/", second_factor_views.remove, name="second-factor-remove"),
    path("start/", views.start, name="start"),
    path("accounts/tokens/", views.api_token_create, name="api-token-create"),
    path("accounts/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    # The tender pages: the tenders app's own and the evaluation's, one namespace under /tenders/.
    path("tenders/", include(([*tender_urls.urlpatterns, *evaluation_urls.tender_pages], "tenders"))),
    path("awards/", include(("evaluation.urls", "awards"))),
    path("contracts/", include(("contracts.urls", "contracts"))),
    path("", include(("bidding.urls", "bidding"))),
    path("", include("opendata.urls")),
    path("admin/", admin.site.urls),
    path("suppliers/", include("suppliers.urls")),
]

handler400 = "marketplace.rest.bad_request"
handler403 = "marketplace.rest.permission_denied"
handler404 = "marketplace.rest.page_not_found"
handler500 = "marketplace.rest.server_error"
