"""ISO 4217 currencies (the OCDS currency codelist, shipped in `marketplace/data`)."""

import csv
import functools
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DATA_FILE = Path(__file__).resolve().parent / "data" / "currency.csv"


@functools.cache
def currencies() -> dict[str, str]:
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        # Withdrawn currencies (with a "Valid Until" date) are not accepted for new tenders.
        return {row["Code"]: row["Title"] for row in csv.DictReader(f) if not row["Valid Until"]}


def is_known(code: str) -> bool:
    return code in currencies()


def validate_currency(value: str) -> None:
    if not is_known(value):
        raise ValidationError(_("%(code)s is not an ISO 4217 currency code."), code="unknown_currency", params={"code": value})


def choices() -> list[tuple[str, str]]:
    return sorted((code, f"{code} — {title}") for code, title in currencies().items())
