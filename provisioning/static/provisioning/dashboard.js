// Draws the dashboard's charts with the Chart.js that django-unfold ships (window.Chart). The data comes
// from the page's <script type="application/json" id="dashboard-charts"> (no inline code to run).
(function () {
  var COLORS = ["#7c3aed", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#64748b", "#ec4899"];

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.Chart) return;
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = charts[canvas.dataset.chart];
      if (!spec) return;
      var type = canvas.dataset.type || "line";
      var round = type === "doughnut";
      var datasets = spec.datasets.map(function (set, i) {
        var color = round ? COLORS.slice(0, set.data.length) : COLORS[i % COLORS.length];
        return {
          label: set.label, data: set.data, backgroundColor: color, borderColor: color,
          borderWidth: round ? 1 : 2, tension: 0.25, spanGaps: true, pointRadius: 2,
        };
      });
      var scales = round ? {} : { y: { beginAtZero: true } };
      if (canvas.dataset.max && !round) scales.y.max = Number(canvas.dataset.max);
      canvas.chart = new window.Chart(canvas, {
        type: type,
        data: { labels: spec.labels, datasets: datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales,
                   plugins: { legend: { position: "bottom" } } },
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
