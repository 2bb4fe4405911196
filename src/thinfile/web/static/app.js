/* Progressive enhancement only: every page works without this file.
   The confirm button of an offer, a draw or a purchase waits for the reading pause (the
   server enforces it too). */
(function () {
  "use strict";
  var note = document.getElementById("reading-note");
  var reading = note && note.closest("form");
  var button = reading && reading.querySelector("button[type=submit]");
  var part = function (attribute, value) {
    var span = document.createElement("span");
    span.setAttribute(attribute, value);
    note.appendChild(span);
    return span;
  };
  if (note && button) {
    /* A screen reader hears the pause announced when it starts and when it ends, never each
       second: the ticking count is shown, hidden from it, beside a live region of its own. */
    var left = parseInt(note.getAttribute("data-wait"), 10) || 0;
    var waiting = note.getAttribute("data-waiting") || "";
    var ready = note.getAttribute("data-ready") || "";
    note.textContent = "";
    var count = part("aria-hidden", "true");
    var status = part("role", "status");
    status.className = "reading-status unseen";
    var tick = function () {
      if (left <= 0) {
        button.disabled = false;
        count.textContent = "";
        status.className = "reading-status";
        status.textContent = ready;
        return;
      }
      button.disabled = true;
      count.textContent = waiting.replace("%(s)s", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    var start = waiting.replace("%(s)s", String(left));
    tick();
    window.setTimeout(function () { if (left > 0) { status.textContent = start; } }, 100);
  }
  /* A form marked data-once (the console's money forms) is sent once: a second click or
     submit before the next page arrives does nothing, and its buttons are disabled once the
     first is on its way (after the browser has read the clicked button's value). The server
     holds the rule too: each such form carries a one-time key. */
  var once = document.querySelectorAll("form[data-once]");
  var buttons = function (form, disabled) {
    var all = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < all.length; i += 1) { all[i].disabled = disabled; }
  };
  for (var f = 0; f < once.length; f += 1) {
    once[f].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "yes");
      window.setTimeout(function () { buttons(form, true); }, 0);
    });
  }
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }  /* back to a page kept in memory: buttons work again */
    for (var p = 0; p < once.length; p += 1) {
      once[p].removeAttribute("data-sent");
      buttons(once[p], false);
    }
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
