"""Pages of search results whose cost does not grow with the number of matches.

Counting every match of a broad search costs as much as reading them all; beyond the first
`RESULTS_LIMIT` a person refines the search rather than paging on (GitHub's search stops at
1,000 results the same way). The count says "at least 1,000" and deeper pages do not exist.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.response import Response

from marketplace.rest import Pagination

RESULTS_LIMIT = 1000


class SearchPaginator(Paginator):
    @cached_property
    def found(self) -> int:
        """Matches counted up to one past the limit, which is enough to know there are more."""
        # Unordered: the database stops at the limit instead of sorting every match first.
        return self.object_list.order_by()[: RESULTS_LIMIT + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, RESULTS_LIMIT)

    @property
    def limited(self) -> bool:
        return self.found > RESULTS_LIMIT


class SearchPagination(Pagination):
    django_paginator_class = SearchPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_limited"] = self.page.paginator.limited
        return Response(response.data)

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_limited"] = {
            "type": "boolean",
            "description": f"true when more tenders match than `count` says: counting stops at {RESULTS_LIMIT}; refine the search",
        }
        return schema
