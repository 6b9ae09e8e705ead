"""Settings daphne runs with during the benchmark: the product's, plus the ceiling endpoint.

Never deployed: `bench.urls` adds a bare authenticated endpoint that stores 100 KB in one row,
the yardstick the bid submission is measured against.
"""

from marketplace.settings import *  # noqa: F403
from marketplace.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
ASGI_APPLICATION = "bench.asgi.application"
