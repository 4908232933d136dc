// The profile menu is a <details> disclosure that works without script.
// This adds what people expect of a menu: Esc and a click or focus
// elsewhere close it (focus returns to its button after Esc), and the arrow
// keys, Home and End move between its entries.
(function () {
  "use strict";
  var menu = document.querySelector("details[data-menu]");
  if (!menu) { return; }
  var summary = menu.querySelector("summary");
  Array.prototype.forEach.call(menu.querySelectorAll(".menu a"), function (a) {
    if (a.getAttribute("href") === location.pathname) { a.setAttribute("aria-current", "page"); }
  });
  function items() { return Array.prototype.slice.call(menu.querySelectorAll(".menu a, .menu button")); }
  function close(refocus) {
    if (!menu.open) { return; }
    menu.open = false;
    if (refocus) { summary.focus(); }
  }
  function move(to) {
    var list = items(), i = list.indexOf(document.activeElement);
    if (to === "first") { i = 0; } else if (to === "last") { i = list.length - 1; } else { i = (i + to + list.length) % list.length; }
    list[i].focus();
  }
  menu.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { close(true); ev.preventDefault(); return; }
    var keys = { ArrowDown: 1, ArrowUp: -1, Home: "first", End: "last" };
    if (!(ev.key in keys)) { return; }
    if (!menu.open) {
      if (ev.target !== summary || (ev.key !== "ArrowDown" && ev.key !== "ArrowUp")) { return; }
      menu.open = true;
      move(ev.key === "ArrowDown" ? "first" : "last");
    } else if (ev.target === summary) {
      move(ev.key === "ArrowUp" || ev.key === "End" ? "last" : "first");
    } else {
      move(keys[ev.key]);
    }
    ev.preventDefault();
  });
  document.addEventListener("click", function (ev) { if (!menu.contains(ev.target)) { close(false); } });
  menu.addEventListener("focusout", function (ev) {
    if (ev.relatedTarget && !menu.contains(ev.relatedTarget)) { close(false); }
  });
}());
