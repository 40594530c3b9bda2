// The callback list: clicking anywhere on a row opens its form beside the list (the row's
// link does the htmx request; without JavaScript the link opens the callback's page).
document.addEventListener("click", function (event) {
  var row = event.target.closest && event.target.closest("tr.callback-row");
  if (!row) return;
  document.querySelectorAll("tr.callback-row.selected").forEach(function (other) {
    other.classList.remove("selected");
  });
  row.classList.add("selected");
  if (event.target.closest("a, button, input, select, textarea, label")) return;
  var link = row.querySelector("a.open-task");
  if (link) link.click();
});
