/* Parts of a page that follow the jobs live. An element with data-live-src is fetched again (HTML
   the server renders with the page's own template, at least as new as the event: min_seq) when a job
   it follows changes:
   - data-live-job="<job_id>": when that job moves to another step or state (the job page's steps);
   - data-live-plan="<plan_version_id>": when a simulation of that plan ends (the plan page's runs);
     meanwhile its simulations in progress are listed in the element data-live-list names.
   Jobs come as "scpln:job" events ({job, seq}: static/jobs.js announces them). An element with
   data-live-after listens to the stream itself (/ui/jobs/events after that sequence), and fetches
   again every 5 s when the stream cannot be kept open. New rows (data-live-key) are highlighted.
   An element with data-live-reload-job="<job_id>" reloads the page (at least as new as the event)
   when that job ends: a plan being planned turns into its plan or its failure. */
(function () {
  "use strict";
  const parts = Array.from(document.querySelectorAll("[data-live-src]"));
  if (!parts.length) return;
  const FINAL = ["succeeded", "failed", "cancelled"];
  const COUNTER = /\s*\d+\s*\/\s*\d+\s*$/;  // "day 3/90" is step "day"
  const heard = new Map();
  const streaming = parts.find((part) => part.dataset.liveAfter !== undefined);
  const status = streaming && document.getElementById(streaming.dataset.liveStatus || "");

  function say(text) { if (status) status.textContent = text; }

  function refresh(part, seq) {
    part.liveSeq = Math.max(part.liveSeq || 0, seq || 0);
    if (part.liveTimer) return;
    part.liveTimer = setTimeout(function () {
      const params = new URLSearchParams(window.location.search);
      params.delete("flash");
      if (part.liveSeq) params.set("min_seq", String(part.liveSeq));
      const before = new Set(Array.from(part.querySelectorAll("[data-live-key]"), (el) => el.dataset.liveKey));
      fetch(part.dataset.liveSrc + "?" + params.toString(), { headers: { Accept: "text/html" } })
        .then((r) => (r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status))))
        .then(function (html) {
          part.innerHTML = html;
          part.querySelectorAll("[data-live-key]").forEach(function (el) {
            if (!before.has(el.dataset.liveKey)) el.classList.add("highlight");
          });
          part.dataset.refreshed = String(Number(part.dataset.refreshed || 0) + 1);
        })
        .catch(function () { say("Live updates: the gateway does not answer; retrying…"); })
        .finally(function () { part.liveTimer = null; });
    }, 250);
  }

  function simulating(list, job) {
    let item = list.querySelector('li[data-job-id="' + CSS.escape(job.job_id) + '"]');
    if (FINAL.includes(job.state)) {
      if (item) item.remove();
    } else {
      if (!item) {
        item = document.createElement("li");
        item.dataset.jobId = job.job_id;
        const link = document.createElement("a");
        link.className = "id"; link.href = "/ui/jobs/" + encodeURIComponent(job.job_id); link.textContent = job.job_id;
        const badge = document.createElement("span");
        const bar = document.createElement("span"); bar.className = "bar"; bar.append(document.createElement("span"));
        const step = document.createElement("small"); step.className = "muted step";
        item.append("Simulating ", link, " ", badge, " ", bar, " ", step);
        list.append(item);
      }
      const pct = Math.round((job.progress || 0) * 1000) / 10;
      const badge = item.querySelector("a + span");
      badge.className = "badge " + job.state; badge.textContent = job.state;
      item.querySelector(".bar").title = pct + "%";
      item.querySelector(".bar > span").style.width = pct + "%";
      item.querySelector(".step").textContent = job.step || "";
    }
    list.hidden = list.children.length === 0;
  }

  const reloadOn = document.querySelector("[data-live-reload-job]");

  document.addEventListener("scpln:job", function (event) {
    const job = event.detail.job, seq = event.detail.seq;
    if (reloadOn && reloadOn.dataset.liveReloadJob === job.job_id && FINAL.includes(job.state)) {
      const params = new URLSearchParams(window.location.search);
      params.delete("flash");
      if (seq) params.set("min_seq", String(seq));
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
    const now = job.state + "/" + (job.step || "").replace(COUNTER, "");
    const changed = heard.get(job.job_id) !== now;
    heard.set(job.job_id, now);
    parts.forEach(function (part) {
      if (part.dataset.liveJob) {
        if (part.dataset.liveJob === job.job_id && changed) refresh(part, seq);
        return;
      }
      if (!part.dataset.livePlan || job.plan_version_id !== part.dataset.livePlan || job.job_type !== "simulation") return;
      const list = document.getElementById(part.dataset.liveList || "");
      if (list) simulating(list, job);
      if (FINAL.includes(job.state) && changed) refresh(part, seq);
    });
  });

  function poll() {
    say("Live updates: fetching every 5 s");
    setInterval(function () { parts.forEach((part) => refresh(part, 0)); }, 5000);
  }

  function listen(after) {
    let failures = 0;
    const source = new EventSource("/ui/jobs/events?after=" + encodeURIComponent(after || "0"));
    source.addEventListener("open", function () { failures = 0; say("Live updates: connected"); });
    source.addEventListener("job", function (e) {
      document.dispatchEvent(new CustomEvent("scpln:job", {
        detail: { job: JSON.parse(e.data), seq: Number(e.lastEventId) || 0 } }));
    });
    source.addEventListener("error", function () {
      failures += 1;
      say("Live updates: reconnecting…");
      if (failures >= 3) { source.close(); poll(); }
    });
  }

  if (streaming) {
    if (window.EventSource) listen(streaming.dataset.liveAfter); else poll();
  }
})();
