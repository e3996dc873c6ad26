// Subscribers and lists pages: confirm destructive POSTs, drive the bulk-selection
// checkboxes and "Select all N matching". Every form works without this script
// (on the checked rows); it only adds guard rails and the filter-wide scope.
(function () {
  "use strict";

  // Forms with data-confirm are handled by confirm.js (loaded on every page);
  // the bulk form's question depends on the chosen action and scope, so this
  // script keeps the form's data-confirm attribute up to date.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.id !== "bulk-form") return;
    if (form.elements.scope && form.elements.scope.value === "matching") return;
    if (!form.querySelector('input[name="ids"]:checked')) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      window.alert("Select at least one subscriber first.");
    }
  }, true);

  var bulk = document.getElementById("bulk-form");
  if (!bulk) return;
  var checkAll = bulk.querySelector("[data-check-all]");
  var counter = bulk.querySelector("[data-selected-count]");
  var action = bulk.elements.action;
  var list = bulk.elements.list;
  var scope = bulk.elements.scope;
  var bar = bulk.querySelector("[data-select-matching-bar]");
  var selectMatching = bulk.querySelector("[data-select-matching]");
  var clearMatching = bulk.querySelector("[data-clear-matching]");
  var barText = bulk.querySelector("[data-select-matching-text]");
  var pageText = barText ? barText.textContent : "";
  var total = selectMatching ? Number(selectMatching.dataset.count) : 0;

  function boxes() {
    return Array.prototype.slice.call(bulk.querySelectorAll('input[name="ids"]'));
  }
  function matching() {
    return scope && scope.value === "matching";
  }
  function question() {
    var option = action.selectedOptions[0];
    if (!option || !option.value) return "";
    if (matching()) {
      var target = option.hasAttribute("data-needs-list") && list.selectedOptions[0] && list.value
        ? " (" + list.selectedOptions[0].textContent + ")" : "";
      return option.textContent + target + ": apply to all " + total.toLocaleString() +
        " subscribers matching this filter, not only the ones on this page?";
    }
    return option.dataset.confirm || "";
  }
  function update() {
    var all = boxes();
    var checked = all.filter(function (b) { return b.checked; }).length;
    if (matching() && checked < all.length) scope.value = "selected";
    counter.textContent = matching()
      ? total.toLocaleString() + " selected"
      : checked + " selected";
    checkAll.checked = checked > 0 && checked === all.length;
    checkAll.indeterminate = checked > 0 && checked < all.length;
    if (bar) {
      bar.hidden = !checkAll.checked;
      selectMatching.hidden = matching();
      clearMatching.hidden = !matching();
      barText.textContent = matching()
        ? "All " + total.toLocaleString() + " subscribers matching this filter are selected."
        : pageText;
    }
    var message = question();
    if (message) bulk.setAttribute("data-confirm", message);
    else bulk.removeAttribute("data-confirm");
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
  if (selectMatching) {
    selectMatching.addEventListener("click", function () {
      scope.value = "matching";
      update();
    });
    clearMatching.addEventListener("click", function () {
      scope.value = "selected";
      boxes().forEach(function (b) { b.checked = false; });
      update();
    });
  }
  bulk.addEventListener("change", function (ev) {
    if (ev.target === action) toggleList();
    update();
  });
  toggleList();
  update();
})();
