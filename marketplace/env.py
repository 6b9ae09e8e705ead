"""Typed readers for settings that come from the environment.

Each reader raises `SettingsError` naming the variable when its value is malformed, so a bad
deployment stops at start-up with one clear line instead of failing later at request time.
"""

import base64
import binascii
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class SettingsError(ImproperlyConfigured):
    """A setting read from the environment has a value Tenderhall cannot use."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise SettingsError(f"{name}={value!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name}={number} is below the minimum of {minimum}")
    if maximum is not None and number > maximum:
        raise SettingsError(f"{name}={number} is above the maximum of {maximum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str, *, schemes: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise SettingsError(f"{name}={value!r} must be a URL starting with one of: {', '.join(s + '://' for s in schemes)}")
    if parts.scheme not in {"sqlite"} and not parts.netloc:
        raise SettingsError(f"{name}={value!r} has no host")
    return value


def env_prefixed(name: str, prefixes: tuple[str, ...]) -> str:
    """A token that must start with one of `prefixes` (an API key: `sk_live_`, `whsec_`), or empty."""
    value = env_str(name)
    if value and (not value.startswith(prefixes) or len(value) <= max(len(p) for p in prefixes if value.startswith(p))):
        raise SettingsError(f"{name} must start with {' or '.join(prefixes)} (is it the right key?)")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise SettingsError(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name}={value!r} is not a known time zone (e.g. UTC, Europe/Brussels, Asia/Shanghai)") from None
    return value


def generated_secret(path: Path, nbytes: int = 48) -> str:
    """Read a secret kept in the data folder, generating it on first use.

    Only the embedded default uses this; production passes secrets in the environment. The
    file is created with mode 0600 and written atomically so two processes starting at once
    agree on one value.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(nbytes)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(candidate)
    tmp.chmod(0o600)
    try:
        # link() fails if another process created the file first; then theirs wins.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def decode_key(name: str, value: str, nbytes: int) -> bytes:
    """A key given as base64 (standard or URL-safe alphabet, padding optional) of exactly `nbytes` bytes."""
    text = value.strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{name} is not base64 (expected the base64 of {nbytes} random bytes)") from None
    if len(key) != nbytes:
        raise SettingsError(f"{name} decodes to {len(key)} bytes; it must be the base64 of exactly {nbytes} random bytes")
    return key


def env_key(name: str, nbytes: int, generated: Path) -> bytes:
    """A binary key from the environment, or (embedded default) generated once into the data folder."""
    value = env_str(name)
    if value:
        return decode_key(name, value, nbytes)
    return decode_key(f"{name} (generated into {generated})", generated_secret(generated, nbytes), nbytes)


def env_certificate(name: str) -> bytes | None:
    """An X.509 certificate given as PEM or as base64 of its DER (one line, easier to pass in an
    environment); returns the DER, or None when unset. Only the encoding is checked here."""
    value = env_str(name)
    if not value:
        return None
    if value.startswith("-----BEGIN CERTIFICATE-----"):
        body = value.replace("\\n", "\n").split("-----")[2]
        value = "".join(body.split())
    try:
        der = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{name} is neither a PEM certificate nor the base64 of a DER one") from None
    if not der.startswith(b"\x30"):
        raise SettingsError(f"{name} does not hold a DER certificate (an ASN.1 SEQUENCE)")
    return der
