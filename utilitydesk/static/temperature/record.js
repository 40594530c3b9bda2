// The technician's measurement record page: rooms are added and removed, and as a room's
// area is typed the page shows how many points the method needs and gives that many reading
// inputs, each with its time (default: now). The room sizes come from the server
// (method.POINT_STEPS, in the form's data-point-steps), so this rule and the service's are
// one table; tests/e2e/test_temperature.py checks them against each other.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  var table = form ? JSON.parse(form.dataset.pointSteps)
    : { steps: [["16", 1], ["30", 2], ["60", 3]], largest: 5 };

  // method.points_required: the first size the area is under, else the largest count.
  function pointsRequired(area) {
    for (var i = 0; i < table.steps.length; i++) {
      if (area < parseFloat(table.steps[i][0])) return table.steps[i][1];
    }
    return table.largest;
  }

  // An area as typed ("24", "12.5", "12，5"), or null when it is not a positive number.
  function parseArea(text) {
    var clean = String(text || "").trim().replace(/[，,]/g, ".");
    if (!/^\d+(\.\d+)?$/.test(clean)) return null;
    var value = parseFloat(clean);
    return value > 0 ? value : null;
  }

  window.UDTemperature = { pointsRequired: pointsRequired, parseArea: parseArea };
  if (!form) return;

  // The server's clock (Asia/Shanghai) as the default time of a reading, whatever zone
  // the phone is set to.
  var offsetMinutes = 0;
  (function () {
    var parts = (form.dataset.clock || "").split(":");
    if (parts.length !== 2) return;
    var now = new Date();
    var server = parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10);
    offsetMinutes = server - (now.getHours() * 60 + now.getMinutes());
    if (offsetMinutes > 720) offsetMinutes -= 1440;
    if (offsetMinutes < -720) offsetMinutes += 1440;
  })();
  function clockNow() {
    var now = new Date(Date.now() + offsetMinutes * 60000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(now.getHours()) + ":" + two(now.getMinutes());
  }
  function fill(template, n) { return template.replace("%(n)s", n); }

  var rooms = document.getElementById("rooms");
  var template = document.getElementById("room-template");
  var maxRooms = parseInt(form.dataset.maxRooms || "12", 10);

  function readingRow(room, point) {
    var index = room.dataset.index;
    var row = document.createElement("div");
    row.className = "reading";
    row.dataset.point = point;
    var id = "room-" + index + "-reading-" + point;
    var label = document.createElement("label");
    label.className = "reading-label";
    label.htmlFor = id;
    label.textContent = fill(form.dataset.pointLabel, point);
    var value = document.createElement("input");
    value.type = "text"; value.inputMode = "decimal"; value.autocomplete = "off";
    value.className = "reading-value"; value.name = id; value.id = id;
    var time = document.createElement("input");
    time.type = "time"; time.className = "reading-time";
    time.name = "room-" + index + "-time-" + point; time.value = clockNow();
    time.setAttribute("aria-label", form.dataset.timeLabel);
    row.append(label, value, time);
    return row;
  }

  function sync(room) {
    var area = parseArea(room.querySelector(".room-area").value);
    var needed = room.querySelector(".points-needed");
    var box = room.querySelector(".readings");
    if (area === null) { needed.textContent = ""; return; }
    var points = pointsRequired(area);
    needed.textContent = fill(form.dataset.needs, points);
    var rows = box.querySelectorAll(".reading");
    for (var i = rows.length; i < points; i++) box.appendChild(readingRow(room, i + 1));
    for (var j = rows.length - 1; j >= points; j--) rows[j].remove();
  }

  function renumber() {
    var all = rooms.querySelectorAll("fieldset.room");
    all.forEach(function (room, i) { room.querySelector(".room-number").textContent = i + 1; });
    document.getElementById("add-room").disabled = all.length >= maxRooms;
  }

  function wire(room) {
    room.querySelector(".room-area").addEventListener("input", function () { sync(room); });
    room.querySelector(".remove-room").addEventListener("click", function () {
      room.remove(); renumber();
    });
  }

  rooms.querySelectorAll("fieldset.room").forEach(function (room) {
    wire(room);
    if (!room.querySelector(".reading")) sync(room);
  });
  renumber();

  document.getElementById("add-room").addEventListener("click", function () {
    var next = 0;
    rooms.querySelectorAll("fieldset.room").forEach(function (room) {
      next = Math.max(next, parseInt(room.dataset.index, 10));
    });
    next += 1;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__i__/g, String(next)).trim();
    var room = holder.firstElementChild;
    rooms.appendChild(room);
    wire(room);
    renumber();
    room.querySelector(".room-kind").focus();
  });
})();
