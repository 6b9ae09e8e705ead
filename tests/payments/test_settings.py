import pytest

from tests.marketplace.test_settings import run_check

STRIPE_TEST = {"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_PUBLISHABLE_KEY": "pk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_abc"}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"STRIPE_SECRET_KEY": "pk_test_abc"}, "STRIPE_SECRET_KEY must start with sk_test_"),
        (STRIPE_TEST | {"STRIPE_WEBHOOK_SECRET": "abc"}, "STRIPE_WEBHOOK_SECRET must start with whsec_"),
        ({"STRIPE_SECRET_KEY": "sk_test_abc"}, "STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET must be set too"),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_abc"}, "without STRIPE_SECRET_KEY"),
        (STRIPE_TEST | {"STRIPE_PUBLISHABLE_KEY": "pk_live_abc"}, "from different modes"),
        (STRIPE_TEST | {"STRIPE_API_BASE": "http://stripe.internal"}, "STRIPE_API_BASE='http://stripe.internal' must use https://"),
        (STRIPE_TEST | {"STRIPE_API_BASE": "ftp://stripe"}, "STRIPE_API_BASE='ftp://stripe' must be a URL"),
        (
            {
                "STRIPE_SECRET_KEY": "sk_live_abc",
                "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
                "STRIPE_WEBHOOK_SECRET": "whsec_abc",
                "STRIPE_API_BASE": "http://127.0.0.1:8420",
            },
            "a live STRIPE_SECRET_KEY may only be sent to https://api.stripe.com",
        ),
        (STRIPE_TEST | {"STRIPE_WEBHOOK_TOLERANCE": "5"}, "STRIPE_WEBHOOK_TOLERANCE=5 is below the minimum of 10"),
    ],
)
def test_bad_stripe_setting_stops_start_up_naming_it(tmp_path, env, says):
    result = run_check(tmp_path, **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Tenderhall cannot start:"), result.stderr
    assert says in lines[0]


def test_stripe_against_a_local_test_server_is_accepted(tmp_path):
    assert run_check(tmp_path, **STRIPE_TEST, STRIPE_API_BASE="http://127.0.0.1:8420").returncode == 0
