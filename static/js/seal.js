// Sealing a bid envelope in the browser, with WebCrypto only.
//
// Output: a compact JWE (RFC 7516) with alg "ECDH-ES" (direct key agreement, RFC 7518 §4.6),
// enc "A256GCM", the envelope key's kid, an ephemeral P-256 key (epk) and the party info apu
// (the bidding organisation's id) and apv (the tender's id). The content key is the Concat KDF
// (NIST SP 800-56A, single SHA-256 round) of the ECDH shared secret:
//   SHA-256( 00000001 ‖ Z ‖ len‖"A256GCM" ‖ len‖apu ‖ len‖apv ‖ 00000100 )
// and the AAD of AES-GCM is the ASCII of the base64url protected header.

const encoder = new TextEncoder();

export function base64url(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < view.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, view.subarray(i, i + CHUNK));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function base64(bytes, onProgress) {
  // Large documents are encoded in chunks (a multiple of 3 bytes) so progress can be shown.
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const CHUNK = 3 * 0x40000;
  const parts = [];
  for (let i = 0; i < view.length; i += CHUNK) {
    let binary = "";
    const slice = view.subarray(i, Math.min(i + CHUNK, view.length));
    for (let j = 0; j < slice.length; j += 0x8000) {
      binary += String.fromCharCode.apply(null, slice.subarray(j, j + 0x8000));
    }
    parts.push(btoa(binary));
    if (onProgress) onProgress(Math.min(1, (i + CHUNK) / view.length));
  }
  return parts.join("");
}

export function partyInfo(identifier) {
  return base64url(encoder.encode(String(identifier)));
}

function lengthPrefixed(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function concat(...arrays) {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

function fromBase64url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// RFC 7518 §4.6.2: Concat KDF with SHA-256, keydatalen 256 bits (one round), for direct use.
export async function concatKdf(sharedSecret, enc, apu, apv) {
  const keyBits = new Uint8Array(4);
  new DataView(keyBits.buffer).setUint32(0, 256);
  const otherInfo = concat(lengthPrefixed(encoder.encode(enc)), lengthPrefixed(apu), lengthPrefixed(apv), keyBits);
  const round = concat(new Uint8Array([0, 0, 0, 1]), new Uint8Array(sharedSecret), otherInfo);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", round));
}

export async function sealEnvelope({ jwk, kid, plaintext, organisation, tender }) {
  if (!globalThis.crypto || !crypto.subtle) throw new Error("WebCrypto is unavailable");
  const recipient = await crypto.subtle.importKey(
    "jwk",
    { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const ephemeral = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const epk = await crypto.subtle.exportKey("jwk", ephemeral.publicKey);
  const sharedSecret = await crypto.subtle.deriveBits({ name: "ECDH", public: recipient }, ephemeral.privateKey, 256);
  const apu = partyInfo(organisation);
  const apv = partyInfo(tender);
  const header = {
    alg: "ECDH-ES",
    enc: "A256GCM",
    kid,
    epk: { kty: "EC", crv: "P-256", x: epk.x, y: epk.y },
    apu,
    apv,
  };
  const cek = await concatKdf(sharedSecret, "A256GCM", fromBase64url(apu), fromBase64url(apv));
  const key = await crypto.subtle.importKey("raw", cek, { name: "AES-GCM" }, false, ["encrypt"]);
  cek.fill(0);
  const protectedHeader = base64url(encoder.encode(JSON.stringify(header)));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(protectedHeader), tagLength: 128 },
      key,
      plaintext,
    ),
  );
  const ciphertext = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  return [protectedHeader, "", base64url(iv), base64url(ciphertext), base64url(tag)].join(".");
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
