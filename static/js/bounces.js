// Bounces page: the header checkbox selects every row of this page.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const rows = () => document.querySelectorAll('#bounce-table input[name="id"]');
  all.addEventListener("change", () => rows().forEach((box) => { box.checked = all.checked; }));
});
