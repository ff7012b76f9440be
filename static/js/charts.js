/* Draw every <canvas data-chart="ID"> with the Chart.js config in <script type="application/json" id="ID">.
 * Configs are plain JSON built on the server ({{ config|json_script:"ID" }}), so pages carry no
 * inline script. Each chart's numbers are also in a table next to it for screen readers. */
(function () {
  "use strict";
  function draw(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      var config = JSON.parse(source.textContent);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
      canvas.dataset.drawn = "1";
      canvas._chart = new Chart(canvas, config);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
  window.BaselineCharts = { draw: draw };
})();
