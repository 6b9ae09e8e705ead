from marketplace.models.audit import GENESIS_HASH, AppendOnlyError, AuditCheckpoint, AuditEvent, ChainHead, ChainJournal
from marketplace.models.live import LiveEvent, WorkerHeartbeat
from marketplace.models.people import (
    OFFICER_ROLES,
    ROLES_BY_KIND,
    ApiToken,
    Membership,
    Notification,
    Organisation,
    Role,
    User,
)

__all__ = [
    "GENESIS_HASH",
    "OFFICER_ROLES",
    "ROLES_BY_KIND",
    "ApiToken",
    "AppendOnlyError",
    "AuditCheckpoint",
    "AuditEvent",
    "ChainHead",
    "ChainJournal",
    "LiveEvent",
    "Membership",
    "Notification",
    "Organisation",
    "Role",
    "User",
    "WorkerHeartbeat",
]
