// Live events: one websocket per element with data-live-subject, resuming after the last
// event seen. Elements receive "live:event" DOM events; pages still work without this script.

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;
const FINAL_CODES = new Set([4400, 4403]);

export class LiveConnection {
  constructor(subject, after, onEvent) {
    this.subject = subject;
    this.after = after;
    this.onEvent = onEvent;
    this.retryMs = RETRY_MIN_MS;
    this.stopped = false;
    this.open();
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // batch=1: the server may put several events in one frame when they come thick and fast.
    const params = new URLSearchParams({ subject: this.subject, batch: "1" });
    if (this.after !== null && this.after !== undefined && this.after !== "") params.set("after", String(this.after));
    return `${scheme}//${location.host}/ws/live/?${params}`;
  }

  open() {
    this.socket = new WebSocket(this.url());
    this.socket.addEventListener("open", () => {
      this.retryMs = RETRY_MIN_MS;
      this.isOpen = true;
      LiveConnection.setBadge(+1);
    });
    this.socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "hello") {
        this.after = data.seq;
      } else if (data.type === "event" || data.type === "events") {
        for (const event of data.type === "events" ? data.events : [data]) {
          this.after = event.seq;
          this.onEvent(event);
        }
      }
    });
    this.socket.addEventListener("close", (close) => {
      if (this.isOpen) LiveConnection.setBadge(-1);
      this.isOpen = false;
      if (this.stopped || FINAL_CODES.has(close.code)) return;
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    });
  }

  close() {
    this.stopped = true;
    this.socket.close();
  }

  static setBadge(delta) {
    LiveConnection.openCount = Math.max(0, (LiveConnection.openCount || 0) + delta);
    for (const badge of document.querySelectorAll("[data-live-badge]")) {
      badge.hidden = LiveConnection.openCount === 0;
    }
  }
}

export function connectAll(root = document) {
  const connections = [];
  for (const element of root.querySelectorAll("[data-live-subject]")) {
    const connection = new LiveConnection(element.dataset.liveSubject, element.dataset.liveAfter, (event) => {
      element.dataset.liveAfter = String(event.seq);
      element.dispatchEvent(new CustomEvent("live:event", { detail: event, bubbles: true }));
    });
    connections.push(connection);
  }
  return connections;
}

// A simple default: elements with data-live-feed list the events' titles as they arrive.
document.addEventListener("live:event", (event) => {
  const feed = event.target.querySelector("[data-live-feed]");
  const title = event.detail.payload && event.detail.payload.title;
  if (!feed || !title) return;
  const item = document.createElement("li");
  item.textContent = title;
  feed.prepend(item);
});

connectAll();
