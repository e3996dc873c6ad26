// Import progress: poll the job's status every second and update the bar and
// counts; when the import is over, reload so the page shows the error table.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.running !== "1") return;
  var bar = box.querySelector(".progress");
  window.stmailsPoll(box, box.dataset.statusUrl, {
    running: function (data) { return data.running; },
    progress: function (data) {
      var state = box.querySelector('[data-field="state"]');
      if (state) state.className = "badge " + data.state;
      window.stmailsBar(bar, data.percent);
    },
  });
})();

// Import form: say how many confirmation mails the checkbox would send (one per
// data row at most: rows already on the list, or failing, get none).
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var note = document.getElementById("import-rows");
  if (!form || !note) return;
  var file = form.querySelector('input[type="file"]');
  var box = form.querySelector('input[name="send_confirmations"]');
  var doubles = (note.dataset.doubleOptinLists || "").trim().split(/\s+/).filter(Boolean);
  var rows = null;

  function chosenDoubleLists() {
    return Array.prototype.filter.call(
      form.querySelectorAll('input[name="lists"]:checked'),
      function (el) { return doubles.indexOf(el.value) !== -1; }
    ).length;
  }

  function render() {
    var status = form.querySelector('[name="subscription_status"]');
    var mails = status && status.value !== "unconfirmed" ? 0 : chosenDoubleLists() ? rows : 0;
    if (rows === null) { note.hidden = true; return; }
    note.hidden = false;
    if (!box.checked) {
      note.textContent = "No confirmation email will be sent (" + rows + " rows in the file).";
    } else if (!mails) {
      note.textContent = "No confirmation email will be sent: choose a double opt-in list and the status unconfirmed.";
    } else {
      note.textContent = "Up to " + mails + " confirmation emails will be sent, one per new unconfirmed subscriber.";
    }
  }

  file.addEventListener("change", function () {
    rows = null;
    render();
    if (!file.files.length) return;
    file.files[0].text().then(function (text) {
      var lines = text.split(/\r\n|\r|\n/).filter(function (l) { return l.trim() !== ""; });
      rows = Math.max(0, lines.length - 1); // minus the header row
      render();
    });
  });
  form.addEventListener("change", render);
})();
