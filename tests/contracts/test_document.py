import hashlib
from io import BytesIO

import pypdf
import pytest

from contracts import document
from tests.contracts.factories import contract_document


def page_text(rendered: document.RenderedDocument) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(BytesIO(rendered.pdf)).pages)


def embedded_fonts(rendered: document.RenderedDocument) -> set[str]:
    """Names of fonts whose program is embedded (FontFile2 on each descendant font)."""
    found = set()
    for page in pypdf.PdfReader(BytesIO(rendered.pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    found.add(str(descriptor["/FontName"]).split("+")[-1])
    return found


def test_english_document_holds_the_contract(english_pdf):
    text = page_text(english_pdf)
    for expected in ("Public procurement contract", "MOT-2026-0007-C1", "Ministry of Tests", "Alpha Works Ltd 阿尔法工程有限公司"):
        assert expected in text
    assert "148,140.00" in text  # 120 × 1,234.50
    assert "Payment milestones" in text and "2027-06-30" in text


def test_chinese_document_is_in_chinese(chinese_pdf):
    text = page_text(chinese_pdf)
    for expected in ("政府采购合同", "合同编号", "采购人", "供应商", "北京市朝阳区建国路", "保修五年", "2027-06-30"):
        assert expected in text
    assert "Public procurement contract" not in text


@pytest.mark.parametrize("rendered", ["english_pdf", "chinese_pdf"])
def test_cjk_font_is_embedded_in_both_languages(rendered, request):
    pdf = request.getfixturevalue(rendered)
    assert {name for name in embedded_fonts(pdf) if name.startswith("NotoSansSC")}
    assert pypdf.PdfReader(BytesIO(pdf.pdf)).metadata["/Producer"] == "Tenderhall"


def test_same_data_renders_the_same_bytes(english_pdf):
    again = document.render(contract_document(), "en")
    assert again.sha256 == english_pdf.sha256
    assert english_pdf.sha256 == hashlib.sha256(english_pdf.pdf).hexdigest()


def test_other_data_renders_another_document(english_pdf):
    assert document.render(contract_document(special_terms="Penalty of 0.1 % a day."), "en").sha256 != english_pdf.sha256


def test_language_without_a_template_is_refused():
    with pytest.raises(ValueError, match="no contract template"):
        document.render(contract_document(), "fr")
