"""Who may reach what: every route of the URL configuration asked by every persona.

`access_matrix.csv` (next to this file) holds one row per route and method: the route's name, the
address asked (its `{placeholders}` name objects of the world below) and the answer each persona
gets. The world is the demo's (`seed_demo`: tenders drafted, open, in evaluation, in standstill
and awarded, sealed bids, contracts, an invoice, deposits, a guarantee, a refund) plus a cancelled
tender, a challenge in the standstill, an API token and a team invitation; it is built once for the
module, every answer is read inside a transaction that is rolled back, so no request changes what
the next one sees, and the whole world is rolled back at the end.

A route without a row fails, naming the row to add; an answer that differs from its cell fails,
listing every such cell. `pytest tests/marketplace/test_access_matrix.py --write-access-matrix`
writes the answers of today into the table (new routes get a row whose address must be filled in),
for `git diff` to show what changed.

Answers: the status code, except a redirect to the sign-in page, which reads `login` (any other
redirect is `302`). A POST-only route (a GET answered `405` by someone) has a second row, the
answer to an empty POST carrying a valid CSRF token.
"""

import copy
import csv
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.world import PERSONAS, shared_world

# Marked so that pytest-django makes the test database; the world is the module's own (`answers`).
# The world and some 2,500 requests take a minute or two of one core; more on a busy machine.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]
TABLE = Path(__file__).with_name("access_matrix.csv")

COLUMNS = ["route", "method", "url", *PERSONAS]

# Routes left out, each with its reason. The Django admin's own model pages (changelists, add,
# change, history, delete of every registered model) answer through `AdminSite`, to staff only:
# anyone else is sent to the admin's sign-in. Each list is covered as staff by
# tests/bidding/test_admin_every_list.py; its index and sign-in page stay in the table.
SKIPPED_NAMESPACES = {"admin"}
KEPT_IN_SKIPPED = {"admin:index", "admin:login", "admin:logout"}

CSRF_SECRET = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(32))


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str


def routes() -> list[Route]:
    """Every named route of the URL configuration, includes and namespaces walked."""

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                yield Route(
                    f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed {entry.pattern}>", prefix + str(entry.pattern)
                )

    found = []
    for route in walk(get_resolver(), "/", ""):
        if route.name.split(":")[0] in SKIPPED_NAMESPACES and route.name not in KEPT_IN_SKIPPED:
            continue
        found.append(route)
    return found


def suggested_url(route: Route) -> str:
    """The route's pattern with each parameter as `{?}`, for a new row to fill in."""
    url = re.sub(r"<(?:\w+:)?\w+>", "{?}", route.pattern)
    return re.sub(r"\^|\$|\(\?P<\w+>[^)]*\)", lambda m: "{?}" if m.group().startswith("(") else "", url)


def read_table() -> dict[tuple[str, str], dict[str, str]]:
    with TABLE.open(newline="") as f:
        rows = list(csv.DictReader(f))
    table = {}
    for row in rows:
        key = (row["route"], row["method"])
        assert key not in table, f"{TABLE.name}: two rows for {key}"
        table[key] = row
    return table


def write_table(rows: list[dict[str, str]]) -> None:
    with TABLE.open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def address(url: str, world: dict) -> str:
    def fill(match):
        name = match.group(1)
        assert name in world, f"{TABLE.name}: the placeholder {{{name}}} names nothing in the world (known: {', '.join(sorted(world))})"
        return str(world[name])

    return re.sub(r"\{([\w.?]+)\}", fill, url)


