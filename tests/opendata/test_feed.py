"""The change feed, the release and record packages, each valid against OCDS 1.1.5 with the
extensions they declare."""

import pytest

from opendata import standard
from opendata.models import Release
from tests.opendata.helpers import assert_valid_record_package, assert_valid_release_package, errors_of, follow_feed, whole_life

pytestmark = pytest.mark.django_db


@pytest.fixture
def life(officer, evaluator, deadline, firms):
    return whole_life(officer, evaluator, deadline, firms)


def test_following_the_feed_from_the_start_receives_every_release_of_a_tender_life(life, public):
    tender, _contract = life
    received, _next = follow_feed(public)
    assert [r["id"] for r in received] == list(Release.objects.in_feed_order().values_list("release_id", flat=True))
    assert [r["tag"] for r in received] == [
        ["tender"],
        ["tenderAmendment"],
        ["tenderUpdate"],
        ["award"],
        ["awardUpdate"],
        ["contract"],
    ]
    assert len({r["id"] for r in received}) == len(received)
    assert {r["ocid"] for r in received} == {f"ocds-000000-{tender.pk}"}


def test_a_follower_polling_the_last_link_gets_only_what_came_after(life, public, officer, deadline):
    _seen, poll = follow_feed(public)
    assert public.get(poll).json()["releases"] == []
    from tests.evaluation import helpers as h

    later = h.published(officer, deadline)
    [release] = public.get(poll).json()["releases"]
    assert release["ocid"].endswith(f"-{later.pk}") and release["tag"] == ["tender"]


def test_the_award_release_reads_out_the_bids_only_after_the_opening(life):
    tender, _contract = life
    award = Release.objects.get(tender=tender, tags=["award"]).data
    assert award["tender"]["numberOfTenderers"] == 3
    statistics = {s["measure"]: s["value"] for s in award["bids"]["statistics"]}
    assert statistics == {"bids": 3, "validBids": 2, "disqualifiedBids": 1}
    values = sorted((d["value"]["amount"], d["status"]) for d in award["bids"]["details"])
    assert values == [(900.0, "valid"), (1000.0, "valid"), (1100.0, "disqualified")]
    [winner] = [a for a in award["awards"] if a["status"] == "pending"]
    assert winner["value"] == {"amount": 900.0, "currency": "EUR"} and winner["relatedLots"] == ["1"]
    assert winner["relatedBids"][0] in {d["id"] for d in award["bids"]["details"]}
    roles = {p["name"]: p["roles"] for p in award["parties"]}
    assert roles["Alpha Works Ltd"] == ["tenderer", "supplier"] and roles["Gamma Build Ltd"] == ["tenderer"]
    alpha = next(p for p in award["parties"] if p["name"] == "Alpha Works Ltd")
    assert alpha["identifier"]["scheme"] == "NZ-REG" and alpha["details"] == {"scale": "small"}


def test_the_record_compiles_every_release_into_the_current_state(life, public):
    tender, contract = life
    ocid = f"ocds-000000-{tender.pk}"
    package = public.get(f"/api/v1/ocds/records/{ocid}/").json()
    assert_valid_record_package(package)
    [record] = package["records"]
    assert [r["tag"] for r in record["releases"]] == [
        ["tender"],
        ["tenderAmendment"],
        ["tenderUpdate"],
        ["award"],
        ["awardUpdate"],
        ["contract"],
    ]
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["tender"]["status"] == "complete"
    assert [a["status"] for a in compiled["awards"]] == ["active"]
    [signed] = compiled["contracts"]
    assert signed["status"] == "active" and signed["awardID"] == str(contract.award_id) and signed["value"]["amount"] == 900.0
    assert len(compiled["tender"]["amendments"]) == 1
    history = [(v["releaseTag"], v["value"]) for v in record["versionedRelease"]["tender"]["status"]]
    assert history == [(["tender"], "active"), (["award"], "complete")]


def test_each_release_has_a_package_of_its_own(life, public):
    tender, _contract = life
    release = Release.objects.filter(tender=tender).last()
    package = public.get(f"/api/v1/ocds/releases/{release.release_id}/").json()
    assert_valid_release_package(package)
    assert [r["id"] for r in package["releases"]] == [release.release_id]
    assert package["version"] == "1.1" and package["extensions"] == standard.extension_urls()


def test_a_refused_contract_cancels_the_award_in_a_release(officer, evaluator, deadline, firms, supplier_a):
    from contracts import actions
    from contracts.models import Contract
    from tests.contracts.helpers import PERIOD, confirm_award

    tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms[:2])
    try:
        contract = Contract.objects.get(award=award)
        actions.edit_draft(officer, contract, PERIOD)
        actions.send_for_signature(officer, contract)
        actions.decline_contract(supplier_a, contract, reason="We cannot deliver at that price.")
    finally:
        travel.stop()
    cancelled = Release.objects.filter(tender=tender).last()
    assert cancelled.tags == ["awardCancellation"]
    assert [a["status"] for a in cancelled.data["awards"]] == ["cancelled"] and "contracts" not in cancelled.data
    assert_valid_release_package({**_package_of(cancelled)})


