// Campaign page: while the campaign runs, poll its progress (counted from its
// deliveries) every 2 s and update the numbers and the bar; reload when it ends
// so the buttons match the new status.
(function () {
  "use strict";
  var box = document.getElementById("campaign-progress");
  if (!box || box.dataset.running !== "1") return;
  var bar = box.querySelector("progress");
  window.stmailsPoll(box, box.dataset.progressUrl, {
    every: 2000,
    running: function (data) { return data.running; },
    progress: function (data) { bar.value = data.percent; },
  });
})();
