// A payment by card (a bid deposit, an invoice settled through Stripe): Stripe's Payment Element in
// the page. Whether it is paid is decided by the server from Stripe's webhook, never from what this
// page reports.
(function () {
  "use strict";
  const node = document.getElementById("stripe-config");
  if (!node || typeof Stripe === "undefined") return;
  const config = JSON.parse(node.textContent);
  const stripe = Stripe(config.publishableKey);
  const elements = stripe.elements({ clientSecret: config.clientSecret });
  const element = elements.create("payment");
  element.mount("#payment-element");
  const button = document.getElementById("pay-button");
  const error = document.getElementById("payment-error");
  button.addEventListener("click", async function () {
    button.disabled = true;
    error.hidden = true;
    const result = await stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: new URL(config.returnUrl, window.location.href).href },
    });
    if (result.error) {
      error.textContent = config.messages.failed + " " + (result.error.message || "");
      error.hidden = false;
      button.disabled = false;
    }
  });
})();
