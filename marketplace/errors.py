"""Errors that actions raise when the rules refuse a request.

Views turn them into messages beside the form; the API turns them into the DESIGN.md shape
`{"errors": [{"field", "code", "message"}]}` with the status code each class carries.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    code: str = "invalid"
    field: str | None = None
    # Where the person can put it right, for a page to link to (not part of the API's error shape).
    url: str = ""
    url_label: str = ""

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class ActionError(Exception):
    """A valid request that the rules refuse (HTTP 422)."""

    status = 422
    default_code = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None, problems: list[Problem] | None = None):
        self.problems = problems or [Problem(message, code or self.default_code, field)]
        super().__init__("; ".join(str(p.message) for p in self.problems))

    @property
    def message(self) -> str:
        return str(self)


class Conflict(ActionError):
    """The object is not in a state that allows this (HTTP 409): a late bid, a closed tender."""

    status = 409
    default_code = "conflict"


class Forbidden(ActionError):
    """The actor may not do this, and may know why (HTTP 403)."""

    status = 403
    default_code = "forbidden"


class TooLarge(ActionError):
    """The upload is over the size limit (HTTP 413)."""

    status = 413
    default_code = "too_large"


class StorageFull(ActionError):
    """The file store has no room left (HTTP 507): nothing was kept, the same upload can be retried later."""

    status = 507
    default_code = "storage_full"


class TooManyAttempts(ActionError):
    """Too many wrong tries in a row: the actor must wait `retry_after` seconds (HTTP 429)."""

    status = 429
    default_code = "throttled"

    def __init__(self, message: str = "", *, retry_after: int = 1, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)
