import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.env import SettingsError, env_bool, env_int, generated_secret

ROOT = Path(__file__).resolve().parents[2]


def run_check(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    environment |= {"TENDERHALL_DATA_DIR": str(tmp_path)} | env
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://db/tenderhall", "DATABASE_URL='mysql://db/tenderhall' must be a URL"),
        ("DATABASE_URL", "postgres://", "DATABASE_URL='postgres://' has no host"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL='localhost:6379' must be a URL"),
        ("SECRET_KEY", "short", "SECRET_KEY is shorter than 32 characters"),
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE='Mars/Olympus' is not a known time zone"),
        ("SITE_URL", "tenders.example", "SITE_URL='tenders.example' must be a URL"),
        ("SITE_URL", "http://tenders.example", "must use https:// when DEBUG is off"),
        ("EMAIL_BACKEND", "pigeon", "EMAIL_BACKEND='pigeon' must be one of"),
        ("EMAIL_PORT", "seventy", "EMAIL_PORT='seventy' is not a whole number"),
        ("REDIS_SOCKET_TIMEOUT", "5", "REDIS_SOCKET_TIMEOUT=5 is below the minimum of 10"),
        ("LANGUAGE_CODE", "fr", "LANGUAGE_CODE='fr' must be one of"),
        ("SIGNING_KEYS_RETIRED", "c2hvcnQ=", "SIGNING_KEYS_RETIRED decodes to 5 bytes"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, variable, value, says):
    result = run_check(tmp_path, **{variable: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Tenderhall cannot start:")
    assert variable in lines[0] and says in lines[0]


def test_good_production_settings_are_accepted(tmp_path):
    result = run_check(
        tmp_path,
        SITE_URL="https://tenders.example",
        SECRET_KEY="x" * 50,
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="tenders.example",
    )
    assert result.returncode == 0, result.stderr


def test_production_defaults_are_strict_over_https(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment |= {
        "TENDERHALL_DATA_DIR": str(tmp_path),
        "SITE_URL": "https://tenders.example",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True", "True", "True", "31536000"], out.stderr


def test_redis_layer_sets_a_socket_timeout_above_the_blocking_pop(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['socket_timeout'])"
    environment = dict(os.environ) | {"TENDERHALL_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/0"}
    environment["DJANGO_SETTINGS_MODULE"] = "marketplace.settings"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert int(out.stdout) > 5  # channels-redis blocks for 5 s per pop


def test_secret_is_generated_once_and_reused(tmp_path):
    first = generated_secret(tmp_path / "secret_key")
    assert len(first) >= 32
    assert generated_secret(tmp_path / "secret_key") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_typed_readers(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    monkeypatch.setenv("COUNT", "12")
    assert env_bool("FLAG", False) is True
    assert env_int("COUNT", 0, maximum=20) == 12
    monkeypatch.setenv("COUNT", "30")
    with pytest.raises(SettingsError, match="COUNT=30 is above the maximum of 20"):
        env_int("COUNT", 0, maximum=20)


def test_the_data_folder_is_private_to_the_platforms_user(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    assert run_check(data).returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert (data / "secret_key").exists()  # what the folder keeps from other users
