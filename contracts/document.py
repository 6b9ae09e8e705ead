"""The contract document: a PDF rendered from plain data, in the reader's language.

`render(document, language)` fills `templates/contracts/document.html` under that language's
translations and lays it out with fpdf2 (pure Python). The text is set in Noto Sans SC (SIL Open
Font License 1.1, shipped on PyPI by `justmytype-intl-cjk`), which covers Latin and Chinese
alike; the font is a variable one whose default instance is Thin, so each rendering subsets it to
the characters of the document and instantiates the regular and bold weights from that subset
(fontTools), then embeds them. The later contract model fills a `ContractDocument`.
"""

import hashlib
import importlib.resources
import io
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF, TextStyle
from fpdf.html import HTML2FPDF

from contracts import authority

FONT_FAMILY = "NotoSansSC"
LANGUAGES = {"en": "en", "zh-hans": "zh-CN"}  # Django language → PDF /Lang (BCP 47)
WEIGHTS = {"": 400, "B": 700}


def font_file() -> Path:
    return Path(str(importlib.resources.files("justmytype_intl_cjk") / "fonts" / "ofl" / "notosanssc" / "NotoSansSC[wght].ttf"))


@dataclass(frozen=True)
class Signatory:
    name: str
    title: str = ""  # the signatory's position, e.g. "Director"
    email: str = ""


@dataclass(frozen=True)
class Party:
    legal_name: str
    country: str = ""
    registration_number: str = ""
    address: str = ""
    signatories: tuple[Signatory, ...] = ()


@dataclass(frozen=True)
class Item:
    description: str
    quantity: Decimal
    unit: str
    # None when the winning bid priced the lot as a whole: the lot's value is the contract value.
    unit_price: Decimal | None

    @property
    def amount(self) -> Decimal | None:
        if self.unit_price is None:
            return None
        return (self.quantity * self.unit_price).quantize(self.unit_price)


@dataclass(frozen=True)
class Milestone:
    description: str
    due_date: date
    amount: Decimal
    deliverables: str = ""


@dataclass(frozen=True)
class ContractDocument:
    number: str
    tender_reference: str
    tender_title: str
    buyer: Party
    supplier: Party
    lot_number: int
    items: tuple[Item, ...]
    value: Decimal
    currency: str
    period_start: date
    period_end: date
    issued_on: date
    lot_title: str = ""
    milestones: tuple[Milestone, ...] = ()
    special_terms: str = ""


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    language: str
    sha256: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "sha256", hashlib.sha256(self.pdf).hexdigest())


def render(document: ContractDocument, language: str) -> RenderedDocument:
    """The contract as a PDF in `language` (`en` or `zh-hans`). The same data and language give
    the same bytes, so the SHA-256 identifies the document."""
    if language not in LANGUAGES:
        raise ValueError(f"no contract template for language {language!r}")
    with translation.override(language):
        html = render_to_string("contracts/document.html", _context(document))
        footer = _("Contract %(number)s · page %(page)s of %(pages)s")
        title = _("Public procurement contract")
        pdf = _ContractPdf(footer=footer, number=document.number)
    pdf.set_title(f"{title} {document.number}")
    pdf.set_lang(LANGUAGES[language])
    pdf.set_creator("Tenderhall")
    pdf.set_producer("Tenderhall")
    pdf.set_creation_date(datetime.combine(document.issued_on, time(), tzinfo=UTC))
    with tempfile.TemporaryDirectory() as fonts:
        for style, path in _fonts_for(html + footer + title + document.number, Path(fonts)).items():
            pdf.add_font(FONT_FAMILY, style=style, fname=path)
        pdf.set_font(FONT_FAMILY, size=10)
        pdf.alias_nb_pages()
        pdf.add_page()
        pdf.write_html(html, font_family=FONT_FAMILY, tag_styles=_tag_styles())
        return RenderedDocument(bytes(pdf.output()), language)


class _ContractHtml(HTML2FPDF):
    def handle_starttag(self, tag, attrs):
        if tag == "table":
            # A table's body cells take the font current when the table starts, which the
            # heading before it leaves bold.
            self.pdf.set_font(style="")
        super().handle_starttag(tag, attrs)


class _ContractPdf(FPDF):
    HTML2FPDF_CLASS = _ContractHtml

    def __init__(self, *, footer: str, number: str):
        super().__init__(format="A4")
        self.footer_text = footer
        self.number = number
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(90)
        self.cell(0, 5, self.footer_text % {"number": self.number, "page": self.page_no(), "pages": "{nb}"}, align="C")
        self.set_text_color(0)


def _context(document: ContractDocument) -> dict:
    return {
        "doc": document,
        "parties": [(_("Buyer"), document.buyer), (_("Supplier"), document.supplier)],
        "items": [
            {
                "description": item.description,
                "quantity": _number(item.quantity),
                "unit": item.unit,
                "unit_price": "—" if item.unit_price is None else _number(item.unit_price),
                "amount": "—" if item.amount is None else _number(item.amount),
            }
            for item in document.items
        ],
        "milestones": [
            {"description": m.description, "deliverables": m.deliverables, "due_date": m.due_date, "amount": _number(m.amount)}
            for m in document.milestones
        ],
        "value": _number(document.value),
        "ca_name": authority.root_name(),
    }


def _number(amount: Decimal) -> str:
    """Thousands grouped, the decimals as given (money is quantized by whoever made it)."""
    return f"{amount:,}"


def _tag_styles() -> dict:
    return {
        "h1": TextStyle(font_family=FONT_FAMILY, font_style="B", font_size_pt=16, color=0, t_margin=0, b_margin=0.6),
        "h2": TextStyle(font_family=FONT_FAMILY, font_style="B", font_size_pt=11.5, color=0, t_margin=1.2, b_margin=0.3),
    }


def _fonts_for(text: str, folder: Path) -> dict[str, str]:
    """Static regular and bold fonts holding the glyphs of `text`, written into `folder`.

    Subsetting the 17 MB variable font first makes instantiating it take a fraction of a second
    instead of half a minute.
    """
    characters = set(text) | {chr(c) for c in range(0x20, 0x7F)} | set("—–·…“”‘’ ")
    options = subset.Options()
    # fpdf2 places glyphs from the character map and advance widths alone (text shaping is off),
    # so the OpenType layout features would be carried for nothing: without them subsetting and
    # instancing take a third of the time.
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(font_file(), lazy=True, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    paths = {}
    for style, weight in WEIGHTS.items():
        static = instancer.instantiateVariableFont(TTFont(io.BytesIO(buffer.getvalue()), recalcTimestamp=False), {"wght": weight})
        path = folder / f"{FONT_FAMILY}-{weight}.ttf"
        static.save(path)
        paths[style] = str(path)
    return paths
