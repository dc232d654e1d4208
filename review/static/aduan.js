// Keyboard triage for the queue and the case page (progressive enhancement: every action is
// also a plain form). j / k move between cases, a accepts, x = not a complaint, s skips,
// u undoes the last accept or "Bukan aduan" while "Batalkan" is shown. e corrects in one
// motion: a picker opens, type part of an agency or topic name (arrows choose), Enter sends the
// correction.
// The position survives the page reload that follows each action.
(function () {
  "use strict";

  // "Batalkan" disappears when its time is up (the server refuses after that anyway).
  var undo = document.querySelector("form.undo[data-until]");
  if (undo) {
    var until = parseInt(undo.getAttribute("data-until"), 10);
    var left = undo.querySelector(".left");
    var tick = function () {
      var seconds = Math.ceil((until - Date.now()) / 1000);
      if (seconds <= 0) { undo.classList.add("gone"); undo.hidden = true; return; }
      if (left) { left.textContent = String(seconds); }
      window.setTimeout(tick, 250);
    };
    tick();
  }

  // On a phone the queue's filters fold away (the cards come first) unless some are in use.
  var filterBox = document.querySelector("details.filter-box");
  if (filterBox && !filterBox.hasAttribute("data-active") &&
      window.matchMedia("(max-width: 600px)").matches) {
    filterBox.open = false;
  }

  var cards = Array.prototype.slice.call(
    document.querySelectorAll("ol.queue article.case, article.case.single"));
  var key = "aduan.cursor:" + location.pathname + location.search;
  var current = 0;
  if (cards.length) {
    current = Math.min(parseInt(sessionStorage.getItem(key) || "0", 10) || 0, cards.length - 1);
  }
  var picker = null;

  function show(index, scroll) {
    if (!cards.length) { return; }
    cards.forEach(function (card) { card.classList.remove("current"); });
    current = Math.max(0, Math.min(index, cards.length - 1));
    cards[current].classList.add("current");
    sessionStorage.setItem(key, String(current));
    if (scroll) { cards[current].scrollIntoView({ block: "nearest" }); }
  }

  function send(form) {
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  function submit(selector) {
    if (cards.length) { send(cards[current].querySelector(selector)); }
  }

  function closePicker() {
    if (picker) { picker.remove(); picker = null; }
  }

  // The choices of the card's correction form: every agency, then every topic.
  function choices(form) {
    var out = [];
    ["agency", "topic"].forEach(function (name) {
      var select = form.querySelector("select[name=" + name + "]");
      if (!select) { return; }
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.selected) { return; }
        out.push({ field: name, value: option.value, label: option.textContent,
                   kind: name === "agency" ? "Instansi" : "Topik" });
      });
    });
    return out;
  }

  function openPicker() {
    if (!cards.length) { return; }
    var form = cards[current].querySelector("form.f-correct");
    if (!form) { return; }
    closePicker();
    var all = choices(form);
    picker = document.createElement("div");
    picker.className = "picker";
    picker.setAttribute("role", "dialog");
    picker.setAttribute("aria-label", "Koreksi instansi atau topik");
    var input = document.createElement("input");
    input.type = "search";
    input.className = "picker-input";
    input.placeholder = "instansi atau topik (instansi / topik untuk keduanya), Enter kirim";
    input.setAttribute("aria-label", "Cari instansi atau topik");
    var list = document.createElement("ol");
    list.className = "picker-list";
    picker.appendChild(input);
    picker.appendChild(list);
    form.parentNode.insertBefore(picker, form.nextSibling);
    var shown = [];
    var active = 0;

    function matching(field, query) {
      var words = query.toLowerCase().split(/\s+/).filter(Boolean);
      return all.filter(function (c) {
        var text = (c.kind + " " + c.label + " " + c.value).toLowerCase();
        return (!field || c.field === field) &&
          words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    }

    // "dlhk" -> agencies/topics matching; "dlhk / sampah" -> agency + topic pairs.
    function candidates() {
      var parts = input.value.split("/");
      if (parts.length < 2) { return matching(null, parts[0]); }
      var pairs = [];
      matching("agency", parts[0]).slice(0, 3).forEach(function (a) {
        matching("topic", parts.slice(1).join(" ")).slice(0, 3).forEach(function (t) {
          pairs.push({ pair: [a, t], label: a.label + " · " + t.label });
        });
      });
      return pairs;
    }

    function render() {
      shown = candidates().slice(0, 8);
      active = Math.min(active, Math.max(shown.length - 1, 0));
      list.textContent = "";
      shown.forEach(function (c, i) {
        var item = document.createElement("li");
        item.textContent = c.pair ? "Instansi + topik: " + c.label : c.kind + ": " + c.label;
        item.className = i === active ? "on" : "";
        item.addEventListener("mousedown", function (e) { e.preventDefault(); choose(c); });
        list.appendChild(item);
      });
    }

    function choose(c) {
      (c.pair || [c]).forEach(function (one) {
        form.querySelector("select[name=" + one.field + "]").value = one.value;
      });
      closePicker();
      send(form);
    }

    input.addEventListener("input", function () { active = 0; render(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { closePicker(); event.preventDefault(); return; }
      if (event.key === "ArrowDown") { active = Math.min(active + 1, shown.length - 1); }
      else if (event.key === "ArrowUp") { active = Math.max(active - 1, 0); }
      else if (event.key === "Enter") { if (shown[active]) { choose(shown[active]); } }
      else { return; }
      event.preventDefault();
      render();
    });
    input.addEventListener("blur", function () { window.setTimeout(closePicker, 150); });
    render();
    input.focus();
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    switch (event.key) {
      case "j": show(current + 1, true); break;
      case "k": show(current - 1, true); break;
      case "a": submit("form.f-accept"); break;
      case "x": submit("form.f-reject"); break;
      case "s": submit("form.f-skip"); break;
      case "e": openPicker(); break;
      case "u":
        if (undo && !undo.hidden) { send(undo); }
        break;
      default: return;
    }
    event.preventDefault();
  });

  cards.forEach(function (card, index) {
    card.addEventListener("click", function () { show(index, false); });
  });
  show(current, false);

  // Bulk accept with nothing ticked: say so here instead of sending an empty form.
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (event) {
      if (!document.querySelector("input[form=bulk][name=case]:checked")) {
        event.preventDefault();
        var note = bulk.querySelector(".bulk-note");
        if (note) { note.hidden = false; }
      }
    });
  }
})();

// Case page: b approves the first reply waiting for approval (the form shows its preview).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey || event.key !== "b") { return; }
    if (tag === "input" || tag === "select" || tag === "textarea") { return; }
    var form = document.querySelector("form.f-reply-approve");
    if (!form) { return; }
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
})();

// A wide table's hint ("geser ke samping") is shown only while the table overflows its box.
(function () {
  "use strict";
  var hints = Array.prototype.slice.call(document.querySelectorAll(".scroll-hint"));
  var update = function () {
    hints.forEach(function (hint) {
      var box = hint.nextElementSibling;
      var wide = box && box.classList.contains("scroll") && box.scrollWidth > box.clientWidth + 1;
      hint.classList.toggle("shown", !!wide);
    });
  };
  update();
  window.addEventListener("resize", update);
})();
