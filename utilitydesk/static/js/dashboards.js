// The dashboards' charts (web/dashboards.py, docs/kpis.md "Dashboards"), drawn by ECharts
// (node_modules/echarts, served from /static/vendor/echarts/). The Content-Security-Policy
// forbids inline scripts: each chart is a <div data-chart="ID"> whose data is the JSON of
// <script type="application/json" id="ID"> (Django's json_script). A tile replaced by its
// htmx refresh gets its charts drawn again. Clicking a point with a url opens the list
// behind it (the drill-down).
(function () {
  "use strict";
  var PALETTE = ["#1d4f91", "#067647", "#b54708", "#7a5af8", "#c11574", "#0e9384", "#667085"];
  var FONT = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif';

  function locale() {
    var lang = (document.documentElement.lang || "").toLowerCase();
    return lang.indexOf("zh") === 0 ? "ZH" : "EN";
  }

  function percentLabel(value) {
    return value === null || value === undefined ? "—" : value + "%";
  }

  function lineOption(data) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: {
        trigger: "axis",
        valueFormatter: data.percent ? percentLabel : undefined
      },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.labels, boundaryGap: false },
      yAxis: {
        type: "value",
        max: data.percent ? 100 : null,
        axisLabel: { formatter: data.percent ? "{value}%" : "{value}" }
      },
      series: data.series.map(function (series) {
        return {
          type: "line",
          name: series.name,
          connectNulls: true,
          symbolSize: 8,
          data: series.points
        };
      })
    };
  }

  function barOption(data, element) {
    // A category axis may name its unit (the hours of the day: data-category-suffix=":00").
    var suffix = (element && element.dataset.categorySuffix) || "";
    var labels = suffix ? data.labels.map(function (label) { return label + suffix; }) : data.labels;
    var category = { type: "category", data: labels, axisLabel: { interval: data.horizontal ? 0 : "auto" } };
    var value = { type: "value", minInterval: 1 };
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 16, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: data.horizontal ? value : category,
      yAxis: data.horizontal ? category : value,
      series: [{ type: "bar", name: data.name, data: data.points, barMaxWidth: 28 }]
    };
  }

  function pieOption(data) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0, type: "scroll" },
      series: [{
        type: "pie",
        name: data.name,
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        // Small slices' labels would overlap: the legend, the tooltip and the table below
        // name them.
        label: { show: false },
        data: data.points
      }]
    };
  }

  var BUILDERS = { line: lineOption, bar: barOption, pie: pieOption };

  function draw(element) {
    if (typeof echarts === "undefined" || echarts.getInstanceByDom(element)) return;
    var source = document.getElementById(element.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var build = BUILDERS[data.type];
    if (!build) return;
    var chart = echarts.init(element, null, { renderer: "canvas", locale: locale() });
    chart.setOption(build(data, element));
    chart.on("click", function (params) {
      var url = params.data && params.data.url;
      if (url) window.location.assign(url);
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  // Before htmx replaces a tile, let go of its charts; after, draw the new ones.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || typeof echarts === "undefined") return;
    target.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = echarts.getInstanceByDom(element);
      if (chart) chart.dispose();
    });
  });
  document.addEventListener("htmx:afterSwap", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  window.addEventListener("resize", function () {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = echarts.getInstanceByDom(element);
      if (chart) chart.resize();
    });
  });
})();
