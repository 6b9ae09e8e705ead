"""Every state-changing use case of tenders, one function each, owning its transaction.

Split by concept: drafting (`drafts`), the life after publication (`lifecycle`), questions
and answers (`clarifications`), documents (`documents`).
"""

from tenders.actions.clarifications import answer_question, ask_question, follow_tender, publish_clarification, unfollow_tender
from tenders.actions.documents import upload_document
from tenders.actions.drafts import CriterionSpec, DraftSpec, ItemSpec, LotSpec, create_draft, discard_draft, update_draft
from tenders.actions.lifecycle import amend_tender, cancel_tender, close_tender, complete_tender, publish_tender

__all__ = [
    "CriterionSpec",
    "DraftSpec",
    "ItemSpec",
    "LotSpec",
    "amend_tender",
    "answer_question",
    "ask_question",
    "cancel_tender",
    "close_tender",
    "complete_tender",
    "create_draft",
    "discard_draft",
    "follow_tender",
    "publish_clarification",
    "publish_tender",
    "unfollow_tender",
    "update_draft",
    "upload_document",
]
