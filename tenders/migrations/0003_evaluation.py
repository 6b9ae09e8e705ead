from django.db import migrations


class Migration(migrations.Migration):
    """This migration created the evaluation's tables while the evaluation was part of the tenders
    app. They belong to the evaluation app now, whose first migration creates them where they are
    missing and leaves them, with their rows, where this one created them. Kept, empty, so that
    databases which applied it and migrations which follow it stay as they are."""

    dependencies = [("tenders", "0002_search_and_followers")]

    operations = []
