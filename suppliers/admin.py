from django.contrib import admin

from marketplace.admin import AuditedAdmin
from suppliers.models import LicenceRequirement, LicenceType, Supplier


class LicenceRequirementInline(admin.TabularInline):
    model = LicenceRequirement
    extra = 0


@admin.register(LicenceType)
class LicenceTypeAdmin(AuditedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    inlines = [LicenceRequirementInline]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    """Read-only: the registry decides through its own pages, which write the audit chain."""

    list_display = ["legal_name", "country", "registration_number", "sme_class", "status", "submitted_at"]
    list_filter = ["status", "sme_class", "country"]
    search_fields = ["legal_name", "registration_number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
