"""What other apps add to a tender's public page and to its API detail.

The bidding app, for one, publishes the envelope keys and the bid button. It registers them in
its `AppConfig.ready()`:

    from tenders import extensions
    extensions.page_sections.append(extensions.PageSection("bidding/tender_envelopes.html", envelope_context))
    extensions.api_fields["envelopes"] = lambda: EnvelopeKeySerializer(many=True, read_only=True, source="envelope_keys")

A page section is included on the tender page after the lots and before the documents, with
the context its function returns for `(request, tender)`; an API field is added to
`GET /api/v1/tenders/<id>/` (and to the OpenAPI schema).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers


@dataclass(frozen=True)
class PageSection:
    template: str
    context: Callable[[Any, Any], dict]


page_sections: list[PageSection] = []
api_fields: dict[str, Callable[[], serializers.Field]] = {}


def sections_for(request, tender) -> list[dict]:
    return [{"template": section.template, "context": section.context(request, tender)} for section in page_sections]
