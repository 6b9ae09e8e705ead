"""The registry's JSON API: the firm's profile, licences and follows; the public directory,
debarment list, licence types and CPV categories."""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, parsers, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import access
from marketplace.models import Organisation, Role
from suppliers import actions, cpv
from suppliers.filters import DebarmentFilter, DirectoryFilter, RegistryFilter
from suppliers.models import Follow, Licence, LicenceType, Supplier, SupplierCategory
from suppliers.views.common import licence_file_response, supplier_for


class CpvSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    parent = serializers.CharField(allow_null=True)


class CategoryListField(serializers.ListField):
    """CPV codes: written as a list of codes, read as codes with their names."""

    child = serializers.CharField(max_length=12)

    def to_representation(self, data):
        return [{"code": c.code, "name": getattr(cpv.get(c.code), "name", "")} for c in data.all()]


extend_schema_field({"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}})(
    CategoryListField
)


class DirectoryEntrySerializer(serializers.ModelSerializer):
    size = serializers.CharField(source="sme_class")
    categories = CategoryListField(read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "legal_name", "country", "size", "website", "categories"]


class DebarmentSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(source="status_reason")

    class Meta:
        model = Supplier
        fields = ["id", "legal_name", "country", "registration_number", "reason", "restricted_from", "restricted_until"]


class SupplierSerializer(serializers.ModelSerializer):
    categories = CategoryListField(required=False)
    turnover_eur = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    headcount = serializers.IntegerField(min_value=0)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "organisation",
            "legal_name",
            "country",
            "registration_number",
            "address",
            "contact_email",
            "contact_phone",
            "website",
            "headcount",
            "turnover_eur",
            "sme_class",
            "size_declared_at",
            "categories",
            "listed_in_directory",
            "status",
            "status_reason",
            "restricted_from",
            "restricted_until",
            "submitted_at",
            "verified_at",
        ]
        read_only_fields = [
            "id",
            "organisation",
            "sme_class",
            "size_declared_at",
            "status",
            "status_reason",
            "restricted_from",
            "restricted_until",
            "submitted_at",
            "verified_at",
        ]
        extra_kwargs = {"registration_number": {"validators": []}, "country": {"validators": []}}


class LicenceSerializer(serializers.ModelSerializer):
    licence_type = serializers.SlugRelatedField(slug_field="code", queryset=LicenceType.objects.all())
    file = serializers.FileField(write_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Licence
        fields = [
            "id",
            "licence_type",
            "number",
            "issuer",
            "valid_from",
            "valid_to",
            "file",
            "filename",
            "media_type",
            "size",
            "sha256",
            "uploaded_at",
            "file_url",
            "status",
            "checked_at",
            "check_reason",
        ]
        read_only_fields = [
            "id",
            "filename",
            "media_type",
            "size",
            "sha256",
            "uploaded_at",
            "file_url",
            "status",
            "checked_at",
            "check_reason",
        ]
        # The action checks the dates and says which field is wrong; the model constraint is its backstop.
        validators = []

    @extend_schema_field(OpenApiTypes.URI)
    def get_file_url(self, licence: Licence) -> str:
        """The download's absolute address, as the schema's `format: uri` promises."""
        return self.context["request"].build_absolute_uri(reverse("api-supplier-licence-file", args=[licence.supplier_id, licence.pk]))


class FollowSerializer(serializers.ModelSerializer):
    buyer = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.AGENCY), required=False, allow_null=True
    )
    description = serializers.CharField(source="describe", read_only=True)

    class Meta:
        model = Follow
        fields = ["id", "kind", "category", "buyer", "keywords", "description", "created_at"]
        read_only_fields = ["id", "description", "created_at"]
        validators = []
        extra_kwargs = {"category": {"validators": []}}


class LicenceTypeSerializer(serializers.ModelSerializer):
    required_for = serializers.SerializerMethodField()

    class Meta:
        model = LicenceType
        fields = ["code", "name", "description", "required_for"]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_required_for(self, licence_type: LicenceType) -> list[str]:
        return sorted(r.category for r in licence_type.requirements.all())


def _with_categories(queryset):
    return queryset.prefetch_related(Prefetch("categories", queryset=SupplierCategory.objects.order_by("code")))


class DirectoryView(generics.ListAPIView):
    """Verified suppliers that chose to be listed: name, country, size, categories."""

    serializer_class = DirectoryEntrySerializer
    filterset_class = DirectoryFilter
    queryset = Supplier.objects.none()

    def get_queryset(self):
        return _with_categories(Supplier.objects.in_directory()).order_by("legal_name")


class DebarmentListView(generics.ListAPIView):
    """Firms debarred today: name, reason and period."""

    serializer_class = DebarmentSerializer
    filterset_class = DebarmentFilter
    queryset = Supplier.objects.none()

    def get_queryset(self):
        return Supplier.objects.debarred_on(timezone.localdate()).order_by("legal_name")


class SupplierListView(generics.ListAPIView):
    """Your firms; registry officers and auditors see every registered firm (the queue's filters apply)."""

    serializer_class = SupplierSerializer
    filterset_class = RegistryFilter
    permission_classes = [permissions.IsAuthenticated]
    queryset = Supplier.objects.none()

    def get_queryset(self):
        firms = _with_categories(Supplier.objects.all()).order_by("submitted_at")
        if access.can(self.request.user, "view_registry_queue"):
            return firms
        return firms.filter(organisation__in=access.organisations_where(self.request.user, Role.SUPPLIER_ADMIN, Role.BIDDER))


