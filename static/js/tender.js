// The tender page: a countdown by the server's clock, and a notice when the tender changes.

const labels = (() => {
  const script = document.getElementById("countdown-labels");
  return script ? JSON.parse(script.textContent) : {};
})();

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

function pad(n) {
  return String(n).padStart(2, "0");
}

// The server said what time it was when it rendered the page; the browser's clock may be wrong,
// so the countdown runs on the difference between the two.
function startCountdown(element) {
  const deadline = Date.parse(element.dataset.deadline);
  const skew = Date.parse(element.dataset.serverNow) - Date.now();
  let counting = false;
  const tick = () => {
    const left = Math.floor((deadline - (Date.now() + skew)) / 1000);
    if (left <= 0) {
      element.textContent = labels.passed || "";
      // Only a deadline that passes while the page is open makes what it shows out of date.
      if (counting) showNotice(labels.deadline);
      return;
    }
    counting = true;
    const days = Math.floor(left / 86400);
    const rest = left % 86400;
    const clock = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
    element.textContent = format(days === 1 ? labels.one : labels.other, { days, clock });
    setTimeout(tick, 1000 - ((Date.now() + skew) % 1000));
  };
  tick();
}

function showNotice(text) {
  const notice = document.querySelector("[data-live-notice]");
  if (!notice || !text) return;
  notice.querySelector("[data-live-notice-text]").textContent = text;
  notice.hidden = false;
}

for (const element of document.querySelectorAll("[data-countdown]")) startCountdown(element);

document.addEventListener("live:event", (event) => {
  const kind = event.detail && event.detail.kind;
  if (labels[kind]) showNotice(labels[kind]);
});
