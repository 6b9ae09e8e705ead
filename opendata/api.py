"""Open data in the API, public and read-only: each release as a release package, each
contracting process as a record package, the change feed of every release in commit order, and
the red flags with their definitions."""

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.rest import MAX_ROW_NUMBER
from opendata import export, packages, queries, redflags
from opendata.filters import RedFlagFilter
from opendata.models import RedFlag

FEED_LIMIT = 1000

_release_package = OpenApiResponse(OpenApiTypes.OBJECT, description=_("An OCDS 1.1 release package."))
_not_found = OpenApiResponse(description=_("No such release or record, in the error shape."))


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, max_value=MAX_ROW_NUMBER, default=0, help_text="the cursor: the feed position of the last release read"
    )
    limit = serializers.IntegerField(min_value=1, max_value=FEED_LIMIT, default=100, help_text=f"at most {FEED_LIMIT}")


class ReleaseFeedView(APIView):
    """Every release, oldest first, in the order their changes committed. Follow `links.next`
    from the start (or from a cursor you kept) and you receive every release exactly once:
    a release that commits late never lands behind a cursor already handed out. The last page
    links to itself moved to its end; an empty page links to itself: poll it."""

    @extend_schema(
        operation_id="ocds_releases_list",
        auth=[],
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="feed position to read after (0: from the start)"),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"releases per page, 1 to {FEED_LIMIT} (default 100)"),
        ],
        responses={200: _release_package},
    )
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        releases = queries.feed_after(after, limit)
        cursor = releases[-1].position if releases else after
        package = packages.release_package(releases, uri=request.build_absolute_uri())
        path = request.build_absolute_uri(request.path)
        return Response(package | {"links": {"next": f"{path}?after={cursor}&limit={limit}"}})


class ReleaseView(APIView):
    """One release, in a release package of its own. Releases never change."""

    @extend_schema(operation_id="ocds_release_retrieve", auth=[], responses={200: _release_package, 404: _not_found})
    def get(self, request, release_id: str):
        release = queries.release_or_404(release_id)
        return Response(packages.release_package([release], uri=request.build_absolute_uri()))


class RecordView(APIView):
    """The record of one contracting process: its releases (linked, in order), the compiled
    release (its current state) and the versioned release (every field's history)."""

    @extend_schema(
        operation_id="ocds_record_retrieve",
        auth=[],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=_("An OCDS 1.1 record package.")), 404: _not_found},
    )
    def get(self, request, ocid: str):
        releases = queries.record_releases_or_404(ocid)
        return Response(packages.record_package(ocid, releases, uri=request.build_absolute_uri()))


class RecordExportView(APIView):
    """Every record (its linked releases and compiled release), one JSON line each, gzip
    compressed and streamed: `curl …/records.jsonl.gz | gunzip`."""

    @extend_schema(
        operation_id="ocds_records_export",
        auth=[],
        responses={(200, "application/gzip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("Every record as gzip JSON lines."))},
    )
    def get(self, request):
        response = StreamingHttpResponse(export.gzipped(export.record_lines()), content_type="application/gzip")
        response["Content-Disposition"] = 'attachment; filename="records.jsonl.gz"'
        return response


class RedFlagSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="tender.reference", read_only=True, help_text="the tender's reference")
    buyer = serializers.IntegerField(source="tender.buyer_id", read_only=True, help_text="the buyer's organisation id")
    title = serializers.SerializerMethodField(help_text="the flag's title")
    figures = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="what the flag measured, per lot")

    class Meta:
        model = RedFlag
        fields = ["tender", "reference", "buyer", "code", "title", "status", "reason", "figures", "computed_at"]
        read_only_fields = fields

    def get_title(self, row: RedFlag) -> str:
        flag = redflags.BY_CODE.get(row.code)
        return str(flag.title) if flag else row.code


class RedFlagDefinitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField()
    source = serializers.CharField(help_text='"Cardinal" or "prozorro-risks"')
    rule = serializers.CharField(help_text="the source's id of the rule")
    threshold = serializers.CharField()
    computed = serializers.CharField(help_text="the events that compute it")


@extend_schema_view(get=extend_schema(operation_id="red_flags_list", auth=[]))
class RedFlagListView(generics.ListAPIView):
    """Red flags of public tenders, newest first: each flag's status (`raised`, `clear`,
    `not_enough_data`) and its reason in plain words. A flag whose data is not public yet (bids
    before the opening or the award notice) has no row."""

    serializer_class = RedFlagSerializer
    filterset_class = RedFlagFilter

    def get_queryset(self):
        return queries.public_red_flags()


class RedFlagDefinitionsView(APIView):
    """Every red flag: its definition, threshold and source."""

    @extend_schema(operation_id="red_flags_definitions", auth=[], responses={200: RedFlagDefinitionSerializer(many=True)})
    def get(self, request):
        return Response(RedFlagDefinitionSerializer(redflags.FLAGS, many=True).data)
