"""Access helpers shared by the registry's pages: each returns the object or raises 404/403."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from marketplace import access
from suppliers.models import Licence, Supplier

PAGE_SIZE = 50


def supplier_for(request, pk: int, action: str = "view_supplier") -> Supplier:
    """The firm, if the user may see its record (404 otherwise) and may do `action` (403 otherwise)."""
    supplier = get_object_or_404(Supplier.objects.select_related("organisation"), pk=pk)
    if not access.can(request.user, "view_supplier", supplier):
        raise Http404
    access.require(request.user, action, supplier)
    return supplier


def public_supplier_for(request, pk: int) -> Supplier:
    """The firm's public profile: any firm the registry has verified (debarred and suspended
    firms too: their record is public). Before verification, only those who see its record."""
    supplier = get_object_or_404(Supplier.objects.select_related("organisation"), pk=pk)
    if not supplier.has_public_profile and not access.can(request.user, "view_supplier", supplier):
        raise Http404
    return supplier


def licence_file_response(request, pk: int, licence_id: int) -> FileResponse:
    """Licence files are never served by URL, only through this check: the same 404 whether
    the firm, the licence or the file is missing, or the user may not read it."""
    licence = get_object_or_404(Licence.objects.select_related("supplier"), pk=licence_id, supplier_id=pk)
    if not access.can(request.user, "read_licence_file", licence) or not licence.file:
        raise Http404
    response = FileResponse(licence.file.open("rb"), as_attachment=True, filename=licence.filename or licence.file.name.rsplit("/", 1)[-1])
    response["Content-Type"] = licence.media_type or "application/octet-stream"
    response["Cache-Control"] = "private, no-store"
    return response


def page_of(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def filtered(filterset):
    """The filtered rows; none while a filter value is invalid (its error shows beside it)."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs
