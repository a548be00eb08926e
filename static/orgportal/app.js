// The portal's small enhancements. Every flow works without this file (plain forms, full
// pages); with it, HTMX swaps, toasts, busy states, dialogs and the switcher's search.
// Other parts of the portal append their own delimited sections at the end.

/* -- sentences in the page's language ---------------------------------------------------------
   The catalogue script before this one (Django's JavaScript catalogue, the djangojs domain)
   defines gettext, ngettext, pgettext and interpolate. If it failed to load, these stand in:
   the sentences stay English and everything still works. Mark every sentence a person reads
   with them (`make messages` collects them into locale/<lang>/LC_MESSAGES/djangojs.po), whole
   sentences with named placeholders:
     interpolate(ngettext("%(count)s member", "%(count)s members", n), { count: n }, true) */
(function () {
  "use strict";
  if (typeof window.gettext === "function" && typeof window.interpolate === "function") return;
  window.gettext = function (text) { return text; };
  window.ngettext = function (singular, plural, count) { return count === 1 ? singular : plural; };
  window.pgettext = function (context, text) { return text; };
  window.interpolate = function (format, values, named) {
    if (named) return format.replace(/%\(\w+\)s/g, function (m) { return String(values[m.slice(2, -2)]); });
    var i = 0;
    return format.replace(/%s/g, function () { return String(values[i++]); });
  };
})();

/* -- shell: toasts, failures, busy states ------------------------------------------------ */
(function () {
  "use strict";

  function showToast(text, tags) {
    var region = document.getElementById("toasts");
    if (!region || !text) return;
    var kind = tags ? tags.split(" ")[0] : "info";
    var toast = document.createElement("div");
    toast.className = "toast toast-" + kind;
    if (kind === "error") toast.setAttribute("role", "alert");
    var words = document.createElement("span");
    words.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", gettext("Dismiss"));
    close.textContent = "×";
    close.addEventListener("click", function () { toast.remove(); });
    toast.appendChild(words);
    toast.appendChild(close);
    region.appendChild(toast);
    setTimeout(function () { toast.remove(); }, kind === "error" ? 10000 : 5000);
  }
  window.portalToast = showToast;

  document.body.addEventListener("messages", function (event) {
    (event.detail.value || event.detail || []).forEach(function (m) { showToast(m.message, m.tags); });
  });

  // Every failure reaches the user as a sentence: the server's own (HX-Trigger `messages`,
  // already shown) or, when it sent none, one that fits the status.
  var GENERIC = {
    0: gettext("We could not reach the server. Check your connection and try again."),
    403: gettext("You are not allowed to do this here."),
    404: gettext("This no longer exists. Reload the page to see what changed."),
    413: gettext("That was too large to send."),
    429: gettext("Too many requests just now. Wait a moment and try again."),
  };
  function failureSentence(status) {
    if (GENERIC[status]) return GENERIC[status];
    if (status >= 500) return gettext("Something went wrong on our side. Try again in a moment.");
    return gettext("That did not work. Reload the page and try again.");
  }
  function serverSentMessages(xhr) {
    var header = xhr && xhr.getResponseHeader && xhr.getResponseHeader("HX-Trigger");
    return !!header && header.indexOf('"messages"') >= 0;
  }

  // 422/429/503 are swapped (htmx-config in base.html) because their body is the form with
  // its sentence; an empty body or a whole error page is not, and becomes a toast instead.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400 || !event.detail.shouldSwap) return;
    var body = (xhr.responseText || "").trim();
    if (!body || /^<!doctype|<html[\s>]/i.test(body.slice(0, 200))) {
      event.detail.shouldSwap = false;
      event.detail.isError = true;
      return;
    }
    // The sentence shows next to the form; 429/503 also toast it, since the form may be
    // scrolled away and the person needs to know nothing happened.
    if (xhr.status !== 422 && !serverSentMessages(xhr) && window.DOMParser) {
      var alert = new DOMParser().parseFromString(body, "text/html").querySelector(".form-errors, [role=alert]");
      showToast(alert ? alert.textContent.trim() : failureSentence(xhr.status), "error");
    }
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!serverSentMessages(xhr)) showToast(failureSentence(xhr.status), "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    showToast(failureSentence(0), "error");
  });
  document.body.addEventListener("htmx:timeout", function () {
    showToast(gettext("The server took too long to answer. Try again in a moment."), "error");
  });

  // Busy: whatever sends a change shows it is working and cannot be sent twice. Searches and
  // other reads only mark their form busy (a spinner on every keystroke would flicker).
  var SUBMITS = "button:not([type=button]):not([type=reset]), input[type=submit]";
  function submitButtons(elt) {
    if (elt.tagName !== "FORM") return elt.matches("button, a, input[type=submit]") ? [elt] : [];
    var inside = Array.prototype.slice.call(elt.querySelectorAll(SUBMITS));
    var outside = elt.id ? Array.prototype.slice.call(document.querySelectorAll('[form="' + elt.id + '"]')) : [];
    return inside.concat(outside.filter(function (b) { return b.matches(SUBMITS); }));
  }
  function markBusy(elt, submitter, lock) {
    elt.setAttribute("aria-busy", "true");
    if (!lock) return;
    submitButtons(elt).forEach(function (button) {
      button.dataset.busyLock = "";
      if (button.tagName === "A") button.setAttribute("aria-disabled", "true");
      else button.disabled = true;
    });
    var shown = submitter || submitButtons(elt)[0];
    if (shown) shown.classList.add("is-busy");
  }
  function clearBusy(elt) {
    elt.removeAttribute("aria-busy");
    submitButtons(elt).forEach(function (button) {
      if (!("busyLock" in button.dataset)) return;
      delete button.dataset.busyLock;
      button.classList.remove("is-busy");
      if (button.tagName === "A") button.removeAttribute("aria-disabled");
      else button.disabled = false;
    });
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var config = event.detail.requestConfig || {};
    if (config.headers && config.headers["HX-Preloaded"] === "true") return; // not the person's request
    var sends = (config.verb || "get").toLowerCase() !== "get";
    var submitted = config.triggeringEvent && config.triggeringEvent.type === "submit";
    var submitter = config.triggeringEvent && config.triggeringEvent.submitter;
    markBusy(elt, submitter, sends || submitted);
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    clearBusy(event.detail.elt);
  });

  // Plain forms (no HTMX): disable after the browser has taken the submitter's value.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method === "dialog") return;
    if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    var submitter = event.submitter;
    form.setAttribute("aria-busy", "true");
    setTimeout(function () { markBusy(form, submitter, true); }, 0);
  });
  // Back from the next page (bfcache): the form is usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[aria-busy]").forEach(clearBusy);
  });
})();

