"""A database of the time when the evaluation lived inside the tenders app migrates to the
evaluation app with every row intact.

`data/old_database.sql` is a whole PostgreSQL database (schema, rows, migration records) built
at commit b778168 by `migrate`, `seed_demo` and `data/make_old_database.py`, which says how to
build it again: two tenders evaluated from real sealed bids, one awarded and challenged twice
(one answered, one lodged), one scored. The test restores it into a throwaway database, runs
today's `migrate` on it, and reads it back through the evaluation app's models.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tasks_db.models import DBTaskResult

from evaluation.models import (
    Award,
    AwardNotice,
    BidClarification,
    Challenge,
    ChallengeDocument,
    ConflictDeclaration,
    EvaluationReport,
    Evaluator,
    PriceReview,
    QualificationCheck,
    Score,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DUMP = Path(__file__).parent / "data" / "old_database.sql"
MODELS = [
    Award,
    AwardNotice,
    BidClarification,
    Challenge,
    ChallengeDocument,
    ConflictDeclaration,
    EvaluationReport,
    Evaluator,
    PriceReview,
    QualificationCheck,
    Score,
]
OLD = "old_layout"


@pytest.fixture
def old_database():
    """The dump restored into a database of its own, reachable as the connection `OLD`."""
    if connection.vendor != "postgresql":
        pytest.skip("the migration of a PostgreSQL database needs PostgreSQL (DATABASE_URL): it runs in CI")
    name = f"{connection.settings_dict['NAME']}_{OLD}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connections.settings[OLD] = {**connection.settings_dict, "NAME": name}
    # Connected here, outright: the test case knows only the databases there were when it began.
    connections[OLD].connect()
    try:
        with connections[OLD].cursor() as cursor:
            cursor.execute(DUMP.read_text())
        connections[OLD].close()  # the dump emptied the session's search_path
        connections[OLD].connect()
        yield connections[OLD]
    finally:
        connections[OLD].close()
        del connections[OLD]
        del connections.settings[OLD]
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def columns(db, table: str) -> list[str]:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {db.ops.quote_name(table)} LIMIT 0")  # noqa: S608 (a model's own table)
        return [column.name for column in cursor.description]


def rows(db, table: str, names: list[str] | None = None) -> list[tuple]:
    """Every row of the table, in the columns `names` (all when None)."""
    selected = ", ".join(db.ops.quote_name(name) for name in names) if names else "*"
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {db.ops.quote_name(table)} ORDER BY id")  # noqa: S608 (a model's own table)
        return cursor.fetchall()


def test_the_old_database_is_what_the_test_needs(old_database):
    """It can fail only if the dump changes: the move must carry every kind of row across."""
    applied = MigrationRecorder(old_database).applied_migrations()
    assert ("tenders", "0003_evaluation") in applied and not any(app == "evaluation" for app, _name in applied)
    assert {model._meta.db_table: len(rows(old_database, model._meta.db_table)) for model in (Award, Score, Challenge)} == {
        "tenders_award": 1,
        "tenders_score": 6,
        "tenders_challenge": 2,
    }


def test_a_database_of_the_old_layout_migrates_with_every_evaluation_row(old_database):
    before = {model: rows(old_database, model._meta.db_table) for model in MODELS}
    # Later migrations may add columns (an award's cancellation reason): the old ones must hold the same values.
    old_columns = {model: columns(old_database, model._meta.db_table) for model in MODELS}

    call_command("migrate", database=OLD, verbosity=0)

    assert {model: rows(old_database, model._meta.db_table, old_columns[model]) for model in MODELS} == before
    for model in MODELS:
        assert model.objects.using(OLD).count() == len(before[model]), model
    award = Award.objects.using(OLD).select_related("supplier", "notice").get()
    assert (award.status, award.price, award.supplier.code) == (Award.Status.ACTIVE, Decimal("176900.00"), "continental")
    assert award.notice.kind == AwardNotice.Kind.AWARD and award.notice.status == AwardNotice.Status.PUBLISHED
    assert sorted(Score.objects.using(OLD).values_list("value", flat=True)) == [Decimal(v) for v in ("4.25", "4.50", "4.75")] + [
        Decimal(v) for v in ("9.25", "9.50", "9.75")
    ]
    challenges = Challenge.objects.using(OLD).select_related("organisation").order_by("lodged_at")
    assert [(c.organisation.code, c.status) for c in challenges] == [("harbour", "answered"), ("lotus", "lodged")]
    assert challenges[0].answer == "Annex 4 covers the bypass only, not the town centre."


def test_the_moved_models_keep_their_content_types_and_queued_work(old_database):
    names = [model._meta.model_name for model in MODELS]
    old_types = dict(ContentType.objects.using(OLD).filter(app_label="tenders", model__in=names).values_list("model", "pk"))
    queued = DBTaskResult.objects.using(OLD).filter(task_path__startswith="tenders.evaluation.tasks.").count()

    call_command("migrate", database=OLD, verbosity=0)

    assert len(old_types) == len(names) and queued > 0
    assert dict(ContentType.objects.using(OLD).filter(app_label="evaluation").values_list("model", "pk")) == old_types
    assert not ContentType.objects.using(OLD).filter(app_label="tenders", model__in=names).exists()
    paths = DBTaskResult.objects.using(OLD).values_list("task_path", flat=True)
    assert not any(p.startswith("tenders.evaluation.") for p in paths)
    assert sum(p.startswith("evaluation.tasks.") for p in paths) == queued


def test_nothing_is_left_to_migrate_and_no_tenders_migration_needs_bidding(old_database):
    call_command("migrate", database=OLD, verbosity=0)

    executor = MigrationExecutor(old_database)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert ("evaluation", "0001_initial") in MigrationRecorder(old_database).applied_migrations()
    tenders = [node for key, node in executor.loader.graph.nodes.items() if key[0] == "tenders"]
    assert tenders and not any(app == "bidding" for migration in tenders for app, _name in migration.dependencies)
