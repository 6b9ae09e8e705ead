import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marketplace.models import LiveEvent, Notification
from marketplace.timefmt import shown
from suppliers.actions import add_follow
from suppliers.models import Follow, Supplier
from tenders.alerts import alert_followers, matching_followers
from tenders.models import TenderAlert
from tests.suppliers.factories import make_supplier, make_tender, publish, run_queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def firm_a(supplier_org_a, supplier_a, bidder_a) -> Supplier:
    """Supplier A, verified, with its admin and bidder."""
    return make_supplier(supplier_org_a, legal_name="Alpha Works Ltd", categories=["45000000"])


@pytest.fixture
def firm_b(supplier_org_b, supplier_b) -> Supplier:
    return make_supplier(supplier_org_b, legal_name="Beta Supplies Ltd", categories=["72000000"])


def follow(firm, admin, **target) -> Follow:
    kind = "buyer" if "buyer" in target else "keywords" if "keywords" in target else "category"
    return add_follow(admin, firm, kind=kind, **target)


def matched(tender) -> dict[str, list[str]]:
    return {supplier.legal_name: [f.describe() for f in follows] for supplier, follows in matching_followers(tender).items()}


def test_a_category_matches_tenders_in_it_and_below_it(agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, category="45200000")
    assert "Alpha Works Ltd" in matched(make_tender(agency, main_category="45233000"))
    assert "Alpha Works Ltd" in matched(make_tender(agency, main_category="45200000"))
    assert matched(make_tender(agency, main_category="45100000")) == {}
    assert matched(make_tender(agency, main_category="45000000")) == {}


def test_item_categories_count_as_well(agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, category="45000000")
    tender = make_tender(agency, main_category="71000000", item_codes=["45233140"])
    assert matched(tender) == {"Alpha Works Ltd": ["45000000 Construction work"]}


def test_a_buyer_follow_matches_its_tenders_only(agency, other_agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, buyer=agency)
    assert "Alpha Works Ltd" in matched(make_tender(agency, main_category="30000000"))
    assert matched(make_tender(other_agency, main_category="30000000")) == {}


@pytest.mark.parametrize(
    ("title", "description", "hit"),
    [
        ("Fibre NETWORK upgrade", "", True),
        ("Upgrade", "Campus network and fibre links", True),
        ("Network upgrade", "", False),
        ("光纤网络升级", "", False),
    ],
)
def test_a_keyword_search_needs_every_word(agency, firm_a, supplier_a, title, description, hit):
    follow(firm_a, supplier_a, keywords="network  Fibre")
    assert bool(matched(make_tender(agency, title=title, description=description, main_category="32400000"))) is hit


def test_keywords_in_chinese_match_inside_words(agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, keywords="光纤")
    assert matched(make_tender(agency, title="光纤网络升级", main_category="32400000"))


def test_one_firm_is_alerted_once_with_every_follow_that_matched(agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, category="45000000")
    follow(firm_a, supplier_a, buyer=agency)
    assert matched(make_tender(agency)) == {"Alpha Works Ltd": ["Ministry of Tests", "45000000 Construction work"]}


def test_a_debarred_firm_hears_nothing(agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, category="45000000")
    Supplier.objects.filter(pk=firm_a.pk).update(status=Supplier.Status.DEBARRED, restricted_until=timezone.localdate())
    assert matched(make_tender(agency)) == {}


def test_publication_alerts_every_member_by_notification_email_and_live_event(
    agency, firm_a, supplier_a, bidder_a, firm_b, supplier_b, django_capture_on_commit_callbacks
):
    follow(firm_a, supplier_a, category="45000000")
    follow(firm_b, supplier_b, category="72000000")
    tender = make_tender(agency, title="Resurfacing of the N17")
    with django_capture_on_commit_callbacks(execute=True):
        publish(tender)
    assert (
        DBTaskResult.objects.ready().filter(task_path=alert_followers.module_path, args_kwargs={"args": [tender.pk], "kwargs": {}}).exists()
    )
    ran = run_queued_tasks()
    [alerts] = [r for r in ran if r.task_path == alert_followers.module_path]
    assert {r.status for r in ran} == {"SUCCESSFUL"} and alerts.return_value == 1
    alerted = sorted(Notification.objects.filter(kind="tender.alert").values_list("user__email", flat=True))
    assert alerted == ["admin@alpha.test", "bidder@alpha.test"]
    assert sorted(m.to[0] for m in mail.outbox) == alerted and "Resurfacing of the N17" in mail.outbox[0].subject
    [event] = LiveEvent.objects.filter(subject=f"org.{firm_a.organisation_id}", kind="tender.alert")
    assert event.payload["title"] == "Resurfacing of the N17" and event.payload["matched"] == ["45000000 Construction work"]


