/* The plan page's PSI grid (section #plan-review): a page of one level of the plan's PSI from
   GET /plans/{id}/psi, searched and paged; in a draft the signed-in planner edits demand and
   supply in place and saves with PATCH /plans/{id}/psi (the page's CSRF token in X-CSRF-Token),
   locks or unlocks the selected rows, and the audit trail below is read again. Edited cells
   (different from the pipeline's value, which their title gives) and locked cells are marked. */
(function () {
  "use strict";

  const section = document.getElementById("plan-review");
  if (!section) return;
  const plan = section.dataset.plan;
  const editable = section.dataset.editable === "true";
  const $ = function (id) { return document.getElementById(id); };
  const table = $("psi-grid"), status = $("psi-status");
  const view = { level: "aggregate", q: "", limit: 50, offset: 0, total: 0 };
  const COLUMNS = {
    aggregate: [["period", "Period"], ["family", "Family"], ["demand", "Demand", true], ["supply", "Supply", true],
                ["backlog", "Backlog"], ["detail_demand", "Detail Σ demand"], ["detail_supply", "Detail Σ supply"]],
    det: [["week", "Week"], ["sku", "SKU"], ["family", "Family"], ["period", "Period"], ["demand", "Demand", true],
          ["supply_plan", "Supply plan", true], ["backlog", "Backlog"], ["on_hand_start", "On hand (start)"],
          ["on_hand_end", "On hand (end)"]],
  };
  const NAMES = { aggregate: ["period", "family"], det: ["week", "sku"] };

  function csrf() {
    const input = section.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function number(value) {
    return typeof value === "number" ? value.toLocaleString(undefined, { maximumFractionDigits: 3 }) : "";
  }

  function rowKey(row) {
    return (view.level === "aggregate" ? "agg:period=" + row.period + ",family=" + row.family
                                        : "det:week=" + row.week + ",sku=" + row.sku);
  }

  function cell(tr, row, column) {
    const name = column[0], td = document.createElement("td");
    const value = name.startsWith("detail_") ? row.detail[name.slice(7)] : row[name];
    if (typeof value === "number") td.className = "num";
    if (!column[2]) {
      td.textContent = typeof value === "number" ? number(value) : value;
      if (name.startsWith("detail_") && !row.agrees) td.classList.add("psi-disagrees");
      return td;
    }
    const locked = row.locked.indexOf(name) >= 0, edited = row.edited.indexOf(name) >= 0;
    td.classList.toggle("locked", locked);
    td.classList.toggle("edited", edited);
    td.title = (edited ? "pipeline: " + number(row.original[name]) : "the pipeline's value") + (locked ? " · locked" : "");
    if (editable && !locked) {
      const input = document.createElement("input");
      input.type = "number"; input.min = "0"; input.step = "any"; input.className = "psi-cell";
      input.value = String(value); input.dataset.field = name; input.dataset.was = String(value);
      input.setAttribute("aria-label", name + " " + rowKey(row));
      td.appendChild(input);
    } else {
      td.textContent = number(value);
    }
    return td;
  }

  function render(page) {
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    const columns = COLUMNS[view.level];
    if (editable) head.appendChild(document.createElement("th")).textContent = "";
    columns.forEach(function (c) {
      const th = document.createElement("th");
      th.textContent = c[1];
      if (!["period", "family", "week", "sku"].includes(c[0])) th.className = "num";
      head.appendChild(th);
    });
    const body = table.createTBody();
    page.rows.forEach(function (row) {
      const tr = body.insertRow();
      tr.dataset.key = rowKey(row);
      NAMES[view.level].forEach(function (n) { tr.dataset[n] = row[n]; });
      if (editable) {
        const pick = document.createElement("input");
        pick.type = "checkbox"; pick.className = "psi-pick"; pick.setAttribute("aria-label", "select " + rowKey(row));
        tr.insertCell().appendChild(pick);
      }
      columns.forEach(function (c) { tr.appendChild(cell(tr, row, c)); });
    });
    if (!page.rows.length) body.insertRow().insertCell().textContent = "No rows" + (view.q ? " match the search." : ".");
    view.total = page.total;
    const last = Math.min(view.offset + view.limit, page.total);
    $("psi-page").textContent = page.total ? (view.offset + 1) + "–" + last + " of " + page.total : "0 rows";
    $("psi-prev").disabled = view.offset === 0;
    $("psi-next").disabled = last >= page.total;
    const revision = $("review-revision");
    if (revision && page.revision !== undefined) revision.textContent = "revision " + page.revision;
    changed();
  }

  function load() {
    const params = new URLSearchParams({ level: view.level, limit: view.limit, offset: view.offset });
    if (view.q) params.set("q", view.q);
    return fetch("/plans/" + encodeURIComponent(plan) + "/psi?" + params, { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (answer) {
        if (!answer[0]) throw new Error(detail(answer[1]));
        render(answer[1]);
        section.dataset.loaded = String(Date.now());
      })
      .catch(function (error) { say("The PSI could not be read: " + error.message, true); });
  }

  function detail(body) {
    const d = body && body.detail;
    if (typeof d === "string") return d;
    if (d && d.message) return d.message;
    return JSON.stringify(d);
  }

  function dirty() { return Array.from(table.querySelectorAll("input.psi-cell.dirty")); }
  function picked() { return Array.from(table.querySelectorAll("input.psi-pick:checked")); }

  function changed() {
    if (!editable) return;
    $("psi-save").disabled = dirty().length === 0;
    $("psi-lock").disabled = $("psi-unlock").disabled = picked().length === 0;
  }

  function send(body, done) {
    say("Saving…");
    return fetch("/plans/" + encodeURIComponent(plan) + "/psi", {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() }, body: JSON.stringify(body),
    }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
      .then(function (answer) {
        if (!answer[0]) { say("Not saved: " + detail(answer[1]), true); return; }
        const message = done(answer[1]);
        return Promise.all([load(), audit()]).then(function () { say(message); });
      })
      .catch(function (error) { say("Not saved: " + error.message, true); });
  }

  function save() {
    const edits = {};
    dirty().forEach(function (input) {
      const tr = input.closest("tr"), key = tr.dataset.key;
      if (!edits[key]) {
        edits[key] = { key: {}, fields: {} };
        NAMES[view.level].forEach(function (n) { edits[key].key[n] = tr.dataset[n]; });
      }
      edits[key].fields[input.dataset.field] = Number(input.value);
    });
    const step = Number($("psi-step").value);
    const body = { level: view.level, edits: Object.values(edits), note: $("psi-note").value,
                   distribute: { weight_mode: $("psi-weight-mode").value } };
    if (step > 0) body.distribute.round = { step: step, mode: $("psi-mode").value };
    send(body, function (r) {
      return "Saved " + r.updated + " cell(s)" + (r.distributed ? ", " + r.distributed + " detail cell(s) distributed" : "") +
        (r.rolled_up ? ", " + r.rolled_up + " aggregate cell(s) rolled up" : "") +
        (r.skipped.length ? "; " + r.skipped.length + " locked cell(s) left as they were" : "") + ": revision " + r.revision + ".";
    });
  }

  function lock(mode) {
    const keys = picked().map(function (p) { return p.closest("tr").dataset.key; });
    send({ level: view.level, edits: [], lock: mode, lock_keys: keys, note: $("psi-note").value }, function (r) {
      return (mode === "lock" ? "Locked " : "Unlocked ") + keys.length + " row(s).";
    });
  }

  function audit() {
    return fetch("/plans/" + encodeURIComponent(plan) + "/psi/audit?limit=50", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        const tbody = $("review-audit").tBodies[0];
        tbody.replaceChildren();
        body.events.forEach(function (e) {
          const tr = tbody.insertRow();
          tr.dataset.event = e.event_type;
          [e.display_time.slice(0, 19).replace("T", " ") + " UTC", e.actor, e.display_event, e.level || "",
           e.revision >= 0 ? e.revision : "", e.payload.cells || "", e.key_display, e.notes].forEach(function (text, i) {
            const td = tr.insertCell();
            td.textContent = String(text);
            if (i === 4 || i === 5) td.className = "num";
          });
        });
        const count = document.querySelector("#review-audit-title span");
        if (count) count.textContent = "(" + body.total + ")";
      });
  }

  let typing = null;
  $("psi-level").addEventListener("change", function (e) { view.level = e.target.value; view.offset = 0; load(); });
  $("psi-limit").addEventListener("change", function (e) { view.limit = Number(e.target.value); view.offset = 0; load(); });
  $("psi-q").addEventListener("input", function (e) {
    clearTimeout(typing);
    typing = setTimeout(function () { view.q = e.target.value.trim(); view.offset = 0; load(); }, 250);
  });
  $("psi-prev").addEventListener("click", function () { view.offset = Math.max(0, view.offset - view.limit); load(); });
  $("psi-next").addEventListener("click", function () { view.offset += view.limit; load(); });
  if (editable) {
    table.addEventListener("input", function (e) {
      if (!e.target.classList.contains("psi-cell")) return;
      e.target.classList.toggle("dirty", e.target.value !== e.target.dataset.was);
      changed();
    });
    table.addEventListener("change", function (e) { if (e.target.classList.contains("psi-pick")) changed(); });
    $("psi-save").addEventListener("click", save);
    $("psi-lock").addEventListener("click", function () { lock("lock"); });
    $("psi-unlock").addEventListener("click", function () { lock("unlock"); });
  }
  load();
})();