class SupplierDetailView(APIView):
    """The firm's record. Its administrators change it with PATCH (identity only before verification)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=SupplierSerializer)
    def get(self, request, pk: int):
        return Response(SupplierSerializer(supplier_for(request, pk)).data)

    @extend_schema(request=SupplierSerializer, responses=SupplierSerializer)
    def patch(self, request, pk: int):
        supplier = supplier_for(request, pk, "edit_supplier")
        serializer = SupplierSerializer(supplier, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = actions.update_supplier_profile(request.user, supplier, serializer.validated_data)
        return Response(SupplierSerializer(updated).data)


class LicenceListView(APIView):
    """The firm's licences. Administrators add one with a multipart POST (the file is checked by content)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(responses=LicenceSerializer(many=True))
    def get(self, request, pk: int):
        supplier = supplier_for(request, pk)
        licences = supplier.licences.select_related("licence_type")
        return Response(LicenceSerializer(licences, many=True, context={"request": request}).data)

    @extend_schema(request={"multipart/form-data": LicenceSerializer}, responses={201: LicenceSerializer})
    def post(self, request, pk: int):
        supplier = supplier_for(request, pk, "manage_supplier_licences")
        serializer = LicenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        licence = actions.add_licence(
            request.user,
            supplier,
            licence_type=data["licence_type"],
            number=data["number"],
            issuer=data["issuer"],
            valid_from=data["valid_from"],
            valid_to=data.get("valid_to"),
            upload=data["file"],
        )
        return Response(LicenceSerializer(licence, context={"request": request}).data, status=status.HTTP_201_CREATED)


class LicenceDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=LicenceSerializer)
    def get(self, request, pk: int, licence_id: int):
        supplier = supplier_for(request, pk)
        licence = get_object_or_404(supplier.licences, pk=licence_id)
        return Response(LicenceSerializer(licence, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int, licence_id: int):
        supplier = supplier_for(request, pk, "manage_supplier_licences")
        actions.remove_licence(request.user, get_object_or_404(supplier.licences, pk=licence_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LicenceCheckSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="required to reject: the firm reads it")


class LicenceCheckView(APIView):
    """A registry officer accepts a licence (it counts for bidding) or refuses it with a reason."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=LicenceCheckSerializer, responses=LicenceSerializer)
    def post(self, request, pk: int, licence_id: int):
        supplier = supplier_for(request, pk, "decide_supplier")
        licence = get_object_or_404(supplier.licences, pk=licence_id)
        data = LicenceCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        checked = actions.check_licence(
            request.user, licence, accept=data.validated_data["decision"] == "accept", reason=data.validated_data.get("reason", "")
        )
        return Response(LicenceSerializer(checked, context={"request": request}).data)


class LicenceFileView(APIView):
    """The licence's file: for the firm, registry officers and agencies it has bid to."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, pk: int, licence_id: int):
        return licence_file_response(request, pk, licence_id)


class FollowListView(APIView):
    """What the firm follows. Administrators and bidders add follows."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=FollowSerializer(many=True))
    def get(self, request, pk: int):
        supplier = supplier_for(request, pk)
        return Response(FollowSerializer(supplier.follows.select_related("buyer"), many=True).data)

    @extend_schema(request=FollowSerializer, responses={201: FollowSerializer})
    def post(self, request, pk: int):
        supplier = supplier_for(request, pk, "manage_supplier_follows")
        serializer = FollowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        follow = actions.add_follow(
            request.user,
            supplier,
            kind=data["kind"],
            category=data.get("category", ""),
            buyer=data.get("buyer"),
            keywords=data.get("keywords", ""),
        )
        return Response(FollowSerializer(follow).data, status=status.HTTP_201_CREATED)


class FollowDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int, follow_id: int):
        supplier = supplier_for(request, pk, "manage_supplier_follows")
        actions.remove_follow(request.user, get_object_or_404(supplier.follows, pk=follow_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LicenceTypeListView(generics.ListAPIView):
    """Licence types and the CPV categories for which each is required to bid."""

    serializer_class = LicenceTypeSerializer
    queryset = LicenceType.objects.prefetch_related("requirements").order_by("name")
    filter_backends = []


def _cpv_row(entry: cpv.CpvCode) -> dict:
    return {"code": entry.code, "name": entry.name, "level": entry.level, "parent": entry.parent}


class CpvSearchView(generics.ListAPIView):
    """Search CPV 2008 by code prefix or by words of the name."""

    serializer_class = CpvSerializer
    filter_backends = []

    def get_queryset(self):
        return [_cpv_row(entry) for entry in cpv.search(self.request.query_params.get("q", ""), limit=1000)]

    @extend_schema(
        operation_id="cpv_search", parameters=[OpenApiParameter("q", str, description="A code prefix (45 or 4521) or words of the name")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CpvDetailSerializer(CpvSerializer):
    ancestors = CpvSerializer(many=True)
    children = CpvSerializer(many=True)


class CpvDetailView(APIView):
    """One CPV code with its ancestors (from the division down) and its children."""

    @extend_schema(responses=CpvDetailSerializer)
    def get(self, request, code: str):
        entry = cpv.get(code)
        if entry is None:
            raise Http404
        return Response(
            _cpv_row(entry)
            | {"ancestors": [_cpv_row(a) for a in cpv.ancestors(entry.code)], "children": [_cpv_row(c) for c in cpv.children(entry.code)]}
        )
