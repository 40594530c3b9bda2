// Keyboard shortcuts of the agent shell: Alt+K (or "/" outside a text field) jumps to
// the caller search; Escape closes its results.
document.addEventListener("keydown", function (event) {
  var box = document.getElementById("screenpop-q");
  if (!box) return;
  var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if ((event.altKey && (event.key === "k" || event.key === "K")) || (event.key === "/" && !typing)) {
    event.preventDefault();
    box.focus();
    box.select();
  } else if (event.key === "Escape" && document.activeElement === box) {
    document.getElementById("screenpop-results").innerHTML = "";
  }
});
