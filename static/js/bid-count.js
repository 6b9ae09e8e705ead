// The officers' bid count: updated live from "bids.count" events on tender.<id>.officers.

document.addEventListener("live:event", (event) => {
  const section = event.target.closest("[data-bid-count]");
  if (!section || event.detail.kind !== "bids.count") return;
  section.querySelector("[data-bid-count-value]").textContent = String(event.detail.payload.count);
});
