"""Contract signatures in the API: the platform's root certificate, and checking a signed PDF."""

import dataclasses

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts import authority, signatures
from marketplace.errors import TooLarge

PEM_CHAIN = "application/pem-certificate-chain"  # RFC 8555 §9.1


class PemRenderer(BaseRenderer):
    media_type = PEM_CHAIN
    format = "pem"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class RootCertificateView(APIView):
    """The platform's root certificate, in PEM. Trust it in a PDF reader (or any X.509 tool) and
    the signatures on Tenderhall contracts show as valid."""

    authentication_classes = []
    renderer_classes = [PemRenderer, JSONRenderer]

    @extend_schema(auth=[], responses={(200, PEM_CHAIN): OpenApiResponse(OpenApiTypes.STR, description=_("The root certificate (PEM)."))})
    def get(self, request):
        response = HttpResponse(authority.root_pem(), content_type=PEM_CHAIN)
        response["Content-Disposition"] = 'inline; filename="tenderhall-root.pem"'
        response["Cache-Control"] = "public, max-age=3600"
        return response


class VerifyRequestSerializer(serializers.Serializer):
    document = serializers.FileField(help_text="The signed PDF.")
    signature = serializers.FileField(required=False, help_text="Optionally, a detached CMS signature (.p7s) over the same PDF.")


_signer = inline_serializer(
    "ContractSigner",
    {
        "name": serializers.CharField(),
        "email": serializers.CharField(),
        "organisation": serializers.CharField(),
        "organisation_identifier": serializers.CharField(),
        "country": serializers.CharField(),
        "certificate_serial": serializers.CharField(),
        "certificate_fingerprint": serializers.CharField(),
        "issuer": serializers.CharField(),
    },
    allow_null=True,
)
_verification = inline_serializer(
    "ContractDocumentVerification",
    {
        "sha256": serializers.CharField(),
        "size": serializers.IntegerField(),
        "valid": serializers.BooleanField(help_text="At least one signature, and every signature valid."),
        "signatures": inline_serializer(
            "ContractSignatureCheck",
            {
                "field": serializers.CharField(),
                "valid": serializers.BooleanField(),
                "intact": serializers.BooleanField(),
                "trusted": serializers.BooleanField(),
                "coverage": serializers.ChoiceField(["entire_file", "entire_revision", "partial"]),
                "byte_range": serializers.ListField(child=serializers.IntegerField()),
                "signed_bytes": serializers.IntegerField(),
                "changes_after": serializers.ChoiceField(["none", "signatures", "archival", "other"]),
                "signed_at": serializers.DateTimeField(allow_null=True),
                "signer": _signer,
                "problems": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
        "detached": inline_serializer(
            "DetachedSignatureCheck",
            {
                "intact": serializers.BooleanField(),
                "trust": serializers.ChoiceField(["not_checked"]),
                "signed_at": serializers.DateTimeField(allow_null=True),
                "signer": _signer,
                "problems": serializers.ListField(child=serializers.CharField()),
            },
            allow_null=True,
        ),
    },
)


class VerifyDocumentView(APIView):
    """Anyone may check a signed contract PDF: each signature, valid or not, by whom, when, over
    which bytes, against the platform's root certificate."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": VerifyRequestSerializer}, responses={200: _verification})
    def post(self, request):
        serializer = VerifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = _read(serializer.validated_data["document"], "document")
        result = signatures.verify_pdf(document)
        detached = None
        if "signature" in serializer.validated_data:
            detached = dataclasses.asdict(signatures.verify_detached(document, _read(serializer.validated_data["signature"], "signature")))
        return Response(
            {
                "sha256": result.sha256,
                "size": result.size,
                "valid": result.all_valid,
                "signatures": [dataclasses.asdict(check) for check in result.signatures],
                "detached": detached,
            }
        )


def _read(upload, field: str) -> bytes:
    if upload.size > settings.CONTRACT_DOCUMENT_MAX_BYTES:
        raise TooLarge(
            _("The file is larger than %(limit)s MiB.") % {"limit": settings.CONTRACT_DOCUMENT_MAX_BYTES // (1024 * 1024)}, field=field
        )
    return upload.read()
