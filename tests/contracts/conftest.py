import pytest

from contracts import document
from tests.contracts.factories import contract_document


@pytest.fixture(scope="session")
def english_pdf() -> document.RenderedDocument:
    """Rendering subsets and instantiates the CJK font (a few seconds): once per run."""
    return document.render(contract_document(), "en")


@pytest.fixture(scope="session")
def chinese_pdf() -> document.RenderedDocument:
    return document.render(contract_document(), "zh-hans")
