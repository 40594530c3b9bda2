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

// Ctrl+Enter saves the form the cursor is in (the intake form is used from the keyboard).
document.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    var form = document.activeElement && document.activeElement.form;
    if (form) { event.preventDefault(); form.requestSubmit(); }
  }
});

// Event handlers live here, not in the pages: the Content-Security-Policy forbids inline
// scripts and handlers.
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select.submit-on-change")) {
    event.target.form.submit();
  }
});

// Intake: "answer with this" fills the answer from a knowledge entry and makes the
// contact a consultation.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button.use-answer");
  if (!button) return;
  var answer = document.getElementById("id_answer");
  if (!answer) return;
  answer.value = button.dataset.answer;
  document.getElementById("id_knowledge_entry_id").value = button.dataset.entry;
  document.getElementById("id_kind").value = "consultation";
  answer.focus();
});
