// Import progress: poll the job's status every second and update the bar and
// counts; when the import is over, reload so the page shows the error table.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.running !== "1") return;
  var url = box.dataset.statusUrl;
  var bar = box.querySelector(".progress");

  function show(data) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      if (value !== undefined && value !== null) el.textContent = value;
    });
    var state = box.querySelector('[data-field="state"]');
    if (state) state.className = "badge " + data.state;
    bar.setAttribute("aria-valuenow", data.percent);
    bar.firstElementChild.style.width = data.percent + "%";
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        show(data);
        if (data.running) setTimeout(poll, 1000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  setTimeout(poll, 1000);
})();
