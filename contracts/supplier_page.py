"""What contracts add to a firm's profile: its performance record, public."""

from contracts import performance


def performance_section(request, supplier) -> dict:
    return performance.supplier_record(supplier.organisation_id)
