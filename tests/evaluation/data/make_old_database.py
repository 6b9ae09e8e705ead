r"""Adds scores and challenges to the demo, on the code of commit b778168 (the last one with the
evaluation inside `tenders/`), to build the database that `old_database.sql` holds (its schema,
rows and migration records, as `pg_dump` wrote them) for `tests/evaluation/test_migration.py`.

Regenerate (PostgreSQL 15; from the repository's root, REPO being its path):

    git worktree add /tmp/th-old b778168 && ln -s "$REPO/.venv" /tmp/th-old/.venv
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE th_old"
    cd /tmp/th-old && export DATABASE_URL=postgres://postgres@127.0.0.1:5432/th_old
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py shell < "$REPO/tests/evaluation/data/make_old_database.py"
    pg_dump -h 127.0.0.1 -U postgres --no-owner --no-privileges --inserts th_old \
        | grep -v '^\\' > "$REPO/tests/evaluation/data/old_database.sql"   # without psql's \restrict lines
    cd "$REPO" && git worktree remove --force /tmp/th-old
"""

from decimal import Decimal  # noqa: I001 (tenders.evaluation exists only at b778168)

from marketplace.models import Organisation, User
from tenders.evaluation import actions
from tenders.evaluation.demo import AWARDED, EVALUATING, _checks
from tenders.models import Tender

officer = User.objects.get(email="officer@mpw.example")
evaluator = User.objects.get(email="evaluator@mpw.example")

# The tender in evaluation: the last bid qualified, then the evaluator scores every one and submits.
tender = Tender.objects.get(title=EVALUATING)
for bid in tender.bids.filter(status="opened"):
    actions.qualify_bid(officer, tender, bid, _checks(tender))
specs = [
    actions.ScoreSpec(bid=str(bid.pk), criterion=criterion.pk, value=Decimal(criterion.max_score) - Decimal(n) / 4, comment=f"Bid {n}.")
    for n, bid in enumerate(tender.bids.filter(status="qualified").order_by("received_at"), start=1)
    for criterion in tender.criteria.order_by("position")
]
actions.record_scores(evaluator, tender, specs)
actions.submit_scores(evaluator, tender)

# The awarded tender, in its standstill: the disqualified firm challenges and is answered; the
# third firm's challenge is still lodged.
tender = Tender.objects.get(title=AWARDED)
harbour = Organisation.objects.get(code="harbour")
lotus = Organisation.objects.get(code="lotus")
answered = actions.lodge_challenge(
    User.objects.get(email="bidder@harbour.example"), harbour, tender, grounds="The photometric calculation was in annex 4."
)
actions.answer_challenge(officer, answered, answer="Annex 4 covers the bypass only, not the town centre.", decision="dismiss")
actions.lodge_challenge(User.objects.get(email="bidder@lotus.example"), lotus, tender, grounds="The winner's price is abnormally low.")
print("scores and challenges added")
