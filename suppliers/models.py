"""The supplier registry: registration, verification, licences, categories, SME status, alerts."""
