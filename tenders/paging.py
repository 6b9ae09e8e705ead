"""Pages of search results whose cost does not grow with the number of matches.

Counting every match of a broad search costs as much as reading them all; beyond the first
`RESULTS_LIMIT` a person refines the search rather than paging on (GitHub's search stops at
1,000 results the same way). The count says "at least 1,000" and deeper pages do not exist.
"""

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework.response import Response

from marketplace.rest import Pagination
from tenders import search_order

RESULTS_LIMIT = 1000
# Up to this many matches the page is read by sorting them all, which costs no more than
# reading that many rows; beyond, it is read in recency slices (tenders/search_order.py).
SORTED_UP_TO = RESULTS_LIMIT


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

    def page(self, number):
        """As Django's, but a newest-first search reads only the recency slices that hold the
        page (tenders/search_order.py): the same rows in the same order."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if self.found > SORTED_UP_TO and search_order.is_marked(rows):
            rows = search_order.first_rows(rows, top, timezone.now())
        return self._get_page(rows[bottom:top], number, self)


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
