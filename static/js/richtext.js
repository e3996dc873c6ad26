// Campaign form: a small rich text editor for content type "richtext".
// The textarea stays the submitted field; the editor copies its HTML into it.
// The server sanitises the HTML again (campaigns/html_sanitizer.py): this is
// convenience, not a security boundary.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("id_content_type");
  const textarea = document.getElementById("id_body");
  if (!select || !textarea) return;

  const BUTTONS = [
    { cmd: "bold", label: "B", title: "Bold" },
    { cmd: "italic", label: "I", title: "Italic" },
    { cmd: "underline", label: "U", title: "Underline" },
    { cmd: "heading", label: "H", title: "Heading" },
    { cmd: "insertUnorderedList", label: "• List", title: "Bulleted list" },
    { cmd: "insertOrderedList", label: "1. List", title: "Numbered list" },
    { cmd: "link", label: "Link", title: "Link" },
    { cmd: "removeFormat", label: "Clear", title: "Remove formatting" },
  ];
  const SAFE_URL = /^(https?:|mailto:)/i;

  const wrap = document.createElement("div");
  wrap.className = "richtext";
  const toolbar = document.createElement("div");
  toolbar.className = "richtext-toolbar";
  toolbar.setAttribute("role", "toolbar");
  const editor = document.createElement("div");
  editor.className = "richtext-editor";
  editor.id = "richtext-editor";
  editor.contentEditable = "true";
  editor.setAttribute("role", "textbox");
  editor.setAttribute("aria-multiline", "true");
  editor.setAttribute("aria-label", "Body");

  const sync = () => { textarea.value = editor.innerHTML; };

  // The stored body (saved through the API, say) enters this admin page only
  // after an inert parse (DOMParser runs no script and loads nothing) that drops
  // script-like elements, on* handlers and javascript: URLs. The page's
  // Content-Security-Policy would block them anyway; this keeps them out of the DOM.
  const DROP = "script,style,iframe,frame,object,embed,template,noscript,svg,math,link,meta,base,form";
  const BAD_URL = /^\s*(javascript|vbscript):/i;
  const inert = (html) => {
    const doc = new DOMParser().parseFromString(html, "text/html");
    doc.body.querySelectorAll(DROP).forEach((node) => node.remove());
    doc.body.querySelectorAll("*").forEach((el) => {
      Array.from(el.attributes).forEach((attr) => {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on") || (/(href|src|action)$/.test(name) && BAD_URL.test(attr.value))) {
          el.removeAttribute(attr.name);
        }
      });
    });
    return doc.body.innerHTML;
  };

  const run = (cmd) => {
    editor.focus();
    if (cmd === "heading") {
      const inHeading = document.queryCommandValue("formatBlock").toLowerCase() === "h2";
      document.execCommand("formatBlock", false, inHeading ? "<p>" : "<h2>");
    } else if (cmd === "link") {
      const url = (window.prompt("Link URL (http, https or mailto):", "https://") || "").trim();
      if (!url) return;
      if (!SAFE_URL.test(url)) {
        window.alert("Only http, https and mailto links are allowed.");
        return;
      }
      document.execCommand("createLink", false, url);
    } else if (cmd === "removeFormat") {
      document.execCommand("removeFormat");
      document.execCommand("unlink");
    } else {
      document.execCommand(cmd);
    }
    sync();
  };

  BUTTONS.forEach(({ cmd, label, title }) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.title = title;
    button.setAttribute("aria-label", title);
    button.dataset.cmd = cmd;
    // Keep the editor's selection: a click would otherwise move focus first.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => run(cmd));
    toolbar.appendChild(button);
  });

  wrap.appendChild(toolbar);
  wrap.appendChild(editor);
  textarea.parentNode.insertBefore(wrap, textarea);
  editor.addEventListener("input", sync);

  const show = () => {
    const rich = select.value === "richtext";
    if (rich) {
      document.execCommand("defaultParagraphSeparator", false, "p");
      document.execCommand("styleWithCSS", false, false);
      editor.innerHTML = inert(textarea.value);
    }
    wrap.hidden = !rich;
    textarea.hidden = rich;
  };
  select.addEventListener("change", show);
  if (textarea.form) {
    textarea.form.addEventListener("submit", () => {
      if (select.value === "richtext") sync();
    });
  }
  show();
});
