// ConfVault's charts and live refresh for Datasette query pages; the plugin
// (reporting/plugins/confvault_reporting.py) calls confvaultCharts(specs) with the charts
// metadata.yaml lists for the page, and confvaultRefresh(seconds) while a run is going.
// A chart reads the page's own rows as JSON (same URL + .json, _shape=array): plain SVG,
// no library, nothing fetched from elsewhere.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = {
    success: "#2e7d32", failed: "#c62828", timeout: "#ef6c00", unreachable: "#6a1b9a",
    skipped: "#90a4ae", cancelled: "#795548", interrupted: "#f9a825", other: "#90a4ae",
  };
  const W = 760, H = 240, M = { top: 12, right: 12, bottom: 36, left: 48 };

  function el(name, attrs, parent, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function figure(spec) {
    const fig = document.createElement("figure");
    fig.className = "cv-figure";
    const caption = document.createElement("figcaption");
    caption.textContent = spec.title || "";
    fig.appendChild(caption);
    const w = spec.width || W, h = spec.height || H;
    const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h,
      class: `cv-chart cv-chart-${spec.type}`, role: "img", "aria-label": spec.title || "" });
    fig.appendChild(svg);
    return [fig, svg];
  }

  function yAxis(svg, max) {
    const plotH = H - M.top - M.bottom;
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4, y = M.top + plotH - (plotH * i) / 4;
      el("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, class: "cv-grid" }, svg);
      const label = max >= 10 ? Math.round(v) : v.toFixed(1);
      el("text", { x: M.left - 6, y: y + 4, "text-anchor": "end", class: "cv-tick" }, svg, label);
    }
  }

  function xLabels(svg, rows, x, step) {
    const every = Math.max(1, Math.ceil(rows.length / 10));
    rows.forEach((row, i) => {
      if (i % every) return;
      el("text", { x: M.left + i * step + step / 2, y: H - M.bottom + 16, "text-anchor": "middle",
        class: "cv-tick" }, svg, String(row[x]).slice(5));
    });
  }

  function legend(parent, series, values) {
    const list = document.createElement("ul");
    list.className = "cv-legend";
    series.forEach((s, i) => {
      const item = document.createElement("li");
      item.innerHTML = `<i style="background:${COLORS[s] || "#888"}"></i>`;
      item.appendChild(document.createTextNode(values ? `${s}: ${values[i]}` : s));
      list.appendChild(item);
    });
    parent.appendChild(list);
  }

  function stackedBars(spec, rows) {
    const [fig, svg] = figure(spec);
    const totals = rows.map((r) => spec.series.reduce((a, s) => a + (Number(r[s]) || 0), 0));
    const max = Math.max(1, ...totals), plotH = H - M.top - M.bottom;
    const step = (W - M.left - M.right) / Math.max(1, rows.length);
    yAxis(svg, max);
    rows.forEach((row, i) => {
      let y = M.top + plotH;
      spec.series.forEach((s) => {
        const v = Number(row[s]) || 0;
        if (!v) return;
        const h = (v / max) * plotH;
        y -= h;
        const bar = el("rect", { x: M.left + i * step + step * 0.1, y, width: step * 0.8,
          height: h, fill: COLORS[s] || "#888", class: "cv-bar", "data-series": s,
          "data-value": v }, svg);
        el("title", {}, bar, `${row[spec.x]} ${s}: ${v}`);
      });
    });
    xLabels(svg, rows, spec.x, step);
    legend(fig, spec.series);
    return fig;
  }

  function line(spec, rows) {
    const [fig, svg] = figure(spec);
    const values = rows.map((r) => (r[spec.y] === null ? null : Number(r[spec.y])));
    const max = Math.max(1e-9, ...values.filter((v) => v !== null));
    const plotH = H - M.top - M.bottom, step = (W - M.left - M.right) / Math.max(1, rows.length);
    yAxis(svg, max);
    const points = [];
    values.forEach((v, i) => {
      if (v === null) return;
      const x = M.left + i * step + step / 2, y = M.top + plotH - (v / max) * plotH;
      points.push(`${x},${y}`);
      el("title", {}, el("circle", { cx: x, cy: y, r: 3, class: "cv-point" }, svg),
        `${rows[i][spec.x]}: ${v}`);
    });
    el("polyline", { points: points.join(" "), class: "cv-line", fill: "none" }, svg);
    xLabels(svg, rows, spec.x, step);
    return fig;
  }

  function donut(spec, rows) {
    const [fig, svg] = figure(spec);
    const row = rows[0] || {};
    const values = spec.series.map((s) => Number(row[s]) || 0);
    const total = values.reduce((a, b) => a + b, 0);
    const w = spec.width || W, h = spec.height || H;
    const cx = w / 2, cy = h / 2, r = h / 2 - 16, inner = r * 0.55;
    if (!total) {
      el("text", { x: cx, y: cy, "text-anchor": "middle", class: "cv-tick" }, svg, "no data");
    }
    let angle = -Math.PI / 2;
    values.forEach((v, i) => {
      if (!v) return;
      const a = (v / total) * Math.PI * 2, end = angle + Math.min(a, Math.PI * 2 - 1e-6);
      const large = a > Math.PI ? 1 : 0;
      const p = (rad, radius) => `${cx + radius * Math.cos(rad)} ${cy + radius * Math.sin(rad)}`;
      const d = `M ${p(angle, r)} A ${r} ${r} 0 ${large} 1 ${p(end, r)} L ${p(end, inner)} ` +
        `A ${inner} ${inner} 0 ${large} 0 ${p(angle, inner)} Z`;
      const s = spec.series[i];
      el("title", {}, el("path", { d, fill: COLORS[s] || "#888", class: "cv-slice",
        "data-series": s, "data-value": v }, svg), `${s}: ${v}`);
      angle += a;
    });
    legend(fig, spec.series, values.map((v) =>
      total ? `${v} (${((100 * v) / total).toFixed(1)} %)` : "0"));
    return fig;
  }

  const DRAW = { "stacked-bars": stackedBars, line, donut };

  window.confvaultCharts = async function (specs) {
    const url = new URL(window.location.href);
    url.pathname += ".json";
    url.searchParams.set("_shape", "array");
    url.hash = "";
    const rows = await (await fetch(url, { credentials: "same-origin" })).json();
    const box = document.createElement("div");
    box.className = "cv-charts";
    for (const spec of specs) box.appendChild(DRAW[spec.type](spec, rows));
    const anchor = document.querySelector(".table-wrapper") || document.querySelector("form.sql");
    if (anchor) anchor.parentNode.insertBefore(box, anchor);
    else document.querySelector(".content, main, body").appendChild(box);
  };

  // The panel's pages (reporting/panel/) carry their rows in the page itself.
  window.confvaultDraw = function (target, specs, rows) {
    const box = document.createElement("div");
    box.className = "cv-charts";
    for (const spec of specs) box.appendChild(DRAW[spec.type](spec, rows));
    target.appendChild(box);
  };

  function pad(n) { return String(n).padStart(2, "0"); }

  // <time datetime="...Z"> in the viewer's local time; UTC stays on hover.
  function localTimes(root) {
    for (const node of root.querySelectorAll("time.cv-time[datetime]")) {
      const at = new Date(node.getAttribute("datetime"));
      if (Number.isNaN(at.getTime())) continue;
      node.textContent = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ` +
        `${pad(at.getHours())}:${pad(at.getMinutes())}`;
      node.title = `${node.getAttribute("datetime").slice(0, 19).replace("T", " ")} UTC`;
    }
  }

  // "running for 1 min 05 s", ticking; the server's clock is the reference (data-now).
  function elapsed(root) {
    const nodes = root.querySelectorAll(".cv-elapsed[data-since]");
    if (!nodes.length) return;
    const skew = Date.now() - Date.parse(nodes[0].dataset.now || new Date().toISOString());
    const tick = () => {
      for (const node of nodes) {
        const s = Math.max(0, Math.floor((Date.now() - skew - Date.parse(node.dataset.since)) / 1000));
        node.textContent = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${pad(s % 60)} s`
          : `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
      }
    };
    tick();
    window.setInterval(tick, 1000);
  }

  function panel() {
    localTimes(document);
    elapsed(document);
    const trend = document.getElementById("cv-trend-data");
    if (trend) {
      window.confvaultDraw(document.getElementById("cv-trend"), [
        { type: "stacked-bars", title: "", x: "day", series: ["success", "failed", "timeout", "unreachable", "other"] },
      ], JSON.parse(trend.textContent));
    }
    const compliance = document.getElementById("cv-compliance-trend-data");
    if (compliance) {
      window.confvaultDraw(document.getElementById("cv-compliance-trend"), [
        { type: "line", title: "", x: "day", y: "compliant_pct" },
      ], JSON.parse(compliance.textContent));
    }
    const split = document.getElementById("cv-split-data");
    if (split) {
      window.confvaultDraw(document.getElementById("cv-split"), [
        { type: "donut", title: "", width: 220, height: 170,
          series: ["success", "failed", "timeout", "unreachable", "skipped", "cancelled", "interrupted"] },
      ], JSON.parse(split.textContent));
    }
    for (const button of document.querySelectorAll("button.cv-copy")) {
      button.addEventListener("click", async () => {
        const text = document.getElementById(button.dataset.target).textContent;
        try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; }
        catch (err) { button.textContent = "Select and copy"; }
      });
    }
    // A page about a run in progress reloads itself; once the run has ended the server
    // leaves this out and the page stays still.
    const refresh = document.querySelector('meta[name="confvault-refresh"]');
    if (refresh) window.setTimeout(() => window.location.reload(), Number(refresh.content) * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", panel);
  else panel();

  window.confvaultRefresh = function (seconds) {
    const note = document.createElement("p");
    note.className = "cv-live";
    note.textContent = `Run in progress: this page refreshes every ${seconds} s.`;
    const h1 = document.querySelector("h1");
    if (h1) h1.after(note);
    window.setTimeout(() => window.location.reload(), seconds * 1000);
  };
})();
