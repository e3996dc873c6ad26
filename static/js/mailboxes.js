// Bounce mailboxes: poll each running scan's status every second, move its
// progress bar, and reload the page when the scan is over (to show the result).
(function () {
  "use strict";
  document.querySelectorAll('.scan-cell[data-running="1"]').forEach(function (cell) {
    var bar = cell.querySelector(".progress");
    window.stmailsPoll(cell, cell.dataset.statusUrl, {
      running: function (data) { return data.status === "running"; },
      progress: function (data) { window.stmailsBar(bar, data.percent); },
    });
  });
})();
