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

// Ctrl+Enter saves the form the cursor is in (the intake form is used from the keyboard):
// on a button, that button; elsewhere the form's default button (marked
// data-default-submit; on intake with likely duplicates it creates a new case, merging
// is never the default).
document.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    var active = document.activeElement;
    var form = active && active.form;
    if (!form) return;
    event.preventDefault();
    var submitter = active.type === "submit" ? active : form.querySelector("[data-default-submit]");
    if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
  }
});

// Intake: the complaint's category and level are shown only when the kind is complaint.
function showForKind() {
  var kind = document.getElementById("id_kind");
  if (!kind) return;
  document.querySelectorAll("[data-for-kind]").forEach(function (block) {
    block.hidden = block.dataset.forKind !== kind.value;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.id === "id_kind") showForKind();
  // A building picked for a known customer: the case is about "another place".
  var premises = document.getElementById("id_premises");
  if (event.target.id === "id_building" && event.target.value && premises) premises.value = "";
});
document.addEventListener("DOMContentLoaded", showForKind);

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
  showForKind();
  answer.focus();
});

// Phones: the menu (navigation and the account links) opens and closes behind a button.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest && event.target.closest("button.menu-toggle");
  if (!toggle) return;
  var open = document.body.classList.toggle("nav-open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});
