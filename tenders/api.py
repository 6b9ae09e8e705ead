"""`/api/v1/tenders/`: the public search and detail; drafting, publication, amendment,
cancellation, documents and clarifications for the buyer's officers; questions for suppliers."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import access
from marketplace.errors import ActionError, Problem
from marketplace.models import Organisation, User
from suppliers.models import LicenceType
from tenders import actions, queries, serializers
from tenders.actions.drafts import DRAFT_FIELDS
from tenders.filters import TenderFilter, public_listing
from tenders.models import Document, DocumentVersion, Tender
from tenders.paging import SearchPagination

ERRORS = {
    status.HTTP_400_BAD_REQUEST: OpenApiResponse(description="malformed input"),
    status.HTTP_403_FORBIDDEN: OpenApiResponse(description="not allowed"),
    status.HTTP_404_NOT_FOUND: OpenApiResponse(description="no such tender (or a draft of another agency)"),
    status.HTTP_409_CONFLICT: OpenApiResponse(description="the tender's state or deadline does not allow it"),
    status.HTTP_422_UNPROCESSABLE_ENTITY: OpenApiResponse(description="the rules refuse it; every problem is listed"),
}


def detail(request, tender: Tender, *, prefetched: bool = False) -> Response:
    if not prefetched:
        tender = queries.detail_queryset().get(pk=tender.pk)
    serializer_class = (
        serializers.DraftDetailSerializer if access.can(request.user, "manage_tender", tender) else serializers.TenderDetailSerializer
    )
    return Response(serializer_class(tender, context={"request": request, "now": timezone.now()}).data)


class TenderListView(generics.ListCreateAPIView):
    """Search published tenders (no sign-in needed); officers create drafts with `POST`."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = TenderFilter
    pagination_class = SearchPagination
    serializer_class = serializers.TenderSummarySerializer

    def get_queryset(self):
        return public_listing()

    def get_serializer_context(self):
        return super().get_serializer_context() | {"now": timezone.now()}

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=serializers.TenderWriteSerializer, responses={201: serializers.DraftDetailSerializer, **ERRORS})
    def post(self, request):
        access.require(request.user, "author_tenders")
        data = _valid(serializers.TenderWriteSerializer, request.data)
        buyer = _buyer(request.user, data.pop("buyer", None))
        tender = actions.create_draft(request.user, buyer, draft_spec(data, buyer))
        response = detail(request, tender)
        response.status_code = status.HTTP_201_CREATED
        return response