/* -- shell: confirm dialog ------------------------------------------------------------------
   Contract for any element that needs a confirmation (instead of the browser's confirm()):
     data-confirm="Remove 12 members from Acme?"  the question (hx-confirm="…" works the same);
                                                 on a <form>, a submit button, or an hx- element
     data-confirm-accept="Remove"                the confirming button's label (default Confirm)
     data-confirm-danger                         the confirming button is red (destructive)
     data-confirm-detail="…"                     an optional second line under the question
     data-confirm-count="#members input:checked" `{count}` in the texts becomes how many
                                                 elements match this selector at click time
   Before opening, a bubbling `confirm:prepare` event is sent to the element with
   event.detail = {text, detail, accept}: a listener may rewrite them (computed at click
   time), or call event.preventDefault() to cancel the action. Without JavaScript nothing
   asks: such actions must lead to a confirmation page (or be safe to send). */
(function () {
  "use strict";
  var dialog = null;
  var pending = null;
  var opener = null;

  function attr(elt, name) {
    var holder = elt.closest("[" + name + "]");
    return holder ? holder.getAttribute(name) : null;
  }
  function question(elt, fallback) {
    return elt.getAttribute("data-confirm") || fallback || attr(elt, "data-confirm");
  }
  function ask(elt, text, proceed) {
    dialog = dialog || document.getElementById("confirm-dialog");
    if (!dialog || !dialog.showModal) return proceed();
    var countSelector = attr(elt, "data-confirm-count");
    var count = countSelector ? document.querySelectorAll(countSelector).length : null;
    var fill = function (s) { return s && count !== null ? s.replace(/\{count\}/g, String(count)) : s; };
    var detail = { text: fill(text), detail: fill(attr(elt, "data-confirm-detail")), accept: attr(elt, "data-confirm-accept") || gettext("Confirm") };
    var prepare = new CustomEvent("confirm:prepare", { bubbles: true, cancelable: true, detail: detail });
    if (!elt.dispatchEvent(prepare)) return;
    dialog.querySelector("#confirm-dialog-text").textContent = detail.text;
    var second = dialog.querySelector("#confirm-dialog-detail");
    second.textContent = detail.detail || "";
    second.hidden = !detail.detail;
    var accept = dialog.querySelector("[data-confirm-accept]");
    accept.textContent = detail.accept;
    accept.classList.toggle("button-danger", attr(elt, "data-confirm-danger") !== null);
    pending = proceed;
    opener = document.activeElement;
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector("[data-confirm-cancel]").focus();
  }

  document.addEventListener("close", function (event) {
    if (event.target !== dialog) return;
    var proceed = pending;
    pending = null;
    if (opener && opener.focus && document.contains(opener)) opener.focus();
    opener = null;
    if (proceed && dialog.returnValue === "confirm") proceed();
  }, true);

  // HTMX requests: hx-confirm or data-confirm on the element (or an ancestor).
  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var submitter = event.detail.triggeringEvent && event.detail.triggeringEvent.submitter;
    var text = (submitter && submitter.getAttribute("data-confirm")) || question(elt, event.detail.question);
    if (!text) return;
    event.preventDefault();
    ask(submitter || elt, text, function () { event.detail.issueRequest(true); });
  });

  // Plain forms: data-confirm on the form or its submit button (HTMX forms ask above).
  function htmxSends(form) {
    return ["hx-post", "hx-get", "hx-put", "hx-patch", "hx-delete"].some(function (a) { return form.hasAttribute(a); }) ||
      !!form.closest("[hx-boost=true]");
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method === "dialog" || htmxSends(form)) return;
    var submitter = event.submitter;
    var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!text || form.dataset.confirmed) { delete form.dataset.confirmed; return; }
    event.preventDefault();
    ask(submitter || form, text, function () {
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
    });
  }, true);
})();

