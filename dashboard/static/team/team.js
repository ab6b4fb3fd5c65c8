// The team app's page script: actions and files go into an IndexedDB queue first, then to the
// server. Each action carries a UUID made here; the server applies an id once, so sending the
// queue again after a dropped connection never doubles a step. The device time goes with it.
(() => {
  "use strict";
  const DB = "envpetition-team", STORE = "outbox";
  const banner = document.getElementById("queue-banner");
  const flash = document.getElementById("flash");
  const app = document.querySelector(".teamapp");
  const team = app ? app.dataset.team : "";
  const LABELS = {acknowledge: "确认接收", depart: "出发", arrive: "到场", investigate: "现场查处", reply: "答复",
                  return: "退回", refuse: "说\u201c不\u201d提级"};
  let flushing = false;
  // The device clock corrected by its offset to the server clock seen when the page loaded: phones
  // drift, and the demo runs on a demo clock. The server still checks and flags the time it gets.
  const offset = app && app.dataset.serverNow ? new Date(app.dataset.serverNow).getTime() - Date.now() : 0;
  const applied = Math.abs(offset) > 120000 ? offset : 0;
  const now = () => Date.now() + applied;

  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() :
    "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, {keyPath: "seq", autoIncrement: true});
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function tx(mode, fn) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : result);
      t.onerror = () => reject(t.error);
    });
  }
  const all = () => tx("readonly", (s) => s.getAll());
  const put = (item) => tx("readwrite", (s) => s.add(item));
  const remove = (seq) => tx("readwrite", (s) => s.delete(seq));

  function say(text, bad) {
    if (!flash) return;
    flash.textContent = text;
    flash.classList.toggle("bad", !!bad);
    flash.hidden = false;
  }

  async function showQueue() {
    const items = await all();
    const actions = items.filter((i) => i.kind === "action").length, files = items.length - actions;
    if (!banner) return;
    banner.hidden = items.length === 0 && navigator.onLine;
    banner.classList.toggle("offline", !navigator.onLine);
    const state = navigator.onLine ? "联网，正在补传 sending" : "离线 offline — 联网后自动发送 sent when the network returns";
    banner.textContent = items.length ? `待发送 ${actions} 项操作、${files} 个文件 · ${actions} actions, ${files} files waiting · ${state}`
                                      : "离线 offline — 操作将排队 actions will be queued";
    document.querySelectorAll("article.order").forEach((card) => {
      const waiting = items.filter((i) => i.kind === "action" && String(i.body.case_id) === card.dataset.case);
      card.classList.toggle("pending", waiting.length > 0);
      let note = card.querySelector(".queued");
      if (waiting.length && !note) { note = document.createElement("p"); note.className = "queued"; card.querySelector("header").after(note); }
      if (note) note.textContent = waiting.length ? "待发送: " + waiting.map((w) => LABELS[w.body.action] + " " + clock(w.body.device_at)).join("、") : "";
      if (note && !waiting.length) note.remove();
    });
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit", hour12: false});

  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: p.coords.accuracy}),
        () => resolve(null), {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
    });
  }

  async function refreshCard(caseId) {
    try {
      const response = await fetch(`/team/cases/${caseId}/card` + (team ? `?team=${team}` : ""), {credentials: "same-origin"});
      if (!response.ok) return;
      const html = (await response.text()).trim();
      const card = document.getElementById("case-" + caseId);
      if (!card) return;
      if (!html) { card.remove(); return; }
      const box = document.createElement("div");
      box.innerHTML = html;
      card.replaceWith(box.firstElementChild);
      bind(document.getElementById("case-" + caseId));
    } catch (e) { /* offline again: the old card stays */ }
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function send(item) {
    if (item.kind === "action") {
      return fetch("/api/team/actions", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()}, body: JSON.stringify(item.body)});
    }
    const form = new FormData();
    form.append("client_attachment_id", item.id);
    form.append("client_action_id", item.action_id);
    form.append("file", item.blob, item.name);
    return fetch("/api/team/attachments", {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": csrfToken()}, body: form});
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    const touched = new Set();
    try {
      for (const item of await all()) {
        let response;
        try { response = await send(item); } catch (e) { break; }  // no network: keep the rest in order
        if (response.status >= 500 || response.status === 409 || response.status === 401) break;  // try later
        let body = {};
        try { body = await response.json(); } catch (e) { /* not JSON */ }
        await remove(item.seq);
        if (item.kind !== "action") continue;
        touched.add(item.body.case_id);
        const label = LABELS[item.body.action] || item.body.action;
        if (!response.ok) say(`案件 ${item.body.case_id} ${label} 未执行: ${body.detail || response.status}`, true);
        else if (body.outcome === "refused") say(`案件 ${item.body.case_id} ${label} 未执行: ${body.message}`, true);
        else say(`案件 ${item.body.case_id} 已${label}` + (body.distance_m != null ? ` · 距案发点 ${Math.round(body.distance_m)} m` : "")
                 + (body.time_flag === "queued" ? " · 离线补传" : ""));
      }
    } finally {
      flushing = false;
      await showQueue();
    }
    for (const caseId of touched) await refreshCard(caseId);
  }

  async function act(form, button) {
    const action = button.value;
    const text = form.elements.text ? form.elements.text.value.trim() : "";
    if (button.dataset.needsText && !text) {
      say(`「${LABELS[action]}」必须填写说明 / a text is required`, true);
      if (form.elements.text) form.elements.text.focus();
      return;
    }
    button.disabled = true;
    const body = {client_action_id: uuid(), case_id: Number(form.dataset.case), action, text: text || null,
                  device_at: new Date(now()).toISOString(), device_clock_offset_s: applied ? applied / 1000 : null,
                  order_id: form.elements.order_id.value ? Number(form.elements.order_id.value) : null};
    if (action === "arrive") {
      say("正在定位 locating…");
      const where = await position();
      if (where) Object.assign(body, where);
    }
    await put({kind: "action", body});
    const files = form.elements.files ? Array.from(form.elements.files.files) : [];
    for (const file of files) {
      await put({kind: "file", id: uuid(), action_id: body.client_action_id, name: file.name, blob: file});
    }
    if (form.elements.text) form.elements.text.value = "";
    if (form.elements.files) form.elements.files.value = "";
    say(`已记录「${LABELS[action]}」${navigator.onLine ? "，正在发送" : "，离线排队中"} · recorded`);
    button.disabled = false;
    await showQueue();
    await flush();
  }

  function drawMap(details) {
    const id = details.dataset.figureFor, holder = document.getElementById("map-" + id);
    const source = document.getElementById("fig-" + id);
    if (!holder || !source || holder.dataset.drawn) return;
    const draw = () => {
      const fig = JSON.parse(source.textContent);
      window.Plotly.newPlot(holder, fig.data, fig.layout, {displayModeBar: false, responsive: true, scrollZoom: false});
      holder.dataset.drawn = "1";
    };
    if (window.Plotly) return draw();
    const script = document.createElement("script");
    script.src = "/assets/plotly.min.js";
    script.onload = draw;
    document.head.appendChild(script);
  }

  function countdowns() {
    const at = now();
    document.querySelectorAll("b.left[data-due]").forEach((el) => {
      const ms = new Date(el.dataset.due).getTime() - at, mins = Math.round(Math.abs(ms) / 60000);
      const text = mins >= 2880 ? `${Math.floor(mins / 1440)} 天` : mins >= 60 ? `${Math.floor(mins / 60)} 小时 ${mins % 60} 分` : `${mins} 分钟`;
      el.textContent = ms >= 0 ? `剩余 ${text}` : `超期 ${text}`;
    });
  }

  function bind(card) {
    if (!card) return;
    const form = card.querySelector("form.act");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const button = event.submitter || form.querySelector("button[name=action]");
        act(form, button);
      });
    }
    const details = card.querySelector("details.site");
    if (details) details.addEventListener("toggle", () => details.open && drawMap(details));
    countdowns();
  }

  document.querySelectorAll("article.order").forEach(bind);
  window.addEventListener("online", () => { showQueue(); flush(); });
  window.addEventListener("offline", showQueue);
  setInterval(countdowns, 30000);
  setInterval(() => { if (navigator.onLine) flush(); }, 15000);
  showQueue().then(flush);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/team/sw.js", {scope: "/team"}).catch(() => {});
  window.envpetitionTeam = {flush, queue: all};  // for the browser tests and a curious chief
})();
