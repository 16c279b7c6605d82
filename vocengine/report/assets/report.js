// Draws the report's charts from the data block; the tables and cards are already in the page.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var colour = { positive: "#2a9d5b", negative: "#d1495b", neutral: "#e0a030", mixed: "#5b6776" };
  var charts = [];

  function judged(point) { return point.moment !== null; }
  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var chart = echarts.init(node, null, { renderer: "canvas" });
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  }

  var names = data.stages.map(function (s) { return s.name; });
  // On a phone the stage names side by side overlap: slant them instead of dropping any.
  var narrow = document.documentElement.clientWidth < 640;
  var stageLabels = { interval: 0, width: narrow ? 90 : 110, overflow: "break", lineHeight: 14, rotate: narrow ? 40 : 0 };
  draw("curve-chart", {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0, data: ["net sentiment", "sentences"] },
    grid: { left: 50, right: 60, bottom: 60 },
    xAxis: { type: "category", data: names, axisLabel: stageLabels },
    yAxis: [
      { type: "value", min: -100, max: 100, name: "net sentiment" },
      { type: "value", name: "sentences", splitLine: { show: false } }
    ],
    series: [
      { name: "sentences", type: "bar", yAxisIndex: 1, barWidth: "45%", itemStyle: { color: "#dde6f0" },
        data: data.stages.map(function (s) { return s.sentences; }) },
      { name: "net sentiment", type: "line", smooth: 0.3, symbolSize: 12, connectNulls: true,
        lineStyle: { width: 3, color: "#34495e" },
        label: { show: true, position: "top", fontWeight: "bold",
                 formatter: function (p) { return p.value > 0 ? "+" + p.value : String(p.value); } },
        markLine: { silent: true, symbol: "none", label: { show: false }, data: [{ yAxis: 0 }], lineStyle: { color: "#999" } },
        data: data.stages.map(function (s) {
          return judged(s) ? { value: Math.round(s.net_sentiment), itemStyle: { color: colour[s.moment] } } : null;
        }) }
    ]
  });

  if (data.personas.length) {
    draw("persona-chart", {
      tooltip: { trigger: "axis" },
      legend: { data: data.personas.map(function (p) { return p.persona; }) },
      grid: { left: 50, right: 30, bottom: 60 },
      xAxis: { type: "category", data: names, axisLabel: stageLabels },
      yAxis: { type: "value", min: -100, max: 100, name: "net sentiment" },
      series: data.personas.map(function (p) {
        return { name: p.persona, type: "line", symbolSize: 9, connectNulls: false,
                 data: p.stages.map(function (s) { return judged(s) ? Math.round(s.net_sentiment) : null; }) };
      })
    });
  }

  if (data.trends) {
    draw("trend-chart", {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0, data: data.trends.series.map(function (s) { return s.name; }) },
      grid: { left: 50, right: 30, top: 60, bottom: 40 },
      xAxis: { type: "category", data: data.trends.periods },
      yAxis: { type: "value", min: -100, max: 100, name: "net sentiment" },
      series: data.trends.series.map(function (s) {
        // A period with too few sentences to judge is a gap, not a confident point.
        return { name: s.name, type: "line", symbolSize: 7, connectNulls: true,
                 lineStyle: { width: s.stage === null ? 4 : 1.5 },
                 data: s.net_sentiment.map(function (v, i) {
                   return v === null || s.sentences[i] < data.min_sentences ? null : Math.round(v);
                 }) };
      })
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.setAttribute("data-charts", String(charts.length));
})();
