/* Charts of a run's daily results (uPlot, served by the gateway), drawn on load. */
(function () {
  "use strict";
  const COMPACT = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
  function tick(v) {  // 1.5M rather than 1,500,000: the axis has room for a few characters
    return v == null ? "" : Math.abs(v) >= 10000 ? COMPACT.format(v) : v.toLocaleString();
  }
  const PNL_COLORS = { revenue: "#16a34a", cost_total: "#dc2626", profit: "#2563eb" };
  const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#4b5563", "#db2777"];
  const PSI_MEASURES = ["end", "sales", "demand", "shortage", "backorder", "receipts", "shipments", "produced", "consumed", "ordered"];
  const PSI_DEFAULT = ["end", "sales", "shortage", "backorder"];
  const PNL_MEASURES = ["revenue", "cost_total", "profit"];

  function xValues(data) {
    const days = [];
    const start = data.start_date ? Date.parse(data.start_date + "T00:00:00Z") / 1000 : null;
    for (let d = 0; d < data.days; d++) days.push(start === null ? d + 1 : start + d * 86400);
    return { xs: days, time: start !== null };
  }

  function plot(target, title, x, lines) {
    target.innerHTML = "";
    const series = [{ label: x.time ? "date" : "day" }].concat(lines.map((l, i) => ({
      label: l.label, stroke: l.color || COLORS[i % COLORS.length], width: 1.5,
      value: (u, v) => (v == null ? "–" : v.toLocaleString(undefined, { maximumFractionDigits: 2 })),
    })));
    const opts = {
      title: title, width: Math.max(target.clientWidth, 320), height: 300, series: series,
      scales: { x: { time: x.time } }, legend: { live: true },
      axes: [{}, { size: 70, values: (u, vals) => vals.map(tick) }],
    };
    const chart = new uPlot(opts, [x.xs].concat(lines.map((l) => l.values)), target);
    target.dataset.drawn = "1";
    return chart;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { accept: "application/json" } }).then((r) => {
      if (!r.ok) throw new Error(url + " answered " + r.status);
      return r.json();
    });
  }

  function cumulative(values) {
    let sum = 0;
    return values.map((v) => (sum += v || 0));
  }

  function checkboxes(holder, names, checked, onChange) {
    holder.innerHTML = "";
    names.forEach((name) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox"; box.value = name; box.checked = checked.includes(name);
      box.addEventListener("change", onChange);
      label.append(box, " " + name);
      holder.append(label);
    });
    return () => Array.from(holder.querySelectorAll("input:checked")).map((b) => b.value);
  }

  function runCharts(section) {
    const base = "/ui/runs/" + encodeURIComponent(section.dataset.run) + "/chart.json";
    const pairSelect = section.querySelector("#pair");
    const psiTarget = section.querySelector("#psi-chart");
    let current = null;
    const chosen = checkboxes(section.querySelector("#measures"), PSI_MEASURES, PSI_DEFAULT, () => drawPsi());

    function drawPsi() {
      const pair = current.pairs[current.pair] || {};
      const lines = chosen().filter((m) => current.series[m]).map((m) => ({ label: m, values: current.series[m] }));
      plot(psiTarget, pair.node + " · " + pair.item + " (" + pair.node_type + ")", xValues(current), lines);
    }

    function load(url) {
      return fetchJson(url).then((data) => { current = data; drawPsi(); return data; });
    }

    load(base).then((data) => {
      data.pairs.forEach((p, k) => {
        const option = new Option(p.node + " · " + p.item + " (" + p.node_type + ")", k);
        pairSelect.add(option);
      });
      pairSelect.value = String(data.pair);
      const pnl = PNL_MEASURES.filter((m) => data.pnl[m]).map((m) => ({ label: m, values: data.pnl[m], color: PNL_COLORS[m] }));
      plot(section.querySelector("#pnl-chart"), "Daily P&L", xValues(data), pnl);
      section.dataset.ready = "1";
    }).catch((err) => { psiTarget.textContent = "Charts unavailable: " + err.message; });

    pairSelect.addEventListener("change", () => {
      const p = current.pairs[Number(pairSelect.value)];
      load(base + "?node=" + encodeURIComponent(p.node) + "&item=" + encodeURIComponent(p.item));
    });
  }

  function overlay(section, runIds) {
    const target = section.querySelector("#overlay-chart");
    const select = section.querySelector("#overlay-measure");
    const loads = runIds.map((id) => fetchJson("/ui/runs/" + encodeURIComponent(id) + "/chart.json"));
    Promise.all(loads).then((all) => {
      function draw() {
        const measure = select.value;
        const longest = all.reduce((a, b) => (b.days > a.days ? b : a));
        const lines = all.map((d) => ({ label: d.run_id, values: cumulative(d.pnl[measure] || []) }));
        plot(target, "Cumulative " + measure, xValues(longest), lines);
        section.dataset.ready = "1";
      }
      select.addEventListener("change", draw);
      draw();
    }).catch((err) => { target.textContent = "Overlay unavailable: " + err.message; });
  }

  /* A fan: the P10–P90 band across runs and the median line, per day. */
  function fanPlot(target, title, x, fan, color) {
    target.innerHTML = "";
    const fmt = (u, v) => (v == null ? "–" : v.toLocaleString(undefined, { maximumFractionDigits: 2 }));
    const opts = {
      title: title, width: Math.max(target.clientWidth, 300), height: 260,
      series: [
        { label: x.time ? "date" : "day" },
        { label: "P10", stroke: color, width: 1, dash: [4, 4], value: fmt },
        { label: "P50 (median)", stroke: color, width: 2, value: fmt },
        { label: "P90", stroke: color, width: 1, dash: [4, 4], value: fmt },
      ],
      bands: [{ series: [3, 1], fill: color + "26" }],
      scales: { x: { time: x.time } }, legend: { live: true },
      axes: [{}, { size: 70, values: (u, vals) => vals.map(tick) }],
    };
    new uPlot(opts, [x.xs, fan.p10, fan.p50, fan.p90], target);
    target.dataset.drawn = "1";
  }

  function fanCharts(section) {
    const base = "/plans/" + encodeURIComponent(section.dataset.plan) + "/fan";
    const select = section.querySelector("#fan-pair");
    let pairs = null;

    function draw(url) {
      return fetchJson(url).then((data) => {
        if (!pairs) {
          pairs = data.pairs;
          pairs.forEach((p, k) => select.add(new Option(p.node + " · " + p.item + " (" + p.node_type + ")", String(k))));
        }
        const where = data.pair ? data.pair.node + " · " + data.pair.item : "all nodes and items";
        const runs = " (" + data.runs + " run" + (data.runs === 1 ? "" : "s") + ")";
        fanPlot(section.querySelector("#fan-stock"), "Stock, end of day · " + where + runs, xValues(data), data.stock, "#2563eb");
        fanPlot(section.querySelector("#fan-shortage"), (data.pair ? "Shortage · " : "Store shortage · ") + where + runs, xValues(data), data.shortage, "#dc2626");
        section.dataset.ready = "1";
      }).catch((err) => { section.querySelector("#fan-stock").textContent = "Fan chart unavailable: " + err.message; });
    }

    select.addEventListener("change", () => {
      const p = select.value === "" ? null : pairs[Number(select.value)];
      section.dataset.ready = "";
      draw(p ? base + "?node=" + encodeURIComponent(p.node) + "&item=" + encodeURIComponent(p.item) : base);
    });
    draw(base);
  }

  window.SCPLN = Object.assign(window.SCPLN || {}, { runCharts: runCharts, overlay: overlay, fanCharts: fanCharts });

  /* The page says what to draw: a run's charts (#charts, data-run), an overlay of the runs
     listed in the JSON data island #overlay-runs, or a plan's fan chart (#fan, data-plan). */
  const charts = document.getElementById("charts");
  if (charts) runCharts(charts);
  const overlaid = document.getElementById("overlay"), runs = document.getElementById("overlay-runs");
  if (overlaid && runs) overlay(overlaid, JSON.parse(runs.textContent));
  const fanned = document.getElementById("fan");
  if (fanned) fanCharts(fanned);
})();
