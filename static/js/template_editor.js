// Template editor: live preview. While the admin types, the unsaved form is
// POSTed (with its CSRF token) to the preview endpoint, debounced, and the
// answer replaces the sandboxed frame's srcdoc; an error (400, plain text)
// shows above the frame and keeps the last good preview.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var frame = document.getElementById("template-preview");
  var errorBox = document.getElementById("preview-error");
  var state = document.getElementById("preview-state");
  if (!form || !frame || !window.fetch) return;
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var seq = 0;

  function refresh() {
    var mine = ++seq;
    state.textContent = "updating…";
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (r) {
        return r.text().then(function (text) { return { ok: r.ok, text: text }; });
      })
      .then(function (res) {
        if (mine !== seq) return; // a later edit already asked again
        state.textContent = "";
        if (res.ok) {
          errorBox.hidden = true;
          errorBox.textContent = "";
          frame.srcdoc = res.text;
        } else {
          errorBox.textContent = res.text;
          errorBox.hidden = false;
        }
      })
      .catch(function () {
        if (mine === seq) state.textContent = "preview unavailable";
      });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
})();
