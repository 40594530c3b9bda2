// Signature pad for the technician's phone: draw with a finger or mouse; the drawing is
// sent as a PNG data URL in the form's hidden "signature" field. A page that comes back
// after a refusal carries the drawing in that field: it is shown again, not lost.
document.querySelectorAll("canvas.signature-pad").forEach(function (canvas) {
  var form = canvas.closest("form");
  var output = form.querySelector("input.signature-data");
  var missing = form.querySelector(".signature-missing");
  var ctx = canvas.getContext("2d");
  var drawing = false, drawn = false;
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#101828";
  if (output.value.indexOf("data:image/png;base64,") === 0) {
    var kept = new Image();
    kept.onload = function () { ctx.drawImage(kept, 0, 0, canvas.width, canvas.height); };
    kept.src = output.value;
    drawn = true;
  }
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width,
             y: (event.clientY - box.top) * canvas.height / box.height };
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true; var p = point(event); ctx.beginPath(); ctx.moveTo(p.x, p.y);
    canvas.setPointerCapture(event.pointerId); event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) return; var p = point(event); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true;
    if (missing) missing.hidden = true;
  });
  ["pointerup", "pointercancel"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  var clear = form.querySelector("button.signature-clear");
  if (clear) clear.addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; output.value = "";
  });
  // Nothing is sent without a signature: the page stays as it is, with what was typed.
  form.addEventListener("submit", function (event) {
    if (drawn) { output.value = canvas.toDataURL("image/png"); return; }
    event.preventDefault();
    if (missing) { missing.textContent = canvas.dataset.missing; missing.hidden = false; }
    canvas.scrollIntoView({ block: "center" });
  });
});

// A field form that came back refused: bring its first error into view on the phone.
(function () {
  var error = document.querySelector(".field-case .errors, .field-case .errorlist");
  if (error) error.closest(".field, form").scrollIntoView({ block: "center" });
})();
