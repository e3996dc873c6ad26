// Subscribers and lists pages: confirm destructive POSTs, drive the bulk-selection
// checkboxes. Every form works without this script; it only adds guard rails.
(function () {
  "use strict";

  // Forms with data-confirm are handled by confirm.js (loaded on every page);
  // the bulk form's question depends on the chosen action.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.id !== "bulk-form") return;
    var option = form.elements.action.selectedOptions[0];
    var message = option && option.dataset.confirm;
    if (!form.querySelector('input[name="ids"]:checked')) {
      ev.preventDefault();
      window.alert("Select at least one subscriber first.");
      return;
    }
    if (message && !window.confirm(message)) ev.preventDefault();
  });

  var bulk = document.getElementById("bulk-form");
  if (!bulk) return;
  var checkAll = bulk.querySelector("[data-check-all]");
  var counter = bulk.querySelector("[data-selected-count]");
  var action = bulk.elements.action;
  var list = bulk.elements.list;

  function boxes() {
    return Array.prototype.slice.call(bulk.querySelectorAll('input[name="ids"]'));
  }
  function update() {
    var checked = boxes().filter(function (b) { return b.checked; }).length;
    counter.textContent = checked + " selected";
    checkAll.checked = checked > 0 && checked === boxes().length;
    checkAll.indeterminate = checked > 0 && checked < boxes().length;
  }
  function toggleList() {
    var needsList = action.selectedOptions[0].hasAttribute("data-needs-list");
    list.disabled = !needsList;
    list.required = needsList;
  }

  checkAll.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = checkAll.checked; });
    update();
  });
  bulk.addEventListener("change", function (ev) {
    if (ev.target.name === "ids") update();
    if (ev.target === action) toggleList();
  });
  toggleList();
  update();
})();
