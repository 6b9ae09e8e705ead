"""Reading tenders for pages and the API: one place that finds a tender for a person (or says
404/403), and the prefetches that keep every page to a fixed number of queries."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404

from marketplace import access
from marketplace.models import Organisation, Role
from tenders.models import Clarification, Document, DocumentVersion, Item, Lot, Tender, TenderCustodian

# The largest value a 64-bit primary key (or a lot number) can hold.
MAX_ROW_NUMBER = 2**63 - 1


def whole_number(value) -> int | None:
    """A row id or lot number typed by a person, or None. `str.isdigit` alone lets "²" through
    (and `int("²")` raises), and an unbounded number overflows the database's integer."""
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ROW_NUMBER else None


def detail_queryset():
    versions = DocumentVersion.objects.select_related("document").order_by("-version")
    return Tender.objects.select_related("buyer").prefetch_related(
        Prefetch(
            "lots",
            queryset=Lot.objects.order_by("number").prefetch_related(Prefetch("items", queryset=Item.objects.order_by("position", "pk"))),
        ),
        "criteria",
        Prefetch("documents", queryset=Document.objects.prefetch_related(Prefetch("versions", queryset=versions))),
        Prefetch("clarifications", queryset=Clarification.objects.order_by("number", "asked_at", "pk")),
        "amendments",
        Prefetch("custodian_seats", queryset=TenderCustodian.objects.select_related("user")),
        "required_licence_types",
    )


def tender_for(user, pk: int, action: str | None = None, queryset=None) -> Tender:
    """The tender if the person may see it (else 404, so drafts stay unknown), and may do
    `action` on it (else 403)."""
    tender = (queryset if queryset is not None else Tender.objects.select_related("buyer")).filter(pk=pk).first()
    if tender is None or not access.can(user, "view_tender", tender):
        raise Http404
    if action is not None and not access.can(user, action, tender):
        raise PermissionDenied(action)
    return tender


def document_version_for(user, pk: int, version_id: int) -> DocumentVersion:
    """A version of one of the tender's documents, if the person may see the tender and the
    version exists (else 404) and may download the document (else 403)."""
    tender = tender_for(user, pk)
    version = DocumentVersion.objects.select_related("document__tender").filter(pk=version_id, document__tender=tender).first()
    if version is None:
        raise Http404
    access.require(user, "download_document", version.document)
    return version


def clarification_for(user, pk: int, *, manage: bool = False) -> Clarification:
    """The clarification if the person may see it (else 404) and, with `manage`, answer it (else 403)."""
    clarification = Clarification.objects.select_related("tender__buyer").filter(pk=pk).first()
    if clarification is None or not access.can(user, "view_clarification", clarification):
        raise Http404
    if manage and not access.can(user, "manage_tender", clarification.tender):
        raise PermissionDenied("manage_tender")
    return clarification


def officer_agencies(user) -> list[Organisation]:
    return [o for o in access.organisations_where(user, Role.PROCUREMENT_OFFICER) if o.kind == Organisation.Kind.AGENCY]


def questions_seen_by(user, tender: Tender) -> list[Clarification]:
    """Unanswered questions: all of them for the agency, a firm's own for its members."""
    asked = Clarification.objects.filter(tender=tender, status=Clarification.Status.ASKED).order_by("asked_at", "pk")
    if access.can(user, "manage_tender", tender):
        return list(asked.select_related("asker_organisation"))
    firms = [o.pk for o in access.organisations_where(user)]
    return list(asked.filter(asker_organisation__in=firms))


def workspace_tenders(agencies: list[Organisation]):
    """The agencies' tenders with what the workspace needs to say what needs action."""
    return (
        Tender.objects.filter(buyer__in=agencies)
        .select_related("buyer")
        .annotate(waiting_questions=Count("clarifications", filter=Q(clarifications__status=Clarification.Status.ASKED)))
        .defer("search_document", "description")
        .order_by("submission_deadline", "-created_at")
    )