/* -- shell: dialogs ---------------------------------------------------------------------------
   A link with data-dialog-open="ID" opens <dialog id=ID> (without JavaScript the link leads
   to a page with the same form). Focus goes into the dialog and back to the opener;
   data-dialog-close inside closes it. */
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
        var field = dialog.querySelector("input:not([type=hidden]), select, textarea, button:not([disabled])");
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
    if (event.target.tagName === "DIALOG" && event.target.id !== "confirm-dialog" && opener) {
      opener.focus();
      opener = null;
    }
  }, true);

  // Typed confirmation: a submit button with data-match-input="ID" stays disabled until the
  // field ID holds exactly its data-match (e.g. the organization's name). The server checks
  // again; without JavaScript the button is simply enabled.
  function syncMatch(root) {
    (root || document).querySelectorAll("[data-match-input]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-match-input"));
      if (!field) return;
      var matches = field.value.trim() === (field.getAttribute("data-match") || "").trim();
      button.disabled = !matches;
      button.setAttribute("aria-disabled", String(!matches));
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-match")) syncMatch();
  });
  document.addEventListener("DOMContentLoaded", function () { syncMatch(); });
  document.body.addEventListener("htmx:afterSwap", function () { syncMatch(); });
})();

/* -- shell: header (switcher, tabs, time zone, invitation badge) ------------------------------ */
(function () {
  "use strict";

  // The switcher: Escape or a click elsewhere closes it; with many organizations a search
  // field filters them (typing filters, Enter opens the only match).
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
  function visibleItems(switcher) {
    return Array.prototype.filter.call(switcher.querySelectorAll("#switcher-list > li[data-name]"), function (li) { return !li.hidden; });
  }
  document.addEventListener("toggle", function (event) {
    var switcher = event.target;
    if (!switcher.matches || !switcher.matches("details.switcher") || !switcher.open) return;
    var search = switcher.querySelector("[data-switcher-search]");
    if (search) {
      search.hidden = false;
      search.querySelector("input").focus();
    }
  }, true);
  document.addEventListener("input", function (event) {
    if (event.target.id !== "switcher-filter") return;
    var switcher = event.target.closest("details.switcher");
    var words = event.target.value.trim().toLowerCase();
    switcher.querySelectorAll("#switcher-list > li[data-name]").forEach(function (li) {
      li.hidden = !!words && li.getAttribute("data-name").indexOf(words) < 0;
    });
    switcher.querySelector("[data-switcher-none]").hidden = visibleItems(switcher).length > 0;
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "switcher-filter") return;
    var items = visibleItems(event.target.closest("details.switcher"));
    if (event.key === "Enter") {
      event.preventDefault();
      if (items.length) items[0].querySelector("a").click();
    } else if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      items[0].querySelector("a").focus();
    }
  });

  // Tabs wider than the screen: the current one scrolls into view, and the edges fade where
  // there is more (classes for app.css).
  function hintTabs() {
    document.querySelectorAll(".tabs").forEach(function (tabs) {
      var more = tabs.scrollWidth - tabs.clientWidth;
      tabs.classList.toggle("tabs-more-start", tabs.scrollLeft > 2);
      tabs.classList.toggle("tabs-more-end", more - tabs.scrollLeft > 2);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".tabs [aria-current=page]").forEach(function (tab) {
      var tabs = tab.closest(".tabs");
      tabs.scrollLeft = Math.max(0, tab.offsetLeft - (tabs.clientWidth - tab.offsetWidth) / 2);
    });
    hintTabs();
    document.querySelectorAll(".tabs").forEach(function (tabs) { tabs.addEventListener("scroll", hintTabs, { passive: true }); });
  });
  window.addEventListener("resize", hintTabs);

  // The viewer's time zone, for the server to show times in (ViewerTimeZoneMiddleware);
  // from the next page on.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && /^[A-Za-z0-9_\/+-]{1,64}$/.test(zone) && document.cookie.indexOf("tz=" + zone) < 0) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in UTC */ }

  // The invitation badge, when the page could not know the count without asking.
  document.addEventListener("DOMContentLoaded", function () {
    var link = document.querySelector("#invitations-link[data-load-badge]");
    if (!link || !window.fetch || !window.DOMParser) return;
    fetch(link.getAttribute("data-load-badge"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("invitations-link");
        if (fresh && !fresh.hasAttribute("data-load-badge")) {
          if (link.hasAttribute("aria-current")) fresh.setAttribute("aria-current", "page");
          else fresh.removeAttribute("aria-current");
          link.replaceWith(fresh);
        }
      })
      .catch(function () { /* the link works without its badge */ });
  });
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
      cell.title = gettext("Could not be checked right now");
    });
    document.querySelectorAll("table[aria-busy]").forEach(function (table) {
      table.removeAttribute("aria-busy");
    });
  });
})();

