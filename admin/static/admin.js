// softdelete admin: optional conveniences; every page works without them.
(function () {
  "use strict";
  // "Select all" on the table page, and the bulk buttons enabled only when
  // rows are selected.
  var all = document.getElementById("select-all");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.row-select"));
  var bar = document.getElementById("bulk-bar");
  function update() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    if (bar) {
      bar.querySelectorAll("button").forEach(function (b) { b.disabled = n === 0; });
      bar.setAttribute("data-selected", String(n));
    }
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      update();
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  if (boxes.length) { update(); }
  // Empty column filters are left out of the URL (and usable again when
  // the page comes back from the history).
  var search = document.getElementById("search-form");
  if (search) {
    window.addEventListener("pageshow", function () {
      search.querySelectorAll("input.filter-input").forEach(function (i) { i.disabled = false; });
    });
    search.addEventListener("submit", function () {
      search.querySelectorAll("input.filter-input").forEach(function (i) {
        if (i.value === "") { i.disabled = true; }
      });
    });
  }
})();
