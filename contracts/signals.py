"""What a contract's life tells other apps. Sent by `contracts.actions` inside the action's
transaction, after the transition: receivers write in the same transaction (or schedule work
with `transaction.on_commit`) and must be quick.

Every signal is sent with `sender=Contract` (unless said otherwise) and the keyword arguments
named below.
"""

from django.dispatch import Signal

# contract, cause ("declined" | "expired"), reason, actor, now — the winner declined the
# contract or let the signing period end: the contract and its award are CANCELLED (the bid
# deposit is forfeited, 政府采购法 Art. 46).
contract_refused = Signal()

# contract, actor, now — both parties signed: the contract is ACTIVE (the winner's bid deposit
# is due back, 政府采购法实施条例 Art. 33).
contract_signed = Signal()

# milestone, actor, now — sent with `sender=Milestone`: the buyer's officer accepted the
# milestone's delivery; its amount may now be invoiced.
milestone_accepted = Signal()

# contract, cause ("completed" | "terminated"), actor, now — the contract ended: every milestone
# accepted, or terminated early by the buyer with its reason and the amount paid (its final value).
contract_closed = Signal()

# contract, amendment, actor, now — both parties signed the amendment: the contract's value
# and period end are now the amendment's (`Amendment.new_value`, `new_period_end`).
contract_amended = Signal()
