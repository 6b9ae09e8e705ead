"""Helpers shared by the tender actions: the row lock, the followers, the messages they get."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from marketplace.access import FIRM_ROLES
from marketplace.errors import Problem
from marketplace.models import Role, User
from tenders.models import Tender, TenderFollower


def lock(tender: Tender | int) -> Tender:
    """The tender, re-read under a row lock held until the transaction ends."""
    pk = tender.pk if isinstance(tender, Tender) else tender
    return Tender.objects.select_for_update().select_related("buyer").get(pk=pk)


def tender_path(tender: Tender) -> str:
    return reverse("tenders:detail", args=[tender.pk])


def follower_users(tender: Tender) -> list[User]:
    """Active members (admins and bidders) of every firm following the tender."""
    firms = TenderFollower.objects.filter(tender=tender).values("organisation_id")
    return list(User.objects.with_membership(*FIRM_ROLES, organisation=firms))


def buyer_officers(tender: Tender) -> list[User]:
    return list(User.objects.with_membership(Role.PROCUREMENT_OFFICER, organisation=tender.buyer_id))


def platform_language():
    """Notifications are written once for many readers: compose them inside this block, in the
    platform's language rather than in the language of whoever's request caused them."""
    return translation.override(settings.LANGUAGE_CODE)


def model_problems(obj, *, exclude: list[str], prefix: str = "") -> list[Problem]:
    """The model's own field checks (validators, choices, blanks) as problems named by field."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            Problem(" ".join(message for e in errors for message in e.messages), errors[0].code or "invalid", prefix + name)
            for name, errors in error.error_dict.items()
        ]
    return []
