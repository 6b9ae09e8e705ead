"""The Common Procurement Vocabulary (CPV 2008), shipped as data and held in memory.

9,454 codes with English names (`suppliers/data/cpv2008-en.csv`, Regulation (EC) No 213/2008).
The hierarchy is in the digits: 45000000 (division) > 45200000 (group) > 45210000 (class) >
45211000 (category) > 45211100 …; a code's parent has its last non-zero digit set to zero.
Codes are stored as 8-digit strings; a code and its descendants share the code's significant
prefix, which is how searches match a category and everything under it.
"""

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DATA_FILE = Path(__file__).resolve().parent / "data" / "cpv2008-en.csv"


@dataclass(frozen=True)
class CpvCode:
    code: str
    name: str
    parent: str | None
    level: int  # 1 division, 2 group, 3 class, 4 category, 5+ subcategories

    @property
    def prefix(self) -> str:
        return significant_prefix(self.code)

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def significant_prefix(code: str) -> str:
    """The digits that identify a code within the hierarchy (at least the two of the division)."""
    stripped = code.rstrip("0")
    return stripped if len(stripped) >= 2 else code[:2]


def _parent_of(code: str, known: dict[str, str]) -> str | None:
    digits = list(significant_prefix(code))
    while len(digits) > 2:
        digits.pop()
        candidate = "".join(digits).ljust(8, "0")
        if candidate in known and candidate != code:
            return candidate
    return None


@functools.cache
def vocabulary() -> dict[str, CpvCode]:
    with DATA_FILE.open(encoding="utf-8", newline="") as f:
        names = {row["code"]: row["name_en"] for row in csv.DictReader(f)}
    return {
        code: CpvCode(code=code, name=name, parent=_parent_of(code, names), level=max(1, len(significant_prefix(code)) - 1))
        for code, name in names.items()
    }


def normalise(value: str) -> str:
    """Accept `45210000`, `45210000-2` (with check digit) or surrounding spaces."""
    return value.strip().split("-")[0]


def get(code: str) -> CpvCode | None:
    return vocabulary().get(normalise(code))


def exists(code: str) -> bool:
    return get(code) is not None


def validate_cpv(value: str) -> None:
    if not exists(value or ""):
        raise ValidationError(_("%(code)s is not a CPV 2008 code."), code="unknown_cpv", params={"code": value})


def ancestors(code: str) -> list[CpvCode]:
    """From the division down to the code's parent."""
    chain = []
    current = get(code)
    while current and current.parent:
        current = vocabulary()[current.parent]
        chain.append(current)
    return list(reversed(chain))


def children(code: str) -> list[CpvCode]:
    code = normalise(code)
    return [c for c in vocabulary().values() if c.parent == code]


def is_within(code: str, ancestor: str) -> bool:
    """True when `code` is `ancestor` or one of its descendants."""
    return normalise(code).startswith(significant_prefix(normalise(ancestor)))


def enclosing_codes(code: str) -> list[str]:
    """Every code that `code` is within (itself included), whether or not the vocabulary names it.

    Lets the database find the follows and requirements that cover a code with one `IN` list.
    """
    prefix = significant_prefix(normalise(code))
    return list(dict.fromkeys(prefix[:n].ljust(8, "0") for n in range(2, len(prefix) + 1)))


WORD_RE = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


@functools.cache
def _name_words() -> dict[str, tuple[str, ...]]:
    return {code: tuple(_words(entry.name)) for code, entry in vocabulary().items()}


def search(query: str, limit: int = 20) -> list[CpvCode]:
    """Codes whose number starts with the query, or in whose name each word of the query starts
    a word ("road" finds "Road-surfacing works" and "Roadworks", not "Broadcasting")."""
    query = query.strip()
    if not query:
        return []
    entries = vocabulary()
    digits = query.replace("-", "")
    if digits.isdigit():
        matches = [c for c in entries.values() if c.code.startswith(digits[:8])]
    else:
        wanted = _words(query)
        if not wanted:
            return []
        names = _name_words()
        matches = [entries[code] for code, words in names.items() if all(any(w.startswith(q) for w in words) for q in wanted)]
        matches.sort(key=lambda c: (c.level, c.code))
    return matches[:limit]
