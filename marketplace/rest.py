"""API plumbing shared by every app: token authentication, the error shape, pagination.

Kept apart from the views so DRF can import it while it is itself being imported.
"""

import codecs
import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions, pagination, parsers, throttling
from rest_framework.response import Response
from rest_framework.utils import json

from marketplace.auth import client_address
from marketplace.errors import ActionError, TooManyAttempts
from marketplace.models import ApiToken

logger = logging.getLogger(__name__)


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`, with keys created on the profile page or by `issue_token`."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed token header: use 'Token <key>'."))
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = ApiToken.objects.live().select_related("user").filter(digest=ApiToken.digest_of(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s: create a new one on your profile page.") % {"date": token.expires_at.date().isoformat()},
                code="token_expired",
            )
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


# The largest row id the databases hold (a signed 64-bit integer): a larger one in a request is
# refused by its serializer, before a query overflows.
MAX_ROW_NUMBER = 2**63 - 1

# No document of the API nests anywhere near this deep (a bid is four levels); Python's parser
# raises RecursionError at about a thousand, which must not become a server error.
MAX_JSON_DEPTH = 64


class TooDeep(exceptions.ParseError):
    default_code = "too_deep"


def _depth_within(document, limit: int) -> bool:
    """Whether no list or object in the parsed document is nested more than `limit` levels
    (walked with a stack of its own, so a deep document cannot exhaust Python's)."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return False
        pending.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return True


class JSONParser(parsers.JSONParser):
    """DRF's parser, with the nesting bounded: too deep a document is a 400 in the error shape."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        too_deep = TooDeep(_("The JSON document nests deeper than %(n)s levels.") % {"n": MAX_JSON_DEPTH})
        try:
            document = json.load(codecs.getreader(encoding)(stream), parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise too_deep from None
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
        if not _depth_within(document, MAX_JSON_DEPTH):
            raise too_deep
        return document


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def _flatten(detail, field: str | None = None) -> list[dict]:
    if isinstance(detail, dict):
        problems = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else (f"{field}.{key}" if field else str(key))
            problems.extend(_flatten(value, name if key not in ("non_field_errors", "detail") else field))
        return problems
    if isinstance(detail, list):
        problems = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            problems.extend(_flatten(value, f"{field}.{index}" if nested and field else field))
        return problems
    return [{"field": field, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def exception_handler(exc, context):
    """Every API error has the shape `{"errors": [{"field", "code", "message"}]}`."""
    if isinstance(exc, ActionError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        return Response({"errors": [p.as_dict() for p in exc.problems]}, status=exc.status, headers=headers)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database went away (or refused) mid-request. An action whose commit might have
        # gone through unseen checks for itself before it lets this through (a bid does).
        logger.error("database unavailable during %s: %s", context["request"].path, exc)
        message = _("The database was unavailable and the request did not complete. Try again in a moment.")
        return Response(
            {"errors": [{"field": None, "code": "database_unavailable", "message": str(message)}]}, status=503, headers={"Retry-After": "5"}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
    else:
        errors = [
            {"field": None, "code": exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code, "message": str(exc.detail)}
        ]
    return Response({"errors": errors}, status=exc.status_code, headers=headers)


class CountingThrottle(throttling.SimpleRateThrottle):
    """A rate counted in the shared cache. When the cache (Redis) cannot be reached, the request
    goes through uncounted and the lapse is logged: the API stays up while Redis is down, and
    the sign-in lock-outs, kept in the database, still hold."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as error:
            logger.warning("throttle %s not counted, the cache is unreachable: %s", self.scope, error)
            return True


class AnonymousThrottle(CountingThrottle):
    """Anonymous API calls, per client address (`API_ANONYMOUS_PER_MINUTE`)."""

    scope = "anonymous"

    def get_rate(self) -> str:
        return f"{settings.API_ANONYMOUS_PER_MINUTE}/min"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "-"}


class TokenThrottle(CountingThrottle):
    """Signed-in API calls, per token, or per person for the pages' session calls (`API_TOKEN_PER_MINUTE`)."""

    scope = "token"

    def get_rate(self) -> str:
        return f"{settings.API_TOKEN_PER_MINUTE}/min"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        ident = f"token-{request.auth.pk}" if isinstance(request.auth, ApiToken) else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.rest.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Token <key>`"}


# Errors Django answers before (or instead of) a view: under /api/ in the error shape, elsewhere
# Django's HTML pages. Installed as the URL configuration's handler400/403/404/500.


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"field": None, "code": code, "message": str(message)}]}, status=status)


def bad_request(request, exception):
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        message = _("The request body is larger than %(n)s bytes.") % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        return _error(413, "too_large", message)
    if isinstance(exception, TooManyFieldsSent):
        message = _("The request has more than %(n)s fields.") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
        return _error(400, "too_many_fields", message)
    if isinstance(exception, TooManyFilesSent):
        message = _("The request has more than %(n)s files.") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        return _error(400, "too_many_files", message)
    return _error(400, "bad_request", _("The request is malformed."))


def permission_denied(request, exception):
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _error(403, "permission_denied", exceptions.PermissionDenied.default_detail)


def page_not_found(request, exception):
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _error(404, "not_found", _("There is no such API route: see /api/v1/schema/."))


def server_error(request):
    if not _is_api(request):
        return defaults.server_error(request)
    return _error(500, "server_error", _("The server failed to answer; the error is logged."))


# The schema's error answers -------------------------------------------------------------
# Every view answers through the same authentication, throttles, parser and error handler, so
# some errors can come from any operation whatever the view declares: a token that is unknown or
# expired (401), a refusal (403: a role, or a form's CSRF check), an unknown object, page or route
# (404), a rate passed (429), and for a request with parameters or a body, malformed input (400);
# a write may also meet a state conflict (409), an oversized body (413), a body of a media type it
# does not read (415) or the rules (422). The
# schema says so, each with the one error shape, so a client (and a schema checker) knows them.
ERROR_SHAPE = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "nullable": True},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        }
    },
}
ANY_CALL = {
    "401": "the token is unknown, revoked or expired",
    "403": "not allowed",
    "404": "no such object, page or route",
    "429": "too many calls; retry after the seconds in Retry-After",
}
WITH_INPUT = {"400": "malformed input"}
WRITES = {
    "409": "the state or a deadline does not allow it",
    "413": "the body is too large",
    "415": "the body's media type is not one the operation reads",
    "422": "the rules refuse it; every problem is listed",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the error answers above, on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Errors"] = ERROR_SHAPE
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            errors = dict(ANY_CALL)
            if operation.get("parameters") or operation.get("requestBody") or method != "get":
                errors |= WITH_INPUT
            if method != "get":
                errors |= WRITES
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.startswith("4") and not response.get("content"):
                    response["content"] = body
    return result
