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


# The path from sealed bids to a confirmed award is the evaluation tests' own.
from tests.evaluation.conftest import (  # noqa: E402, F401
    api_as,
    deadline,
    firms,
    short_response_times,
    supplier_c,
    supplier_org_c,
)


@pytest.fixture
def quick_documents(monkeypatch, english_pdf):
    """Milestone tests sign real PDFs, but need not render each one (seconds): every contract
    is sent with the one document rendered for the run."""
    monkeypatch.setattr(document, "render", lambda contract_document, language: english_pdf)
