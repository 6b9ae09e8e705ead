// The opening room: custodians present, then each line of the record as it is read, from the
// live events on tender.<id> (live.js delivers them in order, once, resuming after reloads).
// The page already shows everything committed before it was rendered; this adds what follows.

const room = document.querySelector("[data-opening-room]");
const labels = (() => {
  const script = document.getElementById("countdown-labels");
  return script ? JSON.parse(script.textContent) : {};
})();
const ownSuppliers = new Set(((room && room.dataset.ownSuppliers) || "").split(",").filter(Boolean).map(Number));

function format(template, values) {
  return (template || "").replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

function formatSize(bytes) {
  const units = ["bytes", "KB", "MB", "GB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${size} ${units[0]}` : `${size.toFixed(1)} ${units[unit]}`;
}

function setStatus(text) {
  const status = room.querySelector("[data-room-status]");
  if (status && text) status.textContent = text;
}

function roundSection(round) {
  let section = room.querySelector(`[data-rounds] [data-round="${round}"]`);
  if (section) return section;
  const template = room.querySelector("template[data-round-template]");
  section = template.content.firstElementChild.cloneNode(true);
  section.dataset.round = round;
  section.querySelector("[data-round-label]").textContent = (labels.rounds || {})[round] || round;
  room.querySelector("[data-rounds]").append(section);
  room.querySelector("[data-record-link]").hidden = false;
  return section;
}

function setRoundStatus(section, status) {
  section.querySelector("[data-round-status]").textContent = (labels.statuses || {})[status] || status;
}

function showProgress(section) {
  const bids = Number(section.dataset.bids || 0);
  if (!bids) return;
  const read = section.querySelectorAll("[data-lines] tr").length;
  section.querySelector("[data-round-progress]").textContent = format(labels.reading, { read, bids });
}

// A moment as the server writes it on every page: 2026-12-12 05:40 CET, in the platform's time zone.
function moment(date) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: room.dataset.timeZone || "UTC",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZoneName: "short",
  });
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

function lineRow(line) {
  const template = room.querySelector("template[data-line-template]");
  const row = template.content.firstElementChild.cloneNode(true);
  const cell = (name) => row.querySelector(`[data-cell="${name}"]`);
  const supplier = line.supplier || {};
  row.dataset.position = String(line.position);
  cell("position").textContent = String(line.position);
  cell("supplier").textContent = supplier.name || "";
  if (ownSuppliers.has(supplier.id)) {
    row.classList.add("own-bid");
    row.querySelector("[data-own-label]").hidden = false;
  }
  if (line.received_at) {
    cell("received").dateTime = line.received_at;
    cell("received").textContent = moment(new Date(line.received_at));
  }
  const lots = line.lots || [];
  if (lots.length) {
    for (const lot of lots) {
      const item = document.createElement("div");
      const price = document.createElement("strong");
      price.textContent = `${lot.price.amount} ${lot.price.currency}`;
      item.append(`${format(labels.lot, { lot: lot.lot })}: `, price);
      cell("prices").append(item);
    }
  } else {
    cell("prices").textContent = "—";
  }
  const documents = line.documents || [];
  for (const document_ of documents) {
    const item = document.createElement("div");
    const size = document.createElement("span");
    size.className = "muted";
    size.textContent = `(${formatSize(document_.size)})`;
    item.append(`${document_.name} `, size);
    cell("documents").append(item);
  }
  if (!documents.length) cell("documents").textContent = line.result === "rejected" ? "—" : labels.no_documents;
  if (line.result === "rejected") {
    row.classList.add("rejected");
    const result = document.createElement("strong");
    result.className = "result-rejected";
    result.textContent = labels.rejected;
    const reason = document.createElement("div");
    reason.className = "reason";
    reason.textContent = line.reason || "";
    cell("result").append(result, reason);
  } else {
    const result = document.createElement("span");
    result.className = "result-opened";
    result.textContent = labels.opened;
    cell("result").append(result);
  }
  return row;
}

function addLine(line) {
  const section = roundSection(line.round);
  const body = section.querySelector("[data-lines]");
  if (body.querySelector(`tr[data-position="${line.position}"]`)) return; // already on the page
  const row = lineRow(line);
  const later = [...body.querySelectorAll("tr")].find((other) => Number(other.dataset.position) > line.position);
  body.insertBefore(row, later || null);
  row.classList.add("just-read");
  showProgress(section);
}

const handlers = {
  "opening.custodians": (payload) => {
    const present = room.querySelector("[data-custodians-present]");
    if (present) present.textContent = format(labels.custodians, payload);
  },
  "opening.started": (payload) => {
    const section = roundSection(payload.round);
    section.dataset.bids = String(payload.bids || 0);
    setRoundStatus(section, "running");
    showProgress(section);
    setStatus(labels["tender.opening"]);
  },
  "opening.line": (payload) => addLine(payload),
  "opening.completed": (payload) => {
    const section = roundSection(payload.round);
    setRoundStatus(section, "complete");
    const complete = section.querySelector("[data-round-complete]");
    complete.querySelector("[data-round-summary]").textContent = format(labels.summary, payload);
    complete.querySelector("[data-round-signature]").value = payload.signature || "";
    complete.hidden = false;
  },
};

if (room) {
  room.addEventListener("live:event", (event) => {
    const { kind, payload } = event.detail;
    if (handlers[kind]) handlers[kind](payload || {});
    else if (labels[kind]) setStatus(labels[kind]);
  });
}
