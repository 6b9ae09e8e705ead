"""Personas and shared fixtures. Real services are used where the behaviour depends on them."""

import os
import uuid

import pytest
from django.conf import settings

from marketplace.models import Organisation, Role
from tests import factories


def pytest_addoption(parser):
    parser.addoption(
        "--write-access-matrix",
        action="store_true",
        help="write the answers of today into tests/marketplace/access_matrix.csv (see that module's test)",
    )


def pytest_configure(config):
    # Tests render templates without a collectstatic run, and hash passwords quickly.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sqlite_flush_past_triggers()
    force_login_passes_the_second_factor()


def force_login_passes_the_second_factor():
    """`client.force_login(user)` signs in past both steps: the password's and the second factor's
    (the session holds the device that passed it, under django-otp's own key). The tests of the
    second factor itself sign in through the pages (`tests/marketplace/test_second_factor.py`)."""
    from django.test.client import ClientMixin
    from django_otp import DEVICE_ID_SESSION_KEY

    login = ClientMixin._login

    def _login(self, user, backend=None):
        login(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = factories.force_login_device(user).persistent_id
        session.save()

    ClientMixin._login = _login


def sqlite_flush_past_triggers():
    """Transactional tests empty every table afterwards. PostgreSQL's TRUNCATE passes the audit
    chain's append-only triggers; SQLite's DELETE does not, so they are lifted for the flush only."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    from django.db.backends.sqlite3.base import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with self.connection.cursor() as cursor:
            triggers = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        flush(self, [*(f"DROP TRIGGER {name}" for name, _ in triggers), *sql_list, *(sql for _, sql in triggers)])

    DatabaseOperations.execute_sql_flush = execute_sql_flush


@pytest.fixture(autouse=True)
def officers_never_idle(settings):
    """Tests travel days ahead to a deadline with an officer signed in; only the idle-session
    tests (`tests/marketplace/test_sign_in.py`) set the idle period they check."""
    settings.OFFICER_IDLE_MINUTES = 366 * 24 * 60


@pytest.fixture(autouse=True)
def language_as_it_was():
    """A request in another language (a page asked for in Chinese) leaves the thread's language
    switched; each test starts in the platform's default again."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def uploads_in_a_temporary_folder(settings, tmp_path):
    """Files a test uploads land in its own folder, never in the data folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def cache_of_its_own(settings):
    """Each test counts throttles and reset e-mails from zero: its own key prefix in the shared
    cache (Redis keeps keys across tests, and other test processes use the same database)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def quick_scrypt(monkeypatch):
    """Opening passphrases use scrypt at 2^14 instead of 2^17: the same code, a fraction of the
    memory and time (keys made this way record their own cost and still open)."""
    from bidding import custody

    monkeypatch.setattr(custody, "SCRYPT_LOG_N", 14)


@pytest.fixture
def agency(db) -> Organisation:
    return factories.make_agency(name="Ministry of Tests", code="mot")


@pytest.fixture
def other_agency(db) -> Organisation:
    return factories.make_agency(name="Ministry of Elsewhere", code="moe")


@pytest.fixture
def officer(agency):
    return factories.make_member(agency, Role.PROCUREMENT_OFFICER, "officer@mot.test")


@pytest.fixture
def evaluator(agency):
    return factories.make_member(agency, Role.EVALUATOR, "evaluator@mot.test")


@pytest.fixture
def finance_officer(agency):
    return factories.make_member(agency, Role.FINANCE_OFFICER, "finance@mot.test")


@pytest.fixture
def other_officer(other_agency):
    return factories.make_member(other_agency, Role.PROCUREMENT_OFFICER, "officer@moe.test")


@pytest.fixture
def platform(db) -> Organisation:
    return factories.make_organisation(Organisation.Kind.PLATFORM, name="Platform", code="platform")


@pytest.fixture
def registry_officer(platform):
    return factories.make_member(platform, Role.REGISTRY_OFFICER, "registry@platform.test")


@pytest.fixture
def auditor(platform):
    return factories.make_member(platform, Role.AUDITOR, "auditor@platform.test")


@pytest.fixture
def supplier_org_a(db) -> Organisation:
    return factories.make_supplier_organisation(name="Alpha Works Ltd", code="alpha")


@pytest.fixture
def supplier_org_b(db) -> Organisation:
    return factories.make_supplier_organisation(name="Beta Supplies Ltd", code="beta")


@pytest.fixture
def supplier_a(supplier_org_a):
    """The admin of supplier A."""
    return factories.make_member(supplier_org_a, Role.SUPPLIER_ADMIN, "admin@alpha.test")


@pytest.fixture
def bidder_a(supplier_org_a):
    return factories.make_member(supplier_org_a, Role.BIDDER, "bidder@alpha.test")


@pytest.fixture
def supplier_b(supplier_org_b):
    return factories.make_member(supplier_org_b, Role.SUPPLIER_ADMIN, "admin@beta.test")


@pytest.fixture
def outsider(db):
    """Signed in, but a member of nothing."""
    return factories.make_user("outsider@example.test")


@pytest.fixture
def public(db, client):
    """An anonymous visitor. Even a page that reads nothing counts the visitor's requests in the
    shared cache (the API's throttles), which is a database table without Redis."""
    return client


@pytest.fixture
def as_user(client):
    """`as_user(user)` returns the test client signed in as that user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def token_for(db):
    """`token_for(user)` returns an API key for the user."""
    from marketplace.actions import issue_api_token

    def issue(user):
        return issue_api_token(user, "tests")[1]

    return issue


def uses_postgres() -> bool:
    return settings.IS_POSTGRES


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Processes started without REDIS_URL use the database cache, even when this run uses Redis.
    from django.core.management.commands.createcachetable import Command as CreateCacheTable

    command = CreateCacheTable()
    command.verbosity = 0
    with django_db_blocker.unblock():
        command.create_table("default", settings.DATABASE_CACHE_TABLE, dry_run=False)
    yield
    # Worker threads of async tests keep their own connections; PostgreSQL will not drop the
    # test database while they are open.
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
