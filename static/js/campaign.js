// Campaign page: while the campaign runs, poll its progress (counted from its
// deliveries) every 2 s and update the numbers and the bar; reload when it ends
// so the buttons match the new status.
(function () {
  "use strict";
  var box = document.getElementById("campaign-progress");
  if (!box || box.dataset.running !== "1") return;
  var url = box.dataset.progressUrl;
  var bar = box.querySelector("progress");

  function show(data) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      if (value !== undefined && value !== null) el.textContent = value;
    });
    bar.value = data.percent;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        show(data);
        if (data.running) setTimeout(poll, 2000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  setTimeout(poll, 2000);
})();
