"""The opening's reader of envelopes (`bidding.unsealing`) against jwcrypto, the independent
reference: on sound and on malformed envelopes, they open the same ones to the same bytes.

jwcrypto is laxer than the platform (it drops characters that are not base64, accepts padding,
`zip`, any kid): where it opens what the reader refuses, the submission (`sealing.inspect`)
refuses that envelope too, so no envelope the platform received can open one way and not the other.
"""

import base64
import binascii
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jwe, jwk

from bidding import reading, sealing, unsealing
from marketplace.errors import ActionError

KEY = jwk.JWK.generate(kty="EC", crv="P-256")
PUBLIC = KEY.export_public(as_dict=True)
KID = KEY.thumbprint()
OPENING_KEY = unsealing.OpeningKey.from_jwk(KEY)
STRANGER = jwk.JWK.generate(kty="EC", crv="P-256").export_public(as_dict=True)
P384 = jwk.JWK.generate(kty="EC", crv="P-384").export_public(as_dict=True)
ORGANISATION, TENDER = 41, 7
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def seal(content: bytes, header: dict | None = None, recipient: dict = PUBLIC) -> str:
    protected = {"alg": "ECDH-ES", "enc": "A256GCM", "kid": KID, "apu": sealing.party_info(ORGANISATION)}
    protected |= {"apv": sealing.party_info(TENDER)} | (header or {})
    token = jwe.JWE(content, protected=json.dumps({name: value for name, value in protected.items() if value is not None}))
    token.add_recipient(jwk.JWK(**recipient))
    return token.serialize(compact=True)


def fast(compact):
    try:
        return "opened", unsealing.open_compact(compact, OPENING_KEY)
    except unsealing.OutsideProfile:
        return "outside", None
    except unsealing.DoesNotDecrypt:
        return "refused", None


def reference(compact) -> bytes | None:
    try:
        return sealing.open_envelope(compact, KEY)
    except Exception:  # whatever jwcrypto refuses with
        return None


def received(compact) -> bool:
    try:
        sealing.inspect("bid", compact, kid=KID, organisation_id=ORGANISATION, tender_id=TENDER, max_bytes=10**7)
    except ActionError:
        return False
    return True


def reencode(compact: str, index: int, change) -> str:
    parts = compact.split(".")
    parts[index] = sealing.b64url(change(base64.urlsafe_b64decode(parts[index] + "==")))
    return ".".join(parts)


def with_header(compact: str, **fields) -> str:
    def change(raw: bytes) -> bytes:
        header = json.loads(raw) | fields
        return json.dumps({name: value for name, value in header.items() if value is not None}).encode()

    return reencode(compact, 0, change)


HEADERS = st.sampled_from(
    [
        {},
        {"typ": "JWT", "cty": "application/json"},
        {"apu": None, "apv": None},
        {"zip": "DEF"},
        {"kid": "another"},
        {"kid": None},
        {"x-extra": 1},
        {"crit": ["exp"], "exp": 1},
    ]
)


