// Every page: confirm destructive actions and small conveniences, attached from
// data-* attributes (the Content-Security-Policy forbids inline on*="" handlers).
//   <form data-confirm="Delete?">      asks before submitting
//   <button data-confirm="Delete?">    asks before its click submits
//   <textarea data-select-on-click>    selects its text on click
(function () {
  "use strict";

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) ev.preventDefault();
  });

  document.addEventListener("click", function (ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    if (!target) return;
    var button = target.closest("button[data-confirm], input[type=submit][data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      ev.preventDefault();
      return;
    }
    var selectable = target.closest("[data-select-on-click]");
    if (selectable && typeof selectable.select === "function") selectable.select();
  });
})();