def _package_of(release: Release) -> dict:
    from opendata import packages

    return packages.release_package([release], uri="https://tenderhall.example/api/v1/ocds/releases/")


def test_an_invalid_release_is_caught_by_the_validation(life):
    tender, _contract = life
    package = _package_of(Release.objects.filter(tender=tender).first())
    package["releases"][0]["tender"]["status"] = "published"
    package["releases"][0]["tender"]["items"][0]["classification"]["scheme"] = 7
    assert len(errors_of(standard.release_package_validator(), package)) == 2


@pytest.mark.parametrize(("query", "field"), [("limit=1001", "limit"), ("limit=0", "limit"), ("after=-1", "after"), ("after=x", "after")])
def test_a_bad_cursor_or_limit_is_refused_in_the_error_shape(public, query, field):
    response = public.get(f"/api/v1/ocds/releases/?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_unknown_release_or_record_is_not_found(public, db):
    for path in ("/api/v1/ocds/releases/ocds-000000-1-tender/", "/api/v1/ocds/records/ocds-000000-1/"):
        response = public.get(path)
        assert response.status_code == 404 and response.json()["errors"][0]["code"] == "not_found"


def test_accepted_milestones_and_the_completed_contract_are_implementation_and_termination_releases(
    officer, evaluator, deadline, firms, supplier_a, finance_officer
):
    from contracts import deliveries
    from contracts.models import Contract, Milestone
    from tests.contracts.helpers import confirm_award, milestone_plans, paid, signed_by_both

    tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms[:2])
    try:
        contract = signed_by_both(Contract.objects.get(award=award), officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
        first = Milestone.objects.get(contract=contract, number=1)
        deliveries.report_delivery(supplier_a, first, note="Lamps on site.")
        deliveries.accept_delivery(officer, Milestone.objects.get(pk=first.pk))
        implementation = Release.objects.filter(tender=tender).last()
        second = Milestone.objects.get(contract=contract, number=2)
        deliveries.report_delivery(supplier_a, second, note="Installed.")
        deliveries.accept_delivery(officer, Milestone.objects.get(pk=second.pk))
        for milestone in contract.milestones.all():
            paid(milestone, supplier_a, finance_officer)
    finally:
        travel.stop()
    assert implementation.tags == ["implementation"]
    [entry] = implementation.data["contracts"]
    assert [(m["status"], "dateMet" in m) for m in entry["implementation"]["milestones"]] == [("met", True), ("scheduled", False)]
    assert_valid_release_package(_package_of(implementation))
    paid = Release.objects.get(release_id__endswith=f"contract-{contract.pk}-invoice-{contract.invoices.order_by('pk').first().pk}-paid")
    assert paid.tags == ["implementation"]
    [transaction] = paid.data["contracts"][0]["implementation"]["transactions"]
    assert transaction["value"] == {"amount": 600.0, "currency": "EUR"} and transaction["payer"]["name"] == contract.buyer.name
    roles = {party["name"]: party["roles"] for party in paid.data["parties"]}
    assert "payer" in roles[contract.buyer.name] and "payee" in roles[contract.supplier.name]
    assert_valid_release_package(_package_of(paid))
    ending = Release.objects.filter(tender=tender).last()
    assert ending.tags == ["contractTermination"]
    [ended] = ending.data["contracts"]
    assert ended["status"] == "terminated" and ended["value"] == {"amount": 900.0, "currency": "EUR"}
    assert ended["implementation"]["finalValue"] == {"amount": 900.0, "currency": "EUR"}
    assert ended["implementation"]["endDate"] == ending.data["date"]
    assert_valid_release_package(_package_of(ending))


def test_an_amendment_signed_by_both_is_a_contract_amendment_release(officer, evaluator, deadline, firms, supplier_a):
    from datetime import date
    from decimal import Decimal

    from contracts import amendments
    from contracts.models import Contract
    from tests.contracts.helpers import confirm_award, milestone_plans, signed_by_both
    from tests.factories import PASSWORD

    tender, award, travel, _clock = confirm_award(officer, evaluator, deadline, firms[:2])
    try:
        contract = signed_by_both(Contract.objects.get(award=award), officer, supplier_a, milestones=milestone_plans("600.00", "300.00"))
        amendment = amendments.propose_amendment(
            officer,
            contract,
            rationale="durationExtension",
            new_value=Decimal("950.00"),
            new_period_end=date(2027, 9, 30),
            password=PASSWORD,
        )
        amendments.sign_amendment(supplier_a, amendment, password=PASSWORD)
    finally:
        travel.stop()
    release = Release.objects.filter(tender=tender).last()
    assert release.tags == ["contractAmendment"]
    [entry] = release.data["contracts"]
    assert entry["value"] == {"amount": 950.0, "currency": "EUR"}
    assert [(a["rationale"], a["description"]) for a in entry["amendments"]] == [
        ("durationExtension", "value: 900.00 → 950.00 EUR; period.endDate: 2027-06-30 → 2027-09-30")
    ]
    assert entry["amendments"][0]["rationaleClassifications"] == [
        {"scheme": "prozorro-contract-change-rationale", "id": "durationExtension", "description": "Extension of the period of performance"}
    ]
    assert_valid_release_package(_package_of(release))
