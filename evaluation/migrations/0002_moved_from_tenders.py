"""What a database migrated while the evaluation lived in the tenders app still names after it.

- Its content types (and so the permissions and admin history attached to them) move to the
  `evaluation` app label, rather than being created anew beside stale `tenders` ones.
- Background work queued under `tenders.evaluation.tasks.*` (a confirmation at the standstill's
  end, an escalation of an unanswered challenge, the award sweep) runs from `evaluation.tasks`.

A new database has neither, and this does nothing there. The audit chain is not touched: events
recorded before the move keep naming their objects `tenders.<model>`.
"""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

MODELS = [
    "award",
    "awardnotice",
    "bidclarification",
    "challenge",
    "challengedocument",
    "conflictdeclaration",
    "evaluationreport",
    "evaluator",
    "pricereview",
    "qualificationcheck",
    "score",
]
OLD_TASKS, NEW_TASKS = "tenders.evaluation.tasks.", "evaluation.tasks."


def relabel(apps, db: str, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(db)
    taken = set(content_types.filter(app_label=new, model__in=MODELS).values_list("model", flat=True))
    content_types.filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)


def repath(apps, db: str, old: str, new: str) -> None:
    results = apps.get_model("django_tasks_database", "DBTaskResult").objects.using(db)
    results.filter(task_path__startswith=old).update(task_path=Concat(Value(new), Substr("task_path", len(old) + 1)))


def forwards(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    relabel(apps, db, "tenders", "evaluation")
    repath(apps, db, OLD_TASKS, NEW_TASKS)


def backwards(apps, schema_editor) -> None:
    db = schema_editor.connection.alias
    relabel(apps, db, "evaluation", "tenders")
    repath(apps, db, NEW_TASKS, OLD_TASKS)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0001_initial"),
        ("evaluation", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
