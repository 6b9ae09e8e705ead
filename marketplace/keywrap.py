"""Key wrapping: a secret encrypted with AES-256-GCM under a key-encryption key (KEK).

The stored form is `nonce (12 bytes) ‖ ciphertext ‖ tag`. The associated data names what the
secret belongs to (a key id, a certificate), so a wrapped secret copied onto another row does
not unwrap there. This is the construction the sealing keys use under `SEALING_KEK`; it lives
here, at the bottom layer, so every app wraps the same way.
"""

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def wrap(kek: bytes, secret: bytes, aad: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, secret, aad.encode())


def unwrap(kek: bytes, wrapped: bytes, aad: str) -> bytes:
    """Raises `cryptography.exceptions.InvalidTag` when the key, the associated data or the
    wrapped bytes are wrong."""
    wrapped = bytes(wrapped)
    return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad.encode())
