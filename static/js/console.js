// Progressive enhancements for the console's pages. Every page works without
// this script. It moves focus to a form's error summary, hides fields that do
// not apply, adds formset rows, copies text, opens Connect in a popup, and
// shows Test Authentication results without reloading the page.
"use strict";

// A field wrapper with data-show-when="<input name>=<value>" is shown only
// while that input has that value. Hidden inputs are disabled, so they are
// neither submitted nor reachable by keyboard.
function updateConditionalFields(form) {
  for (const wrapper of form.querySelectorAll("[data-show-when]")) {
    const [name, expected] = wrapper.dataset.showWhen.split("=");
    const controls = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    let current = "";
    for (const control of controls) {
      if ((control.type === "radio" || control.type === "checkbox") && !control.checked) {
        continue;
      }
      current = control.value;
    }
    const shown = current === expected;
    wrapper.hidden = !shown;
    for (const input of wrapper.querySelectorAll("input, select, textarea")) {
      input.disabled = !shown || input.dataset.alwaysDisabled === "true";
    }
  }
}

function setUpConditionalFields() {
  for (const form of document.querySelectorAll("form")) {
    if (!form.querySelector("[data-show-when]")) {
      continue;
    }
    for (const input of form.querySelectorAll("input[disabled], select[disabled]")) {
      input.dataset.alwaysDisabled = "true";
    }
    updateConditionalFields(form);
    form.addEventListener("change", () => updateConditionalFields(form));
  }
}

// The error summary of a submitted form (data-error-summary) takes focus
// when the page loads, so keyboard and screen reader users start at the list
// of problems. Its links move focus to their fields, not only the view.
function setUpErrorSummary() {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) {
      return;
    }
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: "center" });
  });
}

// "Add another" for Django formsets: clones the formset's <template> row,
// replacing __prefix__ with the next form index.
function setUpFormsetRows() {
  for (const button of document.querySelectorAll("[data-add-row]")) {
    const prefix = button.dataset.addRow;
    const template = document.getElementById(`${prefix}-empty-row`);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const body = document.querySelector(`[data-formset="${CSS.escape(prefix)}"] tbody`);
    if (!template || !total || !body) {
      continue;
    }
    button.addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      body.insertAdjacentHTML("beforeend", html.replaceAll("row new", `row ${index + 1}`));
      total.value = String(index + 1);
      // The row starts with its hidden id fields, which cannot take focus.
      const firstInput = body.lastElementChild.querySelector(
        "select, input:not([type='hidden'])",
      );
      if (firstInput) {
        firstInput.focus();
      }
    });
  }
}

// Copy buttons: data-copy-target names the element whose value or text is
// copied to the clipboard.
function setUpCopyButtons() {
  for (const button of document.querySelectorAll("[data-copy-target]")) {
    button.addEventListener("click", async () => {
      const target = document.getElementById(button.dataset.copyTarget);
      if (!target) {
        return;
      }
      const text = "value" in target ? target.value : target.textContent;
      const status = document.getElementById(`${button.dataset.copyTarget}-status`);
      try {
        await navigator.clipboard.writeText(text.trim());
        if (status) {
          status.textContent = "Copied.";
        }
      } catch (error) {
        if ("select" in target) {
          target.select();
        }
        if (status) {
          status.textContent = "Copying failed; the text is selected, press Ctrl+C.";
        }
      }
    });
  }
}

// Test Authentication buttons (data-auth-test) post the whole form to their
// formaction and put the returned fragment into #auth-test-result, so that
// typed secrets stay in the form. Without this script the button submits
// the form and the page comes back with the result.
function setUpAuthTestButtons() {
  for (const button of document.querySelectorAll("[data-auth-test]")) {
    const result = document.getElementById("auth-test-result");
    if (!result) {
      continue;
    }
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const form = button.form;
      button.disabled = true;
      result.textContent = "Testing…";
      try {
        const response = await fetch(button.formAction, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-Requested-With": "fetch" },
          credentials: "same-origin",
        });
        if (response.status === 200 || response.status === 400) {
          result.innerHTML = await response.text();
        } else {
          result.textContent = `The test could not run (HTTP ${response.status}).`;
        }
      } catch (error) {
        result.textContent = "The test could not run: the console did not answer.";
      } finally {
        button.disabled = false;
      }
    });
  }
}

// Connect buttons (data-oauth-connect) submit the endpoint form into a popup
// window, so the endpoint page stays open. When the browser blocks the
// popup, or without this script, Connect runs in this window and comes back
// to the endpoint page. The page reloads when the popup reports success
// (see oauth-callback.js).
const OAUTH_CHANNEL = "endpoint-console-oauth";
const OAUTH_POPUP_NAME = "endpoint-console-connect";

function setUpConnectButtons() {
  for (const button of document.querySelectorAll("[data-oauth-connect]")) {
    button.addEventListener("click", () => {
      const popup = window.open("", OAUTH_POPUP_NAME, "popup,width=640,height=760");
      if (popup) {
        button.formTarget = OAUTH_POPUP_NAME;
        button.value = "1";
      } else {
        button.formTarget = "";
        button.value = "0";
      }
    });
  }
  const panel = document.querySelector("[data-oauth-panel][data-endpoint]");
  if (!panel) {
    return;
  }
  const reloadOnConnected = (data) => {
    if (data && data.outcome === "connected" && data.endpoint === panel.dataset.endpoint) {
      window.location.reload();
    }
  };
  if ("BroadcastChannel" in window) {
    const channel = new BroadcastChannel(OAUTH_CHANNEL);
    channel.addEventListener("message", (event) => reloadOnConnected(event.data));
  }
  window.addEventListener("message", (event) => {
    if (event.origin === window.location.origin) {
      reloadOnConnected(event.data);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpErrorSummary();
  setUpConditionalFields();
  setUpConnectButtons();
  setUpFormsetRows();
  setUpCopyButtons();
  setUpAuthTestButtons();
});
