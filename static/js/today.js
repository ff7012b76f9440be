// The athlete's phone page: − / + buttons beside the set's number and load, for one thumb.
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
    // Whole numbers for reps and seconds; halves for the load (2.5 kg plates).
    var value = parseFloat(input.value) || 0;
    var next = Math.round((value + parseFloat(button.dataset.step)) * 10) / 10;
    var min = input.min === "" ? 0 : parseFloat(input.min);
    var max = input.max === "" ? Infinity : parseFloat(input.max);
    input.value = String(Math.min(max, Math.max(min, next)));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // The first page load, and every block htmx swaps in.
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (event) { reveal(event.detail.elt); });
})();