@st.composite
def envelopes(draw) -> str:
    """A sealed envelope, sound or altered in one of the ways an envelope can be."""
    content = draw(st.binary(min_size=0, max_size=300))
    recipient = draw(st.sampled_from([PUBLIC, PUBLIC, PUBLIC, STRANGER, P384]))
    compact = seal(content, draw(HEADERS), recipient)
    parts = compact.split(".")
    kind = draw(
        st.sampled_from(
            ["sound", "char", "bit", "header", "truncated", "non-base64", "padding", "segments", "empty", "epk", "empty content"]
        )
    )
    index = draw(st.integers(0, 4))
    if kind == "char" and parts[index]:
        at = draw(st.integers(0, len(parts[index]) - 1))
        parts[index] = parts[index][:at] + draw(st.sampled_from(ALPHABET.replace(parts[index][at], ""))) + parts[index][at + 1 :]
        compact = ".".join(parts)
    elif kind == "bit" and parts[index]:
        bit = draw(st.integers(0, 8 * len(base64.urlsafe_b64decode(parts[index] + "==")) - 1))
        compact = reencode(compact, index, lambda raw: bytes(b ^ (1 << bit % 8) * (i == bit // 8) for i, b in enumerate(raw)))
    elif kind == "header":
        field = draw(st.sampled_from(["alg", "enc", "kid", "zip", "crit", "apu", "epk"]))
        value = draw(st.sampled_from([None, "A128GCM", "RSA-OAEP", "ECDH-ES+A256KW", "dir", "DEF", ["exp"], 7, {}, "MQ"]))
        compact = with_header(compact, **{field: value})
    elif kind == "truncated":
        compact = compact[: draw(st.integers(0, len(compact) - 1))]
    elif kind == "non-base64":
        at = draw(st.integers(0, len(compact)))
        compact = compact[:at] + draw(st.sampled_from(["!", "!!!!", "+", "/", " ", "\n", "é", "\x00", "=="])) + compact[at:]
    elif kind == "padding":
        parts[index] += "=" * (-len(parts[index]) % 4 or 2)
        compact = ".".join(parts)
    elif kind == "segments":
        compact = draw(st.sampled_from([compact + ".", "." + compact, compact + "." + parts[3], ".".join(parts[:4])]))
    elif kind == "empty":
        parts[index] = ""
        compact = ".".join(parts)
    elif kind == "epk":
        epk = json.loads(base64.urlsafe_b64decode(parts[0] + "=="))["epk"]
        changed = draw(
            st.sampled_from(
                [
                    {"crv": "P-384", "x": P384["x"], "y": P384["y"]},
                    {"y": epk["x"]},  # off the curve
                    {"d": epk["x"]},
                    {"kty": "OKP"},
                    {"x": epk["x"][:-2]},
                ]
            )
        )
        compact = with_header(compact, epk=epk | changed)
    elif kind == "empty content":
        compact = seal(b"")
    return compact


@settings(max_examples=600, deadline=None)
@given(compact=envelopes())
def test_the_opening_and_jwcrypto_open_the_same_envelopes_to_the_same_bytes(compact):
    outcome, plaintext = fast(compact)  # raises nothing but NotOpened's kinds
    if compact.isascii():  # as the opening reads it: the stored text's bytes
        assert fast(compact.encode("ascii")) == (outcome, plaintext)
    expected = reference(compact)
    if outcome == "opened":
        assert plaintext == expected
    elif outcome == "refused":
        assert expected is None
    elif expected is not None:  # jwcrypto's laxity: an envelope the platform never receives
        assert not received(compact)
    if received(compact):
        assert plaintext == expected


@pytest.mark.parametrize(
    ("header", "opens"),
    [
        ({}, True),
        ({"typ": "JWT", "cty": "application/json"}, True),
        ({"apu": None, "apv": None}, True),
        ({"zip": "DEF"}, False),
        ({"crit": ["exp"], "exp": 1}, False),
        ({"kid": "another"}, False),
        ({"kid": None}, False),
        ({"x-extra": 1}, False),
    ],
)
def test_the_opening_reads_the_profile_of_the_platform_only(header, opens):
    compact = seal(b'{"a":1}', header)
    assert fast(compact) == (("opened", b'{"a":1}') if opens else ("outside", None))


def test_a_wrong_key_or_an_altered_ciphertext_does_not_decrypt():
    assert fast(seal(b"x", recipient=STRANGER)) == ("refused", None)
    compact = seal(b"hello")
    parts = compact.split(".")
    parts[3] = ("A" if parts[3][0] != "A" else "B") + parts[3][1:]
    assert fast(".".join(parts)) == ("refused", None)
    assert fast(with_header(compact, typ="JWT")) == ("refused", None)  # the header is the AAD


def test_an_epk_with_the_members_of_a_browsers_key_export_is_in_the_profile():
    # WebCrypto's exported JWK carries ext and key_ops; the ECDH-ES header may pass them on.
    compact = seal(b"{}")
    epk = json.loads(base64.urlsafe_b64decode(compact.split(".")[0] + "=="))["epk"]
    altered = with_header(compact, epk=epk | {"ext": True, "key_ops": []})
    assert fast(altered) == ("refused", None)  # in the profile; only the tag (the AAD changed) refuses it


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet=ALPHABET[:6] + "-_+/=!é\n", max_size=14))
def test_a_segment_is_decoded_as_the_strict_base64url_of_the_submission(text):
    try:
        expected = sealing.b64url_decode(text)
    except (ValueError, binascii.Error):
        expected = None
    try:
        decoded = unsealing.decode_segment(text)
    except unsealing.OutsideProfile:
        decoded = None
    assert decoded == expected


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet="AQgw+/=-_ \n\x00é", max_size=14))
def test_a_document_is_decoded_as_the_standard_library_decodes_it(text):
    try:
        expected = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        expected = None
    try:
        decoded = reading._base64(text)
    except (ValueError, binascii.Error):
        decoded = None
    assert decoded == expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)
JSON_NOISE = st.sampled_from(["", "NaN", "1e400", "\\ud800", "\ufeff", "\x01", " ", ",", "]", "}", '"', "[" * 1000, "]" * 1000])


@settings(max_examples=1000, deadline=None)
@given(value=JSON_VALUES, noise=JSON_NOISE, at=st.integers(0, 10**6), encoding=st.sampled_from(["utf-8", "utf-8", "utf-16"]))
def test_a_plaintext_is_read_as_the_standard_library_reads_it(value, noise, at, encoding):
    text = json.dumps(value, ensure_ascii=encoding != "utf-8")
    at %= len(text) + 1
    data = (text[:at] + noise + text[at:]).encode(encoding, "surrogatepass")
    try:
        expected = json.loads(data)
    except (ValueError, RecursionError) as error:
        expected = type(error)
    try:
        read = reading._json(data)
    except (ValueError, RecursionError) as error:
        read = type(error)
    assert repr(read) == repr(expected)  # repr: NaN is not equal to itself, and 1 == 1.0


@pytest.mark.parametrize("depth", [150, 250, 990, 1010, 1030, 1100])
def test_a_deeply_nested_plaintext_is_read_as_the_standard_library_reads_it(depth):
    data = b"[" * depth + b"]" * depth
    try:
        expected = repr(json.loads(data))
    except RecursionError:
        expected = "too deep"
    try:
        read = repr(reading._json(data))
    except RecursionError:
        read = "too deep"
    assert read == expected
