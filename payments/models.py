"""Money: deposits and refunds, invoices and settlement, the ledger."""