def test_alerting_twice_alerts_once(agency, firm_a, supplier_a, bidder_a):
    follow(firm_a, supplier_a, category="45000000")
    tender = publish(make_tender(agency))
    assert alert_followers.call(tender.pk) == 1
    assert alert_followers.call(tender.pk) == 0
    assert Notification.objects.filter(kind="tender.alert").count() == 2 and TenderAlert.objects.count() == 1


def test_the_alert_reads_the_deadline_in_the_one_format_of_messages(agency, firm_a, supplier_a, bidder_a):
    follow(firm_a, supplier_a, category="45000000")
    tender = publish(make_tender(agency))
    alert_followers.call(tender.pk)
    body = Notification.objects.filter(kind="tender.alert").first().body
    assert f"bids due {shown(tender.submission_deadline)}. It matches" in body
    assert "m.." not in body


def test_a_publication_rolled_back_alerts_nobody(agency, firm_a, supplier_a, django_capture_on_commit_callbacks):
    follow(firm_a, supplier_a, category="45000000")
    tender = make_tender(agency)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        publish(tender)
        raise RuntimeError("publication failed after the signal")
    assert not DBTaskResult.objects.filter(task_path=alert_followers.module_path).exists()


def test_a_draft_tender_alerts_nobody(agency, firm_a, supplier_a):
    follow(firm_a, supplier_a, category="45000000")
    assert alert_followers.call(make_tender(agency).pk) == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"kind": "category", "category": "12345678"}, "12345678 is not a CPV 2008 code."),
        ({"kind": "keywords", "keywords": "   "}, "Enter one or more words"),
        ({"kind": "buyer", "buyer": ""}, "Choose a contracting agency."),
    ],
)
def test_bad_follows_are_refused(as_user, supplier_a, firm_a, target, message):
    response = as_user(supplier_a).post(f"/suppliers/{firm_a.pk}/follows/", target)
    assert response.status_code == 422 and message in response.text and not Follow.objects.exists()


def test_following_the_same_thing_twice_is_refused(as_user, supplier_a, firm_a):
    client = as_user(supplier_a)
    client.post(f"/suppliers/{firm_a.pk}/follows/", {"kind": "category", "category": "45000000-7"})
    response = client.post(f"/suppliers/{firm_a.pk}/follows/", {"kind": "category", "category": "45000000"})
    assert response.status_code == 422 and "already follows this" in response.text and Follow.objects.count() == 1


def test_a_bidder_follows_and_unfollows(as_user, bidder_a, firm_a):
    client = as_user(bidder_a)
    client.post(f"/suppliers/{firm_a.pk}/follows/", {"kind": "keywords", "keywords": "Bridge repair"})
    follow = Follow.objects.get()
    assert follow.keywords == "bridge repair"
    client.post(f"/suppliers/{firm_a.pk}/follows/{follow.pk}/remove/")
    assert not Follow.objects.exists()


def test_another_firm_cannot_touch_the_follows(as_user, supplier_b, firm_a, firm_b, supplier_a):
    follow(firm_a, supplier_a, category="45000000")
    client = as_user(supplier_b)
    assert client.post(f"/suppliers/{firm_a.pk}/follows/", {"kind": "category", "category": "72000000"}).status_code == 404
    assert client.post(f"/suppliers/{firm_a.pk}/follows/{Follow.objects.get().pk}/remove/").status_code == 404
    assert Follow.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_alerts_sent_before_they_moved_to_tenders_are_kept(agency, supplier_org_a):
    """The registry kept the alerts before tenders took them over: same table, every row."""
    tender = make_tender(agency)
    executor = MigrationExecutor(connection)
    before = [("suppliers", "0002_registry"), ("tenders", "0003_evaluation")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("suppliers", "TenderAlert")
    old.objects.create(tender_id=tender.pk, organisation_id=supplier_org_a.pk, matched=["45000000 Construction work"])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    alert = TenderAlert.objects.get()
    assert (alert.tender_id, alert.organisation_id, alert.matched) == (tender.pk, supplier_org_a.pk, ["45000000 Construction work"])
