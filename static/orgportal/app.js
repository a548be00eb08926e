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

// Dialogs: a link with data-dialog-open opens its <dialog> (without JavaScript the link
// leads to a page with the same form). Focus goes into the dialog and back to the opener.
(function () {
  "use strict";
  var opener = null;
  document.addEventListener("click", function (event) {
    var open = event.target.closest("[data-dialog-open]");
    if (open) {
      var dialog = document.getElementById(open.getAttribute("data-dialog-open"));
      if (dialog && dialog.showModal) {
        event.preventDefault();
        opener = open;
        dialog.showModal();
        var field = dialog.querySelector("input:not([type=hidden]), button");
        if (field) field.focus();
      }
      return;
    }
    var close = event.target.closest("[data-dialog-close]");
    if (close && close.closest("dialog")) {
      event.preventDefault();
      close.closest("dialog").close();
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target.tagName === "DIALOG" && opener) {
      opener.focus();
      opener = null;
    }
  }, true);
})();

// -- invitations page: the invite dialog and the result of a batch --------------------------
(function () {
  "use strict";
  function dialog() { return document.getElementById("invite-dialog"); }

  // Opening the dialog puts the cursor in the address box, not on the first control.
  document.addEventListener("click", function (event) {
    if (!event.target.closest('[data-dialog-open="invite-dialog"]')) return;
    var box = dialog() && dialog().open && document.getElementById("id_emails");
    if (box) box.focus();
  });

  // A batch started: close the dialog and move the focus to its result (after the dialog's
  // own close handler has given the focus back to the opener).
  document.body.addEventListener("invitation-batch-shown", function () {
    var result = document.getElementById("batch-card");
    var open = dialog();
    if (!result) return;
    if (open && open.open) {
      open.addEventListener("close", function () { result.focus(); }, { once: true });
      open.close();
    } else {
      result.focus();
    }
  });

  // The form was refused (sent from the dialog or from "Retry failed"): show it, at its
  // first error.
  document.body.addEventListener("invite-form-refused", function () {
    var open = dialog();
    if (open && !open.open && open.showModal) open.showModal();
    var form = document.getElementById("invite-form");
    var first = form && form.querySelector(".field-invalid input, .field-invalid textarea, .form-errors");
    if (first && first.classList.contains("form-errors")) first.setAttribute("tabindex", "-1");
    if (first) first.focus();
  });
})();

// -- invite-your-team step (issue 17: 7) --
// Once invitations went out, the way on is no longer a skip: the link says so.
(function () {
  "use strict";
  document.body.addEventListener("invitations-changed", function () {
    var next = document.querySelector("[data-after-invite]");
    if (next) next.textContent = next.getAttribute("data-after-invite");
  });
})();
// -- end: invite-your-team step --

// The members page's two-step cells left "Checking…" are filled by one request
// ([data-mfa-fill]); whatever its answer did not fill (it failed, or that member left
// meanwhile) says it could not be checked. The table is busy for screen readers until then.
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    if (!source || !source.hasAttribute || !source.hasAttribute("data-mfa-fill")) return;
    if (!document.body.contains(source)) return; // the table was replaced meanwhile
    document.querySelectorAll("[data-mfa-pending]").forEach(function (cell) {
      cell.removeAttribute("data-mfa-pending");
      cell.textContent = "—";
      cell.title = "Could not be checked right now";
    });
    document.querySelectorAll("table[aria-busy]").forEach(function (table) {
      table.removeAttribute("aria-busy");
    });
  });
})();
