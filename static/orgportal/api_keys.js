// The API keys page: copy buttons for a new secret and its example, and focus on the secret
// when it appears (it is shown only once). Without JavaScript the fields can be selected and
// copied by hand.
(function () {
  "use strict";

  function copied(button) {
    const label = button.lastChild;
    const before = label.textContent;
    label.textContent = gettext("Copied");
    button.setAttribute("aria-live", "polite");
    setTimeout(function () { label.textContent = before; }, 2000);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = "value" in source ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); });
    } else {
      // Plain http (local development): select it and use the older command.
      const range = document.createRange();
      range.selectNodeContents(source);
      if (source.select) source.select();
      else { const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range); }
      if (document.execCommand("copy")) copied(button);
    }
  });

  function focusSecret() {
    const panel = document.getElementById("new-secret");
    if (panel) panel.focus();
  }
  document.addEventListener("DOMContentLoaded", focusSecret);
  document.addEventListener("htmx:afterSettle", focusSecret);
})();
