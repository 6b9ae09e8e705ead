// The bid form: builds each envelope's plaintext JSON (DESIGN.md), seals it in this browser
// with seal.js, and uploads only the compact JWEs. Progress is shown while reading, sealing
// and uploading large documents.

import { problems } from "./plaintext-check.js";
import { base64, sealEnvelope, sha256Hex } from "./seal.js";

const PRICE = /^\d{1,16}(\.\d{1,2})?$/;
// The opening rejects a price that is not greater than zero: refused here before sealing.
const ZERO = /^0+(\.0{1,2})?$/;

function readFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    reader.addEventListener("load", () => resolve(new Uint8Array(reader.result)));
    reader.addEventListener("error", () => reject(reader.error));
    reader.readAsArrayBuffer(file);
  });
}

function cookie(name) {
  const match = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

function upload(url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRFToken", cookie("csrftoken"));
    request.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    request.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(request.responseText);
      } catch {
        data = null;
      }
      resolve({ status: request.status, data });
    });
    request.addEventListener("error", () => reject(new Error("network error")));
    request.send(body);
  });
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
}

class BidForm {
  constructor(form, config) {
    this.form = form;
    this.config = config;
    this.text = config.text;
    this.progress = form.querySelector("[data-seal-progress]");
    this.status = form.querySelector("[data-seal-status]");
    this.button = form.querySelector("[data-seal-submit]");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit().catch((error) => this.fail(error.message));
    });
    const summary = form.querySelector("[data-seal-summary]");
    if (summary) {
      summary.hidden = false;
      summary.addEventListener("click", () => this.downloadSummary().catch((error) => this.fail(error.message)));
    }
  }

  // What the firm is about to seal, for its own records: prices and each document's name, size
  // and SHA-256 (the digest the envelope's plaintext carries). Made here, saved here, never sent.
  async downloadSummary() {
    this.status.classList.remove("error");
    const prices = this.prices();
    const { tender, organisation, envelopes } = this.config;
    const summary = { tender, organisation, prepared_at: new Date().toISOString(), lots: prices, envelopes: {} };
    for (const envelope of envelopes) {
      const input = this.form.querySelector(`[data-documents="${envelope.name}"]`);
      const documents = [];
      for (const file of input ? Array.from(input.files) : []) {
        const bytes = await readFile(file, (f) => this.show(this.text.reading, f));
        documents.push({ name: file.name, size: file.size, sha256: await sha256Hex(bytes) });
      }
      summary.envelopes[envelope.name] = { kid: envelope.kid, documents };
    }
    const blob = new Blob([JSON.stringify(summary, null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `bid-summary-${tender}-${organisation}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    this.progress.hidden = true;
    this.show(this.text.summarised);
  }

  show(message, fraction) {
    this.status.textContent = message;
    if (fraction === undefined) return;
    this.progress.hidden = false;
    this.progress.value = Math.round(fraction * 100);
  }

  fail(message) {
    this.button.disabled = false;
    this.progress.hidden = true;
    this.status.classList.add("error");
    this.status.textContent = `${this.text.failed} ${message}`;
  }

  // The message beside the price field, tied to it for screen readers.
  priceError(input, message) {
    const note = this.form.querySelector(`#${input.id}-error`);
    input.closest(".field").classList.toggle("has-error", Boolean(message));
    if (note) note.remove();
    if (!message) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      return;
    }
    const error = document.createElement("p");
    error.className = "errorlist";
    error.id = `${input.id}-error`;
    error.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", error.id);
    input.after(error);
  }

  prices() {
    const prices = [];
    let refusal = "";
    for (const input of this.form.querySelectorAll("[data-lot]")) {
      const value = input.value.trim().replace(/\s/g, "");
      let problem = "";
      if (value && !PRICE.test(value)) problem = this.text.badPrice;
      else if (value && ZERO.test(value)) problem = this.text.zeroPrice;
      this.priceError(input, problem);
      refusal = refusal || problem;
      if (value && !problem) prices.push({ lot: Number(input.dataset.lot), price: { amount: value, currency: this.config.currency } });
    }
    if (refusal) throw new Error(refusal);
    if (!prices.length) throw new Error(this.text.noPrice);
    return prices;
  }

  async documents(name, weight, start) {
    const input = this.form.querySelector(`[data-documents="${name}"]`);
    const files = input ? Array.from(input.files) : [];
    const total = files.reduce((n, f) => n + f.size, 0) || 1;
    let done = 0;
    const documents = [];
    for (const file of files) {
      const share = file.size / total;
      const bytes = await readFile(file, (f) => this.show(this.text.reading, start + weight * (done + (share * f) / 2)));
      const content = base64(bytes, (f) => this.show(this.text.reading, start + weight * (done + share / 2 + (share * f) / 2)));
      documents.push({ name: file.name, media_type: file.type || "application/octet-stream", sha256: await sha256Hex(bytes), content });
      done += share;
    }
    return documents;
  }

  async submit() {
    this.status.classList.remove("error");
    const prices = this.prices();
    this.button.disabled = true;
    const { tender, organisation, envelopes } = this.config;
    const sealed = {};
    const twoEnvelopes = envelopes.length > 1;
    const step = 0.6 / envelopes.length;
    for (const [index, envelope] of envelopes.entries()) {
      const start = index * step;
      const plaintext = {
        tender,
        envelope: envelope.name,
        organisation,
        // The technical envelope holds no price: the lots bid for are in the submission itself.
        lots: twoEnvelopes && envelope.name === "technical" ? [] : prices,
        documents: await this.documents(envelope.name, step * 0.7, start),
      };
      // Nothing the opening would refuse is sealed: the plaintext is checked against the
      // tender's published schema first.
      const wrong = problems(this.config.schema, plaintext);
      if (wrong.length) throw new Error(`${this.text.unreadable} ${wrong.slice(0, 3).join("; ")}`);
      this.show(fill(this.text.sealing, { name: envelope.name }), start + step * 0.8);
      const bytes = new TextEncoder().encode(JSON.stringify(plaintext));
      sealed[envelope.name] = await sealEnvelope({ jwk: envelope.jwk, kid: envelope.kid, plaintext: bytes, organisation, tender });
      if (sealed[envelope.name].length > this.config.maxEnvelopeBytes) throw new Error(fill(this.text.tooLarge, { name: envelope.name }));
    }
    const body = JSON.stringify({ envelopes: sealed, lots: prices.map((p) => p.lot), organisation });
    const url = this.config.replaceUrl || this.config.submitUrl;
    const response = await upload(url, body, (f) => this.show(this.text.uploading, 0.6 + 0.4 * f));
    if (response.status !== 201) {
      const errors = (response.data && response.data.errors) || [{ message: `HTTP ${response.status}` }];
      throw new Error(errors.map((e) => e.message).join(" "));
    }
    this.show(`${this.text.received} ${response.data.receipt}`, 1);
    this.form.dataset.receipt = response.data.receipt;
    this.form.dispatchEvent(new CustomEvent("bid:received", { detail: response.data, bubbles: true }));
    window.location.assign(this.config.pageUrl);
  }
}

const configElement = document.getElementById("sealing-config");
const form = document.querySelector("[data-seal-form]");
if (configElement && form) {
  const config = JSON.parse(configElement.textContent);
  if (!globalThis.crypto || !crypto.subtle) {
    form.querySelector("[data-seal-status]").textContent = config.text.noCrypto;
    form.querySelector("[data-seal-submit]").disabled = true;
  } else {
    new BidForm(form, config);
  }
}
