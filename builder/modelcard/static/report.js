// nb2service model report: the live panels. Polls the service's /report/live.json (a summary of its
// own /metrics) and writes the numbers with textContent only. Served by the service (no CDN).
"use strict";

(function () {
  const section = document.getElementById("live");
  if (!section) return;
  const source = section.dataset.source;
  const PERIOD_MS = 2000;

  function set(id, text) {
    const element = document.getElementById(id);
    if (element) element.textContent = text;
  }

  function number(value) {
    return value === null || value === undefined ? "-" : Number(value).toLocaleString("en-US");
  }

  function ms(value) {
    if (value === null || value === undefined) return "-";
    return value < 10 ? value.toFixed(2) + " ms" : Math.round(value) + " ms";
  }

  function cell(row, content) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    row.appendChild(td);
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows.map(function (cells) {
      const tr = document.createElement("tr");
      cells.forEach(function (content) { cell(tr, content); });
      return tr;
    }));
  }

  function meter(value, max) {
    const element = document.createElement("meter");
    element.min = 0;
    element.max = max || 1;
    element.value = value;
    return element;
  }

  function predictions(live) {
    const tbody = document.querySelector("#live-predictions tbody");
    if (live.classes) {
      set("live-predictions-title", "Predictions per class");
      set("live-predictions-key", "class");
      const total = Object.values(live.classes).reduce(function (a, b) { return a + b; }, 0);
      fill(tbody, Object.entries(live.classes).map(function ([label, count]) {
        return [label, number(count), meter(count, total)];
      }));
    } else if (live.values) {
      set("live-predictions-title", "Predicted values (distribution)");
      set("live-predictions-key", "value");
      const max = Math.max(1, ...live.values.buckets.map(function (b) { return b.count; }));
      fill(tbody, live.values.buckets.map(function (bucket) {
        return [bucket.range, number(bucket.count), meter(bucket.count, max)];
      }));
    }
  }

  function drift(live) {
    const tbody = document.querySelector("#live-drift tbody");
    fill(tbody, Object.entries(live.drift).map(function ([feature, signals]) {
      return [feature, number(signals.out_of_range), number(signals.unseen_category), number(signals.missing)];
    }));
  }

  function show(live) {
    set("live-requests", number(live.requests.total));
    set("live-errors", live.requests.errors ? number(live.requests.errors) + " answered with an error" : "no errors");
    set("live-latency", ms(live.latency_ms.p50) + " / " + ms(live.latency_ms.p95));
    set("live-latency-note", live.latency_ms.mean === null ? "" : "mean " + ms(live.latency_ms.mean));
    set("live-rows", number(live.rows));
    set("live-model-errors", live.model_errors ? number(live.model_errors) + " model errors" : "");
    set("live-invalid", number(live.validation_failures.total));
    set("live-invalid-note", Object.keys(live.validation_failures.by_field).slice(0, 3).join(", "));
    predictions(live);
    drift(live);
    set("live-updated", "updated " + new Date().toLocaleTimeString());
  }

  function poll() {
    fetch(source, {cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(show)
      .catch(function (error) { set("live-updated", "could not update: " + error.message); })
      .finally(function () { setTimeout(poll, PERIOD_MS); });
  }

  poll();
})();