def answer(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "login" if location.split("?")[0] in (settings.LOGIN_URL, "/accounts/login/") else str(response.status_code)
    return str(response.status_code)


def signed_in(email, users) -> Client:
    """A client of the persona, signed in once (an anonymous one for None), sending a CSRF cookie."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if email:
        client.force_login(users[email])
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def ask(client: Client, method: str, url: str) -> str:
    """One request, in a transaction rolled back afterwards (an empty POST that does something is
    undone), and with the client's cookies as they were (a sign-out does not stick either)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {}, HTTP_X_CSRFTOKEN=CSRF_SECRET)
        transaction.set_rollback(True)
    client.cookies = cookies
    return answer(response)


@pytest.fixture(scope="module")
def answers(django_db_setup, django_db_blocker, tmp_path_factory):
    """{(route, method): {persona: answer}} for every row of the table and every route without one."""
    from marketplace.models import User

    table = read_table()
    with shared_world(django_db_blocker, tmp_path_factory.mktemp("media")) as world:
        users = {user.email: user for user in User.objects.filter(email__in=[e for e in PERSONAS.values() if e])}
        clients = {persona: signed_in(email, users) for persona, email in PERSONAS.items()}
        found = {}
        # The clock stands still: the demo's live opening stays a few minutes ahead.
        with time_machine.travel(timezone.now(), tick=False):
            for route in routes():
                row = table.get((route.name, "GET"))
                if row is None or "{?}" in row["url"]:
                    continue
                url = address(row["url"], world)
                found[(route.name, "GET")] = {persona: ask(clients[persona], "GET", url) for persona in PERSONAS}
                if "405" in found[(route.name, "GET")].values():
                    found[(route.name, "POST")] = {persona: ask(clients[persona], "POST", url) for persona in PERSONAS}
    return found


# The checks -----------------------------------------------------------------------------------


def test_every_route_has_a_row_with_an_address():
    table = read_table()
    missing = []
    for route in routes():
        row = table.get((route.name, "GET"))
        if row is None:
            missing.append(f"{route.name},GET,{suggested_url(route)},…  (pattern {route.pattern})")
        elif "{?}" in row["url"]:
            missing.append(f"{route.name}: fill in the address's {{?}} with objects of the world")
    assert not missing, (
        f"Routes without a row in tests/marketplace/{TABLE.name}; add them (run this module with "
        "--write-access-matrix to write the answers, then replace each {?} by a world placeholder):\n  " + "\n  ".join(missing)
    )


def test_no_row_names_a_route_that_is_gone():
    names = {route.name for route in routes()}
    gone = sorted({name for name, _method in read_table() if name not in names})
    assert not gone, f"Rows of {TABLE.name} for routes no longer in the URL configuration: {gone}"


def test_every_answer_is_the_tables(answers, request):
    table = read_table()
    if request.config.getoption("--write-access-matrix"):
        rewrite(table, answers)
    differences = []
    for (name, method), got in answers.items():
        row = table.get((name, method))
        if row is None:
            differences.append(f"{name} {method}: no row; add {name},{method},{table[(name, 'GET')]['url']},{','.join(got.values())}")
            continue
        for persona, value in got.items():
            if row[persona] != value:
                differences.append(f"{name} {method} {row['url']} as {persona}: the table says {row[persona]}, the answer is {value}")
    for name, method in table:
        if method == "POST" and (name, method) not in answers and (name, "GET") in answers:
            differences.append(f"{name} POST: a row, but the route is not POST-only (no 405 to a GET)")
    assert not differences, "The access matrix changed:\n  " + "\n  ".join(differences)


# `/healthz` answers 503 by design while no background worker has reported (none runs here).
UNHEALTHY_BY_DESIGN = {"healthz"}


def test_no_route_answers_anyone_with_a_server_error(answers):
    errors = [
        (name, method, persona)
        for (name, method), got in answers.items()
        for persona, value in got.items()
        if value.startswith("5") and name not in UNHEALTHY_BY_DESIGN
    ]
    assert errors == []


def rewrite(table, answers) -> None:
    rows = []
    for route in routes():
        for method in ("GET", "POST"):
            got = answers.get((route.name, method))
            row = table.get((route.name, method))
            if got is None and not (method == "GET" and row is None):
                if row is not None and method == "GET":
                    rows.append(row)
                continue
            url = row["url"] if row else table.get((route.name, "GET"), {}).get("url", suggested_url(route))
            rows.append({"route": route.name, "method": method, "url": url, **(got or dict.fromkeys(PERSONAS, "?"))})
    write_table(rows)
