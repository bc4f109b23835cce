// The page at the end of Connect. In a popup, a success makes the endpoint
// pages of this console reload, then closes the popup. The endpoint page
// listens on a BroadcastChannel rather than relying on window.opener, which
// the browser severs when the popup passes through the provider's origin.
"use strict";

const CONNECT_RESULT_CHANNEL = "endpoint-console-oauth";

document.addEventListener("DOMContentLoaded", () => {
  const result = document.querySelector("[data-oauth-result]");
  if (!result) {
    return;
  }
  const closeButton = result.querySelector("[data-close-window]");
  if (closeButton) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", () => window.close());
  }
  if (result.dataset.oauthResult !== "connected") {
    return;
  }
  const message = { outcome: "connected", endpoint: result.dataset.endpoint };
  if ("BroadcastChannel" in window) {
    const channel = new BroadcastChannel(CONNECT_RESULT_CHANNEL);
    channel.postMessage(message);
    channel.close();
  }
  if (window.opener && !window.opener.closed) {
    try {
      window.opener.postMessage(message, window.location.origin);
    } catch (error) {
      // An opener on another origin cannot receive it; the channel did.
    }
  }
  if (result.dataset.popup === "true") {
    window.close();
  }
});
