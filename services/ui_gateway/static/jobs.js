/* Live job table: Server-Sent Events from /ui/jobs/events (resumed by Last-Event-ID),
   falling back to polling GET /jobs when the stream cannot be kept open. Every job it hears of
   is announced as a "scpln:job" event on the document ({job, seq}), for the page's other live
   parts (static/fragments.js). */
(function () {
  "use strict";
  const table = document.getElementById("jobs");
  if (!table) return;
  const body = table.tBodies[0];
  const status = document.getElementById("live-status");
  const onlyJob = table.dataset.job || null;
  const onlyState = table.dataset.state || null;  // the page's filters: a job that does not match
  const onlyType = table.dataset.jobType || null;  // is not added, and leaves when it stops matching
  const POLL_MS = 2000;
  let failures = 0;

  function stamp(iso) {  // events are stamped in UTC, as the server renders times
    return iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace(/(Z|[+-]\d\d:\d\d)$/, "") + " UTC" : "";
  }

  function matches(job) {
    return (!onlyState || job.state === onlyState) && (!onlyType || job.job_type === onlyType);
  }

  function count(delta) {
    const total = document.getElementById("job-total");
    if (total) total.textContent = String(Math.max(0, Number(total.textContent) + delta));
  }

  function link(kind, id, seq) {  // seq: the page it leads to shows at least this event
    if (!id) return "–";
    const a = document.createElement("a");
    a.className = "id"; a.href = "/ui/" + kind + "/" + encodeURIComponent(id) + (seq ? "?min_seq=" + seq : "");
    a.textContent = id;
    return a;
  }

  function rowFor(job) {
    let row = body.querySelector('tr[data-job-id="' + CSS.escape(job.job_id) + '"]');
    if (row || onlyJob) return row;
    row = document.getElementById("job-row").content.firstElementChild.cloneNode(true);
    row.dataset.jobId = job.job_id;
    const a = row.querySelector('[data-field="job"]');
    a.href = "/ui/jobs/" + encodeURIComponent(job.job_id); a.textContent = job.job_id;
    row.querySelector('[data-field="created"]').textContent = stamp(job.occurred_at || job.created_at);
    body.prepend(row);
    count(+1);
    return row;
  }

  function setField(row, name, value) {
    const cell = row.querySelector('[data-field="' + name + '"]');
    if (cell) cell.replaceChildren(value);
  }

  function actions(job) {  // the page renders a form per action the role may use, with its CSRF token
    const verbs = [];
    if (job.state === "queued") verbs.push("cancel");
    if (job.state !== "succeeded" && job.job_type !== "rebuild") verbs.push("retry");  // any job that did not succeed
    const forms = document.createDocumentFragment();
    verbs.forEach((verb) => {
      const template = document.getElementById("job-" + verb);
      if (!template || !template.content.firstElementChild) return;
      const form = template.content.firstElementChild.cloneNode(true);
      form.action = "/ui/jobs/" + encodeURIComponent(job.job_id) + "/" + verb;
      forms.append(form);
    });
    return forms;
  }

  function update(job, seq) {
    if (onlyJob && job.job_id !== onlyJob) return;
    if (!matches(job)) {
      const shown = body.querySelector('tr[data-job-id="' + CSS.escape(job.job_id) + '"]');
      if (shown) { shown.remove(); count(-1); }
      return;
    }
    const row = rowFor(job);
    if (!row) return;
    const state = row.querySelector('[data-field="state"]');
    state.className = "badge " + job.state; state.textContent = job.state;
    const pct = Math.round(job.progress * 1000) / 10;
    const bar = row.querySelector('[data-field="progress"]');
    bar.title = pct + "%"; bar.firstElementChild.style.width = pct + "%";
    setField(row, "job_type", job.job_type);
    setField(row, "step", job.step || "");
    setField(row, "message", job.message || "");
    const ended = ["succeeded", "failed", "cancelled"].includes(job.state);
    setField(row, "plan", link("plans", job.plan_version_id, ended ? seq : 0));
    setField(row, "run", link("runs", job.run_id));
    setField(row, "updated", stamp(job.occurred_at || job.updated_at));
    setField(row, "actions", actions(job));
    row.dataset.state = job.state;
  }

  function announce(job, seq) {
    document.dispatchEvent(new CustomEvent("scpln:job", { detail: { job: job, seq: seq } }));
  }

  function poll() {
    status.textContent = "Live updates: polling every " + POLL_MS / 1000 + " s";
    const filters = (onlyState ? "&state=" + encodeURIComponent(onlyState) : "")
      + (onlyType ? "&job_type=" + encodeURIComponent(onlyType) : "");
    const url = onlyJob ? "/jobs/" + encodeURIComponent(onlyJob) : "/jobs?limit=100" + filters;
    fetch(url).then((r) => r.json()).then((data) => {
      (data.jobs || [data.job]).slice().reverse().forEach((job) => { update(job, 0); announce(job, 0); });
    }).catch(() => { status.textContent = "Live updates: the gateway does not answer; retrying…"; })
      .finally(() => setTimeout(poll, POLL_MS));
  }

  function listen() {
    let url = "/ui/jobs/events?after=" + encodeURIComponent(table.dataset.after || "0");
    if (onlyJob) url += "&job_id=" + encodeURIComponent(onlyJob);
    const source = new EventSource(url);
    source.addEventListener("open", () => { failures = 0; status.textContent = "Live updates: connected"; });
    source.addEventListener("job", (e) => {
      const job = JSON.parse(e.data);
      update(job, Number(e.lastEventId) || 0);
      announce(job, Number(e.lastEventId) || 0);
    });
    source.addEventListener("error", () => {
      failures += 1;
      status.textContent = "Live updates: reconnecting…";
      if (failures >= 3) { source.close(); poll(); }
    });
  }

  if (window.EventSource) listen(); else poll();
})();
