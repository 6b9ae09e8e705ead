from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.urls import path
from django.utils.translation import gettext_lazy as _

from marketplace import audit
from marketplace.models import ApiToken, AuditEvent, LiveEvent, Membership, Notification, Organisation, User, WorkerHeartbeat


class AuditedAdmin(admin.ModelAdmin):
    """Changes made by platform staff in the admin are recorded in the audit chain too."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                f"admin.{'changed' if change else 'added'}",
                actor=request.user,
                obj=obj,
                payload={"fields": sorted(form.changed_data)},
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record("admin.deleted", actor=request.user, obj=obj, payload={"repr": str(obj)})
            super().delete_model(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    filter_horizontal = []


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "code", "country"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation__kind"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ListOnlyAdmin(ReadOnlyAdmin):
    """Rows as a list only, for the logs whose rows about sealed bids are hidden before the
    deadline (`bidding.admin`): nothing here may number the rows (no sequence number, no id, and
    no page per row, whose address would be its id), or a hidden row would show as a gap."""

    list_display_links = None
    actions = None

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("", self.admin_site.admin_view(self.changelist_view), name="{}_{}_changelist".format(*info))]


@admin.register(AuditEvent)
class AuditEventAdmin(ListOnlyAdmin):
    """The events, without their hashes (nothing to search for either). The chain itself is
    checked with `verify_audit`."""

    list_display = ["created_at", "action", "actor", "organisation", "object_type", "object_id", "ip", "payload"]
    list_filter = ["action"]
    search_fields = ["action", "object_id"]


@admin.register(LiveEvent)
class LiveEventAdmin(ListOnlyAdmin):
    """The live events, without their numbers on each subject (a hidden one would be a gap)."""

    list_display = ["created_at", "subject", "kind"]
    search_fields = ["subject"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    # When a bidder last used a token would tell staff that a bid was being submitted: the
    # last use is shown to the token's owner only, on the profile page.
    list_display = ["user", "name", "hint", "created_at", "revoked_at"]
    exclude = ["last_used_at"]


admin.site.register(Notification, ReadOnlyAdmin)
admin.site.register(WorkerHeartbeat, ReadOnlyAdmin)
admin.site.site_header = _("Tenderhall administration")
