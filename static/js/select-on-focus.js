// <input data-select-on-focus>: its whole value is selected when it gets focus, ready to copy
// (the webhook signing secret). Instead of an onfocus="" attribute, which the CSP refuses.
(function () {
  "use strict";
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) target.select();
  });
})();
