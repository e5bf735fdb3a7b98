// Long operations (CSV import, bulk send): once a form marked data-busy is submitted,
// show its progress message and ignore further submits, so a second click adds nothing.
// The buttons stay enabled: a disabled button would drop its name/value from the POST.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-busy")) {
    return;
  }
  if (form.dataset.submitted === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  form.setAttribute("aria-busy", "true");
  const status = form.querySelector("[data-busy-message]");
  if (status) {
    status.textContent = form.getAttribute("data-busy");
    status.hidden = false;
  }
});
