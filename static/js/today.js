// The athlete's phone page: − / + buttons beside the set's number, for one thumb.
// Without JavaScript the buttons stay hidden and the number input works as it is.
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll("button[data-step]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-step]");
    if (!button) return;
    var input = document.getElementById(button.dataset.target);
    if (!input) return;
    var value = parseInt(input.value, 10) || 0;
    var next = value + parseInt(button.dataset.step, 10);
    var min = input.min === "" ? 0 : parseInt(input.min, 10);
    var max = input.max === "" ? Infinity : parseInt(input.max, 10);
    input.value = String(Math.min(max, Math.max(min, next)));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // The first page load, and every block htmx swaps in.
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (event) { reveal(event.detail.elt); });
})();
