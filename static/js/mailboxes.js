// Bounce mailboxes: poll each running scan's status every second, move its
// progress bar, and reload the page when the scan is over (to show the result).
(function () {
  "use strict";
  document.querySelectorAll('.scan-cell[data-running="1"]').forEach(function (cell) {
    var url = cell.dataset.statusUrl;
    var bar = cell.querySelector(".progress");

    function show(data) {
      cell.querySelectorAll("[data-field]").forEach(function (el) {
        var value = data[el.dataset.field];
        if (value !== undefined && value !== null) el.textContent = value;
      });
      if (bar) {
        bar.setAttribute("aria-valuenow", data.percent);
        bar.firstElementChild.style.width = data.percent + "%";
      }
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          show(data);
          if (data.status === "running") setTimeout(poll, 1000);
          else window.location.reload();
        })
        .catch(function () { setTimeout(poll, 3000); });
    }

    setTimeout(poll, 1000);
  });
})();
