"""Company registration numbers, checked for the firm's country where python-stdnum knows the scheme.

A number is stored in its compact form (no spaces or separators), which is what uniqueness per
country is decided on: "IE 6388047V" and "IE6388047V" are the same firm.
"""

import re
from dataclasses import dataclass
from types import ModuleType

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.au import abn
from stdnum.ca import bn
from stdnum.ch import uid
from stdnum.cn import uscc
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.jp import cn as jp_cn
from stdnum.kr import brn
from stdnum.no import orgnr
from stdnum.sg import uen
from stdnum.us import ein

# EU member states by ISO 3166 code; VAT numbers carry the prefix of the VAT system (Greece: EL).
EU_VAT_PREFIX = {
    **{
        cc: cc
        for cc in [
            "AT",
            "BE",
            "BG",
            "CY",
            "CZ",
            "DE",
            "DK",
            "EE",
            "ES",
            "FI",
            "FR",
            "HR",
            "HU",
            "IE",
            "IT",
            "LT",
            "LU",
            "LV",
            "MT",
            "NL",
            "PL",
            "PT",
            "RO",
            "SE",
            "SI",
            "SK",
        ]
    },
    "GR": "EL",
}


class InvalidRegistrationNumber(ValueError):
    """The number does not follow the country's scheme; the message says how."""


@dataclass(frozen=True)
class Scheme:
    name: Promise
    module: ModuleType
    example: str

    def compact(self, country: str, value: str) -> str:
        return self.module.compact(value)


@dataclass(frozen=True)
class EuVatScheme(Scheme):
    def compact(self, country: str, value: str) -> str:
        # Firms often leave out their own country's prefix.
        value = re.sub(r"[\s.\-/]", "", value).upper()
        return eu_vat.compact(value if value[:2].isalpha() else EU_VAT_PREFIX[country] + value)


SCHEMES: dict[str, Scheme] = {
    "CN": Scheme(_("Unified social credit code"), uscc, "91110000600037341L"),
    "US": Scheme(_("Employer Identification Number (EIN)"), ein, "04-2103594"),
    "GB": Scheme(_("UK VAT registration number"), gb_vat, "GB980780684"),
    "AU": Scheme(_("Australian Business Number (ABN)"), abn, "83 914 571 673"),
    "CA": Scheme(_("Business Number (BN)"), bn, "123456782"),
    "CH": Scheme(_("Business identification number (UID)"), uid, "CHE-100.155.212"),
    "JP": Scheme(_("Corporate number"), jp_cn, "5835678256246"),
    "KR": Scheme(_("Business registration number"), brn, "134-86-72683"),
    "NO": Scheme(_("Organisation number"), orgnr, "988 077 917"),
    "SG": Scheme(_("Unique Entity Number (UEN)"), uen, "00192200M"),
    **{cc: EuVatScheme(_("EU VAT identification number"), eu_vat, "IE6388047V") for cc in EU_VAT_PREFIX},
}


def scheme_for(country: str) -> Scheme | None:
    return SCHEMES.get(country.upper())


def normalise(country: str, value: str) -> str:
    """The compact, validated number; raises `InvalidRegistrationNumber` with a reason."""
    country = country.upper()
    value = (value or "").strip()
    if not value:
        raise InvalidRegistrationNumber(_("Enter the firm's registration number."))
    scheme = scheme_for(country)
    if scheme is None:
        # No known scheme: keep letters and digits only, so separators cannot make a duplicate.
        compact = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        if len(compact) < 3:
            raise InvalidRegistrationNumber(_("A registration number has at least three letters or digits."))
        return compact
    try:
        compact = scheme.compact(country, value)
        scheme.module.validate(compact)
    except stdnum_exceptions.InvalidChecksum:
        raise InvalidRegistrationNumber(
            _("This %(scheme)s has a wrong check digit: check it for typing errors.") % {"scheme": scheme.name}
        ) from None
    except stdnum_exceptions.ValidationError:
        raise InvalidRegistrationNumber(
            _("This is not a valid %(scheme)s (for example %(example)s).") % {"scheme": scheme.name, "example": scheme.example}
        ) from None
    if isinstance(scheme, EuVatScheme) and compact[:2] != EU_VAT_PREFIX[country]:
        raise InvalidRegistrationNumber(
            _("This VAT number belongs to another country: a firm registered in %(country)s has a number starting with %(prefix)s.")
            % {"country": country, "prefix": EU_VAT_PREFIX[country]}
        )
    return compact
