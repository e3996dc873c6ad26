// Every page: window.stmailsPoll(box, url, options) polls a JSON status URL
// while work runs (imports, scans, campaigns), writes each answer's fields into
// the box's [data-field] elements, and reloads the page once the work is over.
//   options.every      ms between polls (default 1000; 3x after an error)
//   options.running    function(data) -> true while the work goes on
//   options.progress   function(data) -> percent for the box's bar, if any
(function () {
  "use strict";
  window.stmailsPoll = function (box, url, options) {
    var every = options.every || 1000;

    function show(data) {
      box.querySelectorAll("[data-field]").forEach(function (el) {
        var value = data[el.dataset.field];
        if (value !== undefined && value !== null) el.textContent = value;
      });
      if (options.progress) options.progress(data);
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          show(data);
          if (options.running(data)) setTimeout(poll, every);
          else window.location.reload();
        })
        .catch(function () { setTimeout(poll, every * 3); });
    }

    setTimeout(poll, every);
  };

  // The import page's and the mailboxes page's bar: a div.progress with a span.
  window.stmailsBar = function (bar, percent) {
    if (!bar) return;
    bar.setAttribute("aria-valuenow", percent);
    bar.firstElementChild.style.width = percent + "%";
  };
})();
