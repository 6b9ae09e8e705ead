"""Two requests needing a person's first certificate at once end with one certificate."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from contracts import certificates
from contracts.models import SignatoryCertificate
from marketplace.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_first_need_issues_one_certificate(supplier_a, supplier_org_a):
    start = threading.Barrier(4)
    issued, failures = [], []

    def need():
        start.wait()
        try:
            issued.append(certificates.signatory_certificate(supplier_a, supplier_org_a, now=timezone.now()).pk)
        except Exception as failure:  # reported below: no request may fail
            failures.append(failure)
        finally:
            connection.close()

    threads = [threading.Thread(target=need) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(issued)) == 1 and len(issued) == 4
    assert SignatoryCertificate.objects.count() == 1
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1
