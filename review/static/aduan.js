// Keyboard triage for the queue (progressive enhancement: every action is also a plain form).
// j / k move between cases, a accepts, e edits (focus the agency choice), x = not a complaint,
// s skips. The position survives the page reload that follows each action.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll("ol.queue article.case"));
  if (!cards.length) { return; }
  var key = "aduan.cursor:" + location.pathname + location.search;
  var current = Math.min(parseInt(sessionStorage.getItem(key) || "0", 10) || 0, cards.length - 1);

  function show(index, scroll) {
    cards.forEach(function (card) { card.classList.remove("current"); });
    current = Math.max(0, Math.min(index, cards.length - 1));
    cards[current].classList.add("current");
    sessionStorage.setItem(key, String(current));
    if (scroll) { cards[current].scrollIntoView({ block: "nearest" }); }
  }

  function submit(selector) {
    var form = cards[current].querySelector(selector);
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
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
      case "e": {
        var select = cards[current].querySelector("form.f-correct select");
        if (select) { select.focus(); }
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  cards.forEach(function (card, index) {
    card.addEventListener("click", function () { show(index, false); });
  });
  show(current, false);
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
