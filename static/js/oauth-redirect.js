// The page between Connect and the provider. It follows the link to the
// provider at once. The Content-Security-Policy's form-action 'self' would
// block the form submission from being redirected to another origin, so
// the console answers the Connect POST with this page instead of a redirect,
// and without this script the user follows the link.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const link = document.querySelector("[data-auto-redirect]");
  if (link) {
    window.location.replace(link.href);
  }
});
