// The intake seat without a mouse: shortcuts, and open cases nearby suggested while the call is typed.
(() => {
  "use strict";
  const form = document.getElementById("intake-form");
  if (!form) return;
  const list = document.getElementById("sugg-list"), place = document.getElementById("sugg-place");
  const join = document.getElementById("join_case_id"), joinNote = document.getElementById("join-note");
  let timer = null, shown = [], asked = "";

  function chooseJoin(caseItem) {
    join.value = caseItem ? caseItem.id : "";
    joinNote.hidden = !caseItem;
    joinNote.textContent = caseItem ? `将并入案件 #${caseItem.id}「${caseItem.title}」· will join case ${caseItem.id} (Esc 取消 cancel)` : "";
    list.querySelectorAll("li").forEach((li) => li.classList.toggle("chosen", caseItem && li.dataset.id === String(caseItem.id)));
  }

  function render(found) {
    shown = found.cases || [];
    list.innerHTML = "";
    const where = found.place ? [found.place.community, found.place.enterprise].filter(Boolean).join(" · ") : "";
    place.textContent = found.place ? `定位 located: ${where || "坐标点"}` + (shown.length ? "" : " · 附近无在办案件 no open case nearby")
                                    : (found.problem ? `尚未定位 not located yet (${found.problem})` : "输入地址或内容后显示 · shown as you type");
    shown.forEach((c, i) => {
      const li = document.createElement("li");
      li.dataset.id = c.id;
      const dist = c.distance_m != null ? `${c.distance_m} m` : "";
      li.append(`#${c.id} ${c.title} · ${c.complaints} 件投诉 · ${dist}` + (c.shared.length ? ` · 同类 ${c.shared.join("、")}` : ""));
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = i === 0 ? "并入 join (Alt+J)" : "并入 join";
      button.addEventListener("click", () => chooseJoin(c));
      li.append(button);
      list.append(li);
    });
    if (join.value && !shown.some((c) => String(c.id) === join.value)) chooseJoin(null);
  }

  async function ask() {
    const params = new URLSearchParams();
    for (const name of ["text", "address", "reported_party", "lon", "lat", "crs"]) params.set(name, form.elements[name].value);
    const query = params.toString();
    if (query === asked) return;
    asked = query;
    try {
      const response = await fetch("/intake/suggest?" + query, {credentials: "same-origin"});
      if (response.ok) render(await response.json());
    } catch (e) { /* the seat keeps typing; the next keystroke asks again */ }
  }

  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 350); });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); return; }
    if (event.key === "Escape" && join.value) { chooseJoin(null); return; }
    if (!event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "n") { event.preventDefault(); form.reset(); chooseJoin(null); form.elements.text.focus(); render({cases: []}); asked = ""; }
    else if (key === "q") { event.preventDefault(); const q = document.getElementById("q-title"); q.focus(); q.scrollIntoView(); }
    else if (key === "j" && shown.length) {
      // Alt+J joins the nearest case; pressed again it moves to the next one.
      event.preventDefault();
      const at = shown.findIndex((c) => String(c.id) === join.value);
      chooseJoin(shown[(at + 1) % shown.length]);
    }
  });
  if (form.elements.text.value || form.elements.address.value) ask();
})();