// -- members page (issue 17: 1, 6, 11): the bulk bar, the role editor's row, Undo --
(function () {
  "use strict";
  var CHECKED = '#member-table input[name="members"]:checked';

  // The rows (member_rows.py) hold plain links and no htmx attributes; what they share is on
  // the table. A click on "Change roles" fetches the editor into a row under the member's;
  // "Remove" asks the table's question about the row's member, then posts and the answer
  // replaces the row. A click with a modifier key opens the link's page as usual.
  function memberRow(elt) { return elt.closest && elt.closest("#member-table tr[id^='member-']"); }
  function memberId(row) { return row.id.slice("member-".length); }
  function memberLabel(row) {
    var shown = row && (row.querySelector(".member-email") || row.querySelector(".name"));
    return shown ? shown.textContent : "";
  }
  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest && event.target.closest(".member-actions > a");
    var row = link && memberRow(link);
    if (!row || !window.htmx) return;
    event.preventDefault();
    if (link.getAttribute("aria-disabled") === "true") return;
    if (link.classList.contains("roles-link")) {
      htmx.ajax("GET", link.pathname, { source: link, target: row, swap: "afterend" });
      return;
    }
    var table = row.closest("table");
    var label = memberLabel(row);
    link.setAttribute("data-confirm", (table.getAttribute("data-remove-question") || "").replace("{member}", function () { return label; }));
    link.setAttribute("data-confirm-detail", table.getAttribute("data-remove-detail") || "");
    link.setAttribute("data-confirm-danger", "");
    htmx.ajax("POST", link.pathname, { source: link, target: row, swap: "outerHTML" });
  });
  // "Change roles" is a disclosure once JavaScript handles it.
  function markDisclosures() {
    document.querySelectorAll("#member-table .roles-link:not([aria-expanded])").forEach(function (link) {
      link.setAttribute("aria-expanded", "false");
    });
  }
  document.addEventListener("DOMContentLoaded", markDisclosures);
  document.body.addEventListener("htmx:afterSettle", markDisclosures);

  // The bulk bar (shown by app.css while rows are selected) says how many, and the header's
  // box selects the whole page.
  function syncSelection() {
    var table = document.getElementById("member-table");
    if (!table) return;
    var boxes = table.querySelectorAll('input[name="members"]');
    var checked = table.querySelectorAll(CHECKED).length;
    var count = table.querySelector("[data-bulk-count]");
    if (count) count.textContent = checked ? interpolate(ngettext("%(count)s selected", "%(count)s selected", checked), { count: checked }, true) : "";
    var all = table.querySelector("[data-select-page]");
    if (all) {
      all.hidden = boxes.length === 0;
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var clear = table.querySelector("[data-bulk-clear]");
    if (clear) clear.hidden = false;
    syncRoleField();
  }
  function syncRoleField() {
    var action = document.getElementById("bulk-action");
    var role = document.querySelector("[data-bulk-role]");
    if (action && role) role.hidden = action.value === "remove";
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-page]")) {
      document.querySelectorAll('#member-table input[name="members"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.closest && target.closest("#member-table")) syncSelection();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-bulk-clear]")) return;
    document.querySelectorAll(CHECKED).forEach(function (box) { box.checked = false; });
    syncSelection();
    var first = document.querySelector('#member-table input[name="members"]');
    if (first) first.focus();
  });
  document.addEventListener("DOMContentLoaded", syncSelection);
  document.body.addEventListener("htmx:afterSettle", syncSelection);

  // The confirmation names what happens: "Remove 12 members from Acme?" (or the one member's
  // address); without an action or a role nothing is sent, and a sentence says what is missing.
  document.body.addEventListener("confirm:prepare", function (event) {
    var form = event.target.closest && event.target.closest("#bulk-form");
    if (!form) return;
    var action = form.querySelector("#bulk-action").value;
    var roleSelect = form.querySelector("#bulk-role");
    var role = roleSelect && roleSelect.value ? roleSelect.options[roleSelect.selectedIndex].text : "";
    var checked = document.querySelectorAll(CHECKED);
    var organization = form.getAttribute("data-organization");
    var one = checked.length === 1;
    var names = {
      member: one ? memberLabel(checked[0].closest("tr")) : "",
      count: checked.length,
      organization: organization,
      role: role,
    };
    var say = function (sentence) { return interpolate(sentence, names, true); };
    var missing = !checked.length ? gettext("Select at least one member.")
      : !action ? gettext("Choose what to do with the selected members.")
      : action !== "remove" && !role ? gettext("Choose the role to give.") : "";
    if (missing) {
      event.preventDefault();
      if (window.portalToast) window.portalToast(missing, "error");
      var field = !action ? form.querySelector("#bulk-action") : roleSelect;
      if (field && checked.length) field.focus();
      return;
    }
    form.toggleAttribute("data-confirm-danger", action === "remove");
    if (action === "remove") {
      event.detail.text = say(one ? gettext("Remove %(member)s from %(organization)s?")
        : ngettext("Remove %(count)s member from %(organization)s?", "Remove %(count)s members from %(organization)s?", names.count));
      event.detail.detail = one ? gettext("They lose access to the organization until someone invites them again. Their account stays.")
        : gettext("They lose access to the organization until someone invites them again. Their accounts stay.");
      event.detail.accept = pgettext("button", "Remove");
    } else if (action === "add_role") {
      event.detail.text = say(one ? gettext("Give %(member)s the role %(role)s?")
        : ngettext("Give %(count)s member the role %(role)s?", "Give %(count)s members the role %(role)s?", names.count));
      event.detail.detail = gettext("Their other roles stay.");
      event.detail.accept = gettext("Give role");
    } else {
      event.detail.text = say(one ? gettext("Make %(role)s the only role of %(member)s?")
        : ngettext("Make %(role)s the only role of %(count)s member?", "Make %(role)s the only role of %(count)s members?", names.count));
      event.detail.detail = gettext("Their other roles are taken away.");
      event.detail.accept = gettext("Set role");
    }
  });

  // The role editor opens in a row under the member's: once (a second click closes it), with
  // the link marked expanded; Cancel or a save closes it and gives the focus back.
  function editorRow(userId) { return document.getElementById("roles-" + userId); }
  function opener(userId) {
    return document.querySelector("#member-" + CSS.escape(userId) + " .roles-link");
  }
  function rolesLinkUser(elt) {
    var row = elt.classList && elt.classList.contains("roles-link") && memberRow(elt);
    return row ? memberId(row) : null;
  }
  function closeEditor(userId) {
    var row = editorRow(userId);
    if (row) row.remove();
    var link = opener(userId);
    if (link) { link.setAttribute("aria-expanded", "false"); link.focus(); }
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var userId = rolesLinkUser(event.detail.elt);
    if (userId && editorRow(userId)) {
      event.preventDefault();
      closeEditor(userId);
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var link = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (link && rolesLinkUser(link)) link.setAttribute("aria-expanded", "true");
  });
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-roles-cancel]");
    if (cancel) closeEditor(cancel.getAttribute("data-roles-cancel"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest("[data-roles-form]");
    if (form) closeEditor(form.getAttribute("data-roles-form"));
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    var saved = form && form.getAttribute && form.getAttribute("data-roles-form");
    var link = saved && opener(saved);
    if (link) link.focus();
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!event.detail.successful || !elt.getAttribute) return;
    // A removed member's editor row goes with their row.
    var path = (event.detail.requestConfig && event.detail.requestConfig.path) || "";
    var removed = /\/members\/([^/]+)\/remove\/$/.exec(path);
    if (removed && editorRow(removed[1])) editorRow(removed[1]).remove();
  });

  // A role change's toast offers Undo: it posts the previous roles to the same address (the
  // same rules apply) and the row shows them again. The shell shows the toast; this replaces
  // it with one that has the button and stays while the pointer or the focus is on it.
  document.body.addEventListener("messages", function (event) {
    (event.detail.value || event.detail || []).forEach(function (m) {
      if (m.undo) offerUndo(m);
    });
  });
  function offerUndo(m) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var shown = Array.prototype.filter.call(region.querySelectorAll(".toast"), function (t) {
      return t.firstChild && t.firstChild.textContent === m.message;
    });
    if (shown.length) shown[shown.length - 1].remove();
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (m.tags || "success").split(" ")[0];
    var words = document.createElement("span");
    words.textContent = m.message;
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "toast-undo";
    undo.textContent = gettext("Undo");
    undo.setAttribute("aria-label", m.undo.label || gettext("Undo"));
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", gettext("Dismiss"));
    close.textContent = "×";
    toast.appendChild(words);
    toast.appendChild(undo);
    toast.appendChild(close);
    region.appendChild(toast);
    var timer = null;
    function later() { clearTimeout(timer); timer = setTimeout(function () { toast.remove(); }, 10000); }
    toast.addEventListener("mouseenter", function () { clearTimeout(timer); });
    toast.addEventListener("focusin", function () { clearTimeout(timer); });
    toast.addEventListener("mouseleave", later);
    toast.addEventListener("focusout", later);
    later();
    close.addEventListener("click", function () { toast.remove(); });
    undo.addEventListener("click", function () {
      toast.remove();
      var row = document.getElementById(m.undo.target);
      htmx.ajax("POST", m.undo.url, {
        source: row || document.body,
        target: row || document.body,
        swap: row ? "outerHTML" : "none",
        values: m.undo.values,
      });
    });
  }
})();
// -- end: members page --

// -- repeat views (issue 22): preloading and what a kept answer may be used for --
// The tabs and pagers carry the preload extension (`preload="mouseover"`): resting the pointer
// on a link fetches its page, and the server lets the browser keep that answer for a few
// seconds (orgportal/repeat_views.py), so the click shows it at once. The keyboard gets the
// same on focus. Every htmx request says which view of the page it comes from and how many
// changes that view has sent (X-Portal-View, in the answers' Vary): an answer fetched before
// a change is never used after it.
(function () {
  "use strict";
  var loaded = Date.now().toString(36);
  var changes = 0;
  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-Portal-View"] = loaded + "." + changes;
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var verb = ((event.detail.requestConfig || {}).verb || "get").toLowerCase();
    if (verb !== "get") changes += 1;
  });
  document.addEventListener("focusin", function (event) {
    var link = event.target.closest && event.target.closest("[preload] a[href]");
    if (link && link.getAttribute("aria-current") !== "page") {
      link.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    }
  });
})();
// -- end: repeat views --

// -- copy buttons: <button data-copy="id-of-a-field"> copies that field (a secret or link shown
//    once). Without JavaScript the field can be selected and copied by hand. --
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
})();
