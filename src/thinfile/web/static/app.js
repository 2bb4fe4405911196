/* Progressive enhancement only: every page works without this file.
   The confirm button of an offer, a draw or a purchase waits for the reading pause (the
   server enforces it too). */
(function () {
  "use strict";
  var note = document.getElementById("reading-note");
  var reading = note && note.closest("form");
  var button = reading && reading.querySelector("button[type=submit]");
  if (note && button) {
    var left = parseInt(note.getAttribute("data-wait"), 10) || 0;
    var waiting = note.getAttribute("data-waiting") || "";
    var ready = note.getAttribute("data-ready") || "";
    var tick = function () {
      if (left <= 0) {
        button.disabled = false;
        note.textContent = ready;
        return;
      }
      button.disabled = true;
      note.textContent = waiting.replace("%(s)s", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
  }
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
