// Draws every chart of a results page with plotly.js. Each figure is a JSON data
// block (<script type="application/json">), never executed, so the CSP holds; the
// same numbers are in the tables next to each chart when JavaScript is off.
(function () {
  "use strict";

  function draw() {
    if (typeof window.Plotly === "undefined") {
      return;
    }
    var areas = document.querySelectorAll("[data-figure]");
    Array.prototype.forEach.call(areas, function (area) {
      var source = document.getElementById(area.getAttribute("data-figure"));
      if (!source) {
        return;
      }
      var figure;
      try {
        figure = JSON.parse(source.textContent);
      } catch (error) {
        return;
      }
      area.classList.add("chart-drawn");
      window.Plotly.newPlot(area, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
        displayModeBar: false
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
