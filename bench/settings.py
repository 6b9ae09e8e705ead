"""Settings daphne runs with during the benchmark: the product's, plus the ceiling endpoint.

Never deployed: `bench.urls` adds a bare authenticated endpoint that stores 100 KB in one row,
the yardstick the bid submission is measured against.
"""

from marketplace.env import env_choice
from marketplace.settings import *  # noqa: F403
from marketplace.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
ASGI_APPLICATION = "bench.asgi.application"
# Which row lock the submission takes on the tender: the product's FOR SHARE, or FOR UPDATE
# for comparison (see the README's benchmark section).
BIDDING_TENDER_LOCK = env_choice("BENCH_TENDER_LOCK", "share", ("share", "update"))
