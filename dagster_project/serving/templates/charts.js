// Draws every chart of the page from the JSON in <script id="figures"> with the inlined plotly.js;
// sets <body data-charts-rendered="N"> once all N are drawn.
(function () {
  "use strict";
  var holder = document.getElementById("figures");
  var figures = JSON.parse(holder.textContent);
  var isStatic = holder.getAttribute("data-static") === "true";
  var ids = Object.keys(figures);
  Promise.all(ids.map(function (id) {
    var f = figures[id];
    return Plotly.newPlot(document.getElementById(id), f.data, f.layout, {
      displaylogo: false, displayModeBar: false, responsive: !isStatic, staticPlot: isStatic
    });
  })).then(function () {
    document.body.setAttribute("data-charts-rendered", String(ids.length));
  });
})();
