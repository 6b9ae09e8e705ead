"""Decrypting one sealed envelope, in memory: jwcrypto (the opening's reader until December
2026, the floor of `bench.opening_speed`, and the tests' reference) against
`bidding.unsealing.open_compact`, and the opening's checks of the plaintext
(`bidding.reading.check`: JSON, base64 and SHA-256 of the documents). No database: the CPU
cost of a line, without PostgreSQL's.

    .venv/bin/python -m bench.envelope_decrypt    # --mb 1 --envelopes 40 --rounds 5

Each figure is the median over the rounds of the mean time per envelope.
"""

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=1.0, help="size of each sealed envelope (compact JWE), MB")
    parser.add_argument("--envelopes", type=int, default=40, help="envelopes sealed and decrypted each round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    import secrets
    from decimal import Decimal

    from jwcrypto import jwk

    from bidding import reading, sealing, unsealing

    key = jwk.JWK.generate(kty="EC", crv="P-256")
    public, kid = key.export_public(as_dict=True), key.thumbprint()
    opening_key = unsealing.OpeningKey.from_jwk(key)
    envelope_bytes = int(args.mb * 2**20)
    document = secrets.token_bytes(max(1, int((envelope_bytes * 3 / 4 - 400) * 3 / 4)))  # as bench.opening_world
    sealed = []
    for n in range(args.envelopes):
        content = sealing.plaintext(
            tender_id=1,
            envelope="bid",
            organisation_id=n + 1,
            prices={1: Decimal("100.00")},
            currency="EUR",
            documents=[sealing.Document("offer.pdf", "application/pdf", document)],
        )
        sealed.append((n + 1, sealing.seal(content, public, kid=kid, organisation_id=n + 1, tender_id=1)))

    def per_envelope(work) -> float:
        rounds = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for organisation, compact in sealed:
                work(organisation, compact)
            rounds.append((time.perf_counter() - started) / len(sealed) * 1000)
        return statistics.median(rounds)

    def check(organisation, plaintext):
        found = reading.check(plaintext, tender_id=1, organisation_id=organisation, name="bid", currency="EUR", lot_numbers={1})
        assert not found.reason_code, found.reason

    figures = {
        "jwcrypto: decrypt": per_envelope(lambda _organisation, compact: sealing.open_envelope(compact, key)),
        "unsealing: decrypt": per_envelope(lambda _organisation, compact: unsealing.open_compact(compact, opening_key)),
        "unsealing: decrypt + SHA-256 of the JWE + checks": per_envelope(
            lambda organisation, compact: check(organisation, unsealing.open_compact(reading.stored(compact).compact, opening_key))
        ),
    }
    print(f"{args.envelopes} envelopes of {envelope_bytes / 2**20:.1f} MB, median of {args.rounds} rounds, per envelope:")
    for name, ms in figures.items():
        print(f"| {name} | {ms:.2f} ms |")


if __name__ == "__main__":
    main()
