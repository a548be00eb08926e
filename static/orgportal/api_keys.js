// The API keys page: focus on a new secret when it appears (it is shown only once). Its copy
// buttons are app.js's.
(function () {
  "use strict";

  function focusSecret() {
    const panel = document.getElementById("new-secret");
    if (panel) panel.focus();
  }
  document.addEventListener("DOMContentLoaded", focusSecret);
  document.addEventListener("htmx:afterSettle", focusSecret);
})();
