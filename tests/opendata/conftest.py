# The path from sealed bids to a signed contract is the evaluation and contract tests' own.
from tests.evaluation.conftest import (  # noqa: F401
    api_as,
    deadline,
    evaluators,
    firms,
    short_response_times,
    supplier_c,
    supplier_org_c,
)
