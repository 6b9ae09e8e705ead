import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from contracts import authority
from marketplace.env import SettingsError
from tests.marketplace.test_settings import run_check


def test_root_certificate_is_public_pem_of_a_ca(public):
    response = public.get("/api/v1/certificates/root.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pem-certificate-chain"
    root = x509.load_pem_x509_certificate(response.content)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    root.verify_directly_issued_by(root)
    assert root.subject == root.issuer


@pytest.mark.parametrize("accept", ["*/*", "application/pem-certificate-chain", "application/json"])
def test_root_certificate_is_pem_whatever_the_client_accepts(public, accept):
    response = public.get("/api/v1/certificates/root.pem", HTTP_ACCEPT=accept)
    assert response.status_code == 200 and response["Content-Type"] == "application/pem-certificate-chain"
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_an_unknown_format_of_the_root_certificate_is_a_json_404_as_the_schema_says(public):
    from tests.openapi import assert_conforms

    response = public.get("/api/v1/certificates/root.pem", {"format": "AAA"})
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert [error["code"] for error in response.json()["errors"]] == ["not_found"]
    assert_conforms(response)


def test_root_certificate_is_the_one_signatories_chain_to(public):
    published = x509.load_pem_x509_certificate(public.get("/api/v1/certificates/root.pem").content)
    assert published.public_key() == authority.ca_private_key().public_key()


def test_root_certificate_is_in_the_api_schema(public):
    schema = public.get("/api/v1/schema/").content.decode()
    assert "/api/v1/certificates/root.pem" in schema
    assert "application/pem-certificate-chain" in schema


def test_generated_root_is_written_once_and_kept(settings, tmp_path):
    settings.PLATFORM_CA_CERTIFICATE_FILE = tmp_path / "platform_ca.pem"
    first = authority.root_certificate()
    authority._root.cache_clear()
    assert authority.root_certificate() == first
    assert settings.PLATFORM_CA_CERTIFICATE_FILE.read_bytes() == first.public_bytes(serialization.Encoding.PEM)


def test_root_certificate_of_another_key_is_refused(settings):
    other = authority.build_root(ec.generate_private_key(ec.SECP256R1()), "Other Root", now=timezone.now())
    settings.PLATFORM_CA_CERTIFICATE = other.public_bytes(serialization.Encoding.DER)
    with pytest.raises(SettingsError, match="not the certificate of PLATFORM_CA_KEY"):
        authority.root_certificate()


def test_root_from_the_environment_is_used(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    given = authority.build_root(key, "Ministry of Finance e-Procurement CA", now=timezone.now())
    settings.PLATFORM_CA_KEY = key.private_numbers().private_value.to_bytes(32, "big")
    settings.PLATFORM_CA_CERTIFICATE = given.public_bytes(serialization.Encoding.DER)
    assert authority.root_certificate() == given
    assert authority.root_name() == "Ministry of Finance e-Procurement CA"


def test_ca_key_without_its_certificate_stops_start_up(tmp_path):
    key = base64.b64encode(ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")).decode()
    result = run_check(tmp_path, PLATFORM_CA_KEY=key)
    assert result.returncode != 0
    assert "PLATFORM_CA_KEY and PLATFORM_CA_CERTIFICATE are set together" in result.stderr


def test_platform_ca_command_prints_a_pair_that_starts(tmp_path):
    import subprocess
    import sys

    from tests.marketplace.test_settings import ROOT

    printed = subprocess.run(
        [sys.executable, "manage.py", "platform_ca", "--name", "Test Root"],
        cwd=ROOT,
        env={"TENDERHALL_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    pair = dict(line.split("=", 1) for line in printed.stdout.split())
    assert run_check(tmp_path, **pair).returncode == 0
    wrong = base64.b64encode(ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")).decode()
    result = run_check(tmp_path, PLATFORM_CA_KEY=wrong, PLATFORM_CA_CERTIFICATE=pair["PLATFORM_CA_CERTIFICATE"])
    assert "Tenderhall cannot start: PLATFORM_CA_CERTIFICATE is not the certificate of PLATFORM_CA_KEY" in result.stderr
