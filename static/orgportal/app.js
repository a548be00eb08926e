// Toasts from the server's HX-Trigger `messages` event, and small progressive enhancements.
(function () {
  "use strict";

  function showToast(text, tags) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var toast = document.createElement("div");
    toast.className = "toast" + (tags ? " toast-" + tags.split(" ")[0] : "");
    toast.textContent = text;
    region.appendChild(toast);
    setTimeout(function () { toast.remove(); }, tags && tags.indexOf("error") >= 0 ? 9000 : 5000);
  }

  document.body.addEventListener("messages", function (event) {
    (event.detail.value || event.detail || []).forEach(function (m) { showToast(m.message, m.tags); });
  });

  // Close the organization switcher on Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.switcher[open]").forEach(function (d) {
      d.open = false;
      d.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.switcher[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.open = false;
    });
  });
})();