class TenderDetailView(APIView):
    """A tender: public once published; a draft only to its agency's officers."""

    @extend_schema(responses={200: serializers.TenderDetailSerializer, 404: ERRORS[404]})
    def get(self, request, pk: int):
        return detail(request, queries.tender_for(request.user, pk, queryset=queries.detail_queryset()), prefetched=True)

    @extend_schema(request=serializers.TenderWriteSerializer, responses={200: serializers.DraftDetailSerializer, **ERRORS})
    def patch(self, request, pk: int):
        tender = queries.tender_for(request.user, pk, "manage_tender")
        data = _valid(serializers.TenderWriteSerializer, request.data, partial=True)
        data.pop("buyer", None)
        return detail(request, actions.update_draft(request.user, tender, draft_spec(data, tender.buyer, tender)))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, pk: int):
        """Discard a draft (a published tender is cancelled instead)."""
        actions.discard_draft(request.user, queries.tender_for(request.user, pk, "manage_tender"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublishView(APIView):
    @extend_schema(request=None, responses={200: serializers.DraftDetailSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Publish a draft; 422 lists every problem at once and nothing changes."""
        tender = queries.tender_for(request.user, pk, "manage_tender")
        return detail(request, actions.publish_tender(request.user, tender))


class AmendView(APIView):
    @extend_schema(request=serializers.AmendmentWriteSerializer, responses={201: serializers.AmendmentSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Amend a published tender before its deadline (409 after it)."""
        tender = queries.tender_for(request.user, pk, "manage_tender")
        raw_changes = request.data.get("changes") if isinstance(request.data, dict) else None
        unknown = (
            sorted(set(raw_changes or {}) - set(serializers.AmendableFieldsSerializer().fields)) if isinstance(raw_changes, dict) else []
        )
        if unknown:
            raise ActionError(
                problems=[Problem(_("This field cannot be amended."), "not_amendable", f"changes.{name}") for name in unknown]
            )
        data = _valid(serializers.AmendmentWriteSerializer, request.data)
        lot_changes = {lot.pop("number"): lot for lot in data["lots"]}
        amendment = actions.amend_tender(request.user, tender, reason=data["reason"], changes=data["changes"], lot_changes=lot_changes)
        return Response(serializers.AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED)


class CancelView(APIView):
    @extend_schema(request=serializers.ReasonSerializer, responses={200: serializers.TenderDetailSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Cancel a published or closed tender (before the opening), with a public reason."""
        tender = queries.tender_for(request.user, pk, "manage_tender")
        data = _valid(serializers.ReasonSerializer, request.data)
        return detail(request, actions.cancel_tender(request.user, tender, reason=data["reason"]))


class QuestionsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: serializers.QuestionSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk: int):
        """Unanswered questions: all of them for the agency's officers, your firm's own for suppliers."""
        tender = queries.tender_for(request.user, pk)
        return Response(serializers.QuestionSerializer(queries.questions_seen_by(request.user, tender), many=True).data)

    @extend_schema(request=serializers.QuestionWriteSerializer, responses={201: serializers.QuestionSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Ask a question (verified suppliers, until the clarification deadline)."""
        tender = queries.tender_for(request.user, pk, "ask_question")
        data = _valid(serializers.QuestionWriteSerializer, request.data)
        firm = _organisation(data.get("organisation"))
        clarification = actions.ask_question(request.user, tender, question=data["question"], organisation=firm)
        return Response(serializers.QuestionSerializer(clarification).data, status=status.HTTP_201_CREATED)


class ClarificationsView(APIView):
    @extend_schema(request=serializers.ClarificationWriteSerializer, responses={201: serializers.ClarificationSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Publish a clarification on the agency's own initiative."""
        tender = queries.tender_for(request.user, pk, "manage_tender")
        data = _valid(serializers.ClarificationWriteSerializer, request.data)
        clarification = actions.publish_clarification(request.user, tender, question=data["question"], answer=data["answer"])
        return Response(serializers.ClarificationSerializer(clarification).data, status=status.HTTP_201_CREATED)


class AnswerView(APIView):
    @extend_schema(request=serializers.AnswerWriteSerializer, responses={200: serializers.ClarificationSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Answer a question; the answer is published to everyone without the asker's name."""
        clarification = queries.clarification_for(request.user, pk, manage=True)
        data = _valid(serializers.AnswerWriteSerializer, request.data)
        clarification = actions.answer_question(request.user, clarification, answer=data["answer"], question=data.get("question"))
        return Response(serializers.ClarificationSerializer(clarification).data)


class DocumentsView(APIView):
    @extend_schema(
        request={"multipart/form-data": serializers.DocumentUploadSerializer},
        responses={201: serializers.DocumentVersionSerializer, 413: OpenApiResponse(description="over the size limit"), **ERRORS},
    )
    def post(self, request, pk: int):
        """Upload a document or a new version of one (an amendment once published)."""
        tender = queries.tender_for(request.user, pk, "manage_tender")
        data = _valid(serializers.DocumentUploadSerializer, request.data)
        document = get_object_or_404(Document, pk=data["document"], tender=tender) if data.get("document") else None
        version = actions.upload_document(
            request.user,
            tender,
            data["file"],
            title=data["title"],
            document=document,
            document_type=data["document_type"],
            reason=data["reason"],
        )
        return Response(serializers.DocumentVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class DocumentFileView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="the file"), 404: ERRORS[404]})
    def get(self, request, pk: int, version_id: int):
        """Download one version of a document (every version stays available)."""
        return document_response(queries.document_version_for(request.user, pk, version_id))


class FollowView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=serializers.TenderFollowSerializer, responses={200: serializers.TenderFollowSerializer, **ERRORS})
    def post(self, request, pk: int):
        """Follow the tender for your firm: its members hear of answers, amendments and cancellation."""
        tender = queries.tender_for(request.user, pk, "follow_tender")
        data = _valid(serializers.TenderFollowSerializer, request.data)
        actions.follow_tender(request.user, tender, _organisation(data.get("organisation")))
        return Response({"following": True})

    @extend_schema(request=serializers.TenderFollowSerializer, responses={200: serializers.TenderFollowSerializer, **ERRORS})
    def delete(self, request, pk: int):
        tender = queries.tender_for(request.user, pk, "follow_tender")
        data = _valid(serializers.TenderFollowSerializer, request.data)
        actions.unfollow_tender(request.user, tender, _organisation(data.get("organisation")))
        return Response({"following": False})


def document_response(version: DocumentVersion) -> FileResponse:
    response = FileResponse(version.file.open("rb"), as_attachment=True, filename=version.filename, content_type=version.media_type)
    response["X-Content-SHA256"] = version.sha256
    return response


def draft_spec(data: dict, buyer: Organisation, tender: Tender | None = None) -> actions.DraftSpec:
    """The API's draft as the action's spec; unknown custodians or licence types are problems (422)."""
    problems: list[Problem] = []
    spec = actions.DraftSpec(fields={k: v for k, v in data.items() if k in DRAFT_FIELDS})
    divided = data.get("divided_into_lots", tender.divided_into_lots if tender else False)
    if "lots" in data:
        spec.lots = [
            actions.LotSpec(**{k: v for k, v in lot.items() if k != "items"}, items=[actions.ItemSpec(**item) for item in lot["items"]])
            for lot in data["lots"]
        ]
    elif "items" in data:
        if divided:
            problems.append(Problem(_("A tender divided into lots takes its items in its lots."), "lots", "items"))
        else:
            current = tender.lots.filter(number=1).first() if tender else None
            sme_reserved = current.sme_reserved if current else False
            spec.lots = [actions.LotSpec(sme_reserved=sme_reserved, items=[actions.ItemSpec(**item) for item in data["items"]])]
    if "criteria" in data:
        spec.criteria = [actions.CriterionSpec(**criterion) for criterion in data["criteria"]]
    if "custodians" in data:
        people = {u.email.lower(): u for u in User.objects.filter(email__in=[e.lower() for e in data["custodians"]])}
        spec.custodians = []
        for index, email in enumerate(data["custodians"]):
            if email.lower() in people:
                spec.custodians.append(people[email.lower()])
            else:
                problems.append(
                    Problem(_("Nobody has the e-mail address %(email)s.") % {"email": email}, "unknown_person", f"custodians.{index}")
                )
    if "required_licence_types" in data:
        types = {t.code: t for t in LicenceType.objects.filter(code__in=data["required_licence_types"])}
        spec.licence_types = [types[code] for code in data["required_licence_types"] if code in types]
        problems += [
            Problem(_("There is no licence type %(code)s.") % {"code": code}, "unknown_licence_type", f"required_licence_types.{index}")
            for index, code in enumerate(data["required_licence_types"])
            if code not in types
        ]
    if problems:
        raise ActionError(problems=problems)
    return spec


def _valid(serializer_class, data, partial: bool = False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _buyer(user, buyer_id: int | None) -> Organisation:
    agencies = queries.officer_agencies(user)
    if buyer_id is None:
        if len(agencies) != 1:
            raise ActionError(_("You are an officer of several agencies: say which one buys."), code="required", field="buyer")
        return agencies[0]
    buyer = next((a for a in agencies if a.pk == buyer_id), None)
    if buyer is None:
        raise PermissionDenied("author_tenders")
    return buyer


def _organisation(organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    return get_object_or_404(Organisation, pk=organisation_id)
