// app.js - vigil's web UI: one page, no build step, no inline script or style
// (vigild's Content-Security-Policy allows only 'self'). Every text is set as
// text (never as HTML), so data from mail cannot become markup.
"use strict";

(function () {
  const T = window.VIGIL_TEXT;
  let lang = localStorage.getItem("vigil.lang") || "vi";
  let me = null;
  let units = [];

  const t = (k) => (T[lang] && T[lang][k]) || T.en[k] || k;
  const $ = (sel) => document.querySelector(sel);

  // h("div", {class: "x", onclick: fn}, child, "text", ...)
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  async function api(method, path, body) {
    const opt = { method, headers: { "Accept-Language": lang }, credentials: "same-origin" };
    if (body !== undefined) {
      opt.headers["Content-Type"] = "application/json";
      opt.body = JSON.stringify(body);
    }
    if (me && me.csrf && method !== "GET") opt.headers["X-CSRF-Token"] = me.csrf;
    const r = await fetch("/api/v1" + path, opt);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.status === 401 && path !== "/session") { me = null; go("#/login"); }
    return { status: r.status, data };
  }

  function errText(r) {
    if (r.status === 403) return t("forbidden");
    if (r.status === 404) return t("not_found");
    return (r.data && r.data.error && r.data.error.message) || t("error") + " " + r.status;
  }

  function go(hash) { if (location.hash !== hash) location.hash = hash; else route(); }

  const fmtTime = (s) => s ? new Date(s).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB",
    { timeZone: "Asia/Ho_Chi_Minh" }) : "—";
  function fmtDur(sec) {
    if (sec === null || sec === undefined) return "—";
    if (sec < 3600) return Math.round(sec / 60) + " " + t("minutes");
    if (sec < 86400) return (sec / 3600).toFixed(1) + " " + t("hours");
    return (sec / 86400).toFixed(1) + " " + t("days");
  }
  const badge = (cls, text) => h("span", { class: "badge " + cls }, text);
  const sev = (s) => badge("sev-" + s, t("sev_" + s));
  const st = (s) => badge("st-" + s, t("st_" + s));
  const tlp = (s) => badge("tlp tlp-" + String(s).replace(/[^A-Za-z]/g, "").toLowerCase(), s);
  const regionName = (r) => t("rg_" + String(r || "").replace(/-/g, "_"));
  const unitName = (id) => { const u = units.find((x) => x.id === id); return u ? u.short : id; };

  function msg(text, cls) { return h("p", { class: "msg " + (cls || "err"), role: "alert" }, text); }

  function table(cols, rows, rowFn) {
    if (!rows.length) return h("p", { class: "empty" }, t("no_data"));
    return h("table", {},
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, t(c))))),
      h("tbody", {}, rows.map(rowFn)));
  }

  // ---- frame ----
  function frame(active, ...content) {
    const nav = [["#/", "dashboard"], ["#/incidents", "incidents"], ["#/alerts", "alerts"],
      ["#/indicators", "indicators_all"], ["#/quarantine", "quarantine"], ["#/org", "organisation"]];
    if (me && me.role === "admin") nav.push(["#/users", "users"], ["#/tokens", "tokens"], ["#/audit", "audit"]);
    const main = $("#main");
    main.replaceChildren(
      h("header", {},
        h("h1", {}, "vigil"),
        h("nav", {}, nav.map(([href, k]) => h("a", { href, class: k === active ? "on" : null,
          id: "nav-" + k }, t(k)))),
        h("div", { class: "who" },
          me ? h("span", { id: "whoami" }, me.display_name + " · " + t("r_" + me.role)) : null,
          h("button", { id: "lang", class: "link", onclick: () => {
            lang = lang === "vi" ? "en" : "vi";
            localStorage.setItem("vigil.lang", lang);
            document.documentElement.lang = lang;
            route();
          } }, t("language")),
          me ? h("button", { id: "signout", class: "link", onclick: async () => {
            await api("DELETE", "/session"); me = null; go("#/login");
          } }, t("signout")) : null)),
      h("section", { id: "content" }, content));
  }

  // ---- sign in ----
  function loginPage() {
    const user = h("input", { id: "username", autocomplete: "username", required: true });
    const pass = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
    const out = h("div");
    const form = h("form", { class: "login", onsubmit: async (e) => {
      e.preventDefault();
      const r = await api("POST", "/session", { username: user.value, password: pass.value });
      if (r.status === 200) { me = r.data; await loadUnits(); go("#/"); }
      else out.replaceChildren(msg(r.status === 401 ? t("signin_failed") : errText(r)));
    } },
    h("h2", {}, t("app")),
    h("label", {}, t("username"), user), h("label", {}, t("password"), pass),
    h("button", { type: "submit", id: "signin" }, t("signin")), out,
    h("button", { type: "button", class: "link", onclick: () => {
      lang = lang === "vi" ? "en" : "vi"; localStorage.setItem("vigil.lang", lang); route();
    } }, t("language")));
    $("#main").replaceChildren(form);
  }

  async function loadUnits() {
    const r = await api("GET", "/org/units");
    units = r.status === 200 ? r.data.units : [];
  }

  // ---- dashboard ----
  function barChart(days) {
    const W = 560, H = 160, pad = 24, max = Math.max(1, ...days.map((d) => d.n));
    const bw = (W - pad * 2) / days.length;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("detections"));
    days.forEach((d, i) => {
      const bh = (H - pad * 2) * d.n / max;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", pad + i * bw + 2); r.setAttribute("y", H - pad - bh);
      r.setAttribute("width", bw - 4); r.setAttribute("height", bh);
      r.setAttribute("class", "bar");
      const tip = document.createElementNS(ns, "title");
      tip.textContent = d.day + ": " + d.n;
      r.append(tip);
      svg.append(r);
      if (i % 2 === 0) {
        const lbl = document.createElementNS(ns, "text");
        lbl.setAttribute("x", pad + i * bw + bw / 2); lbl.setAttribute("y", H - 6);
        lbl.setAttribute("class", "axis");
        lbl.textContent = d.day.slice(5);
        svg.append(lbl);
      }
    });
    return svg;
  }

  async function dashboard() {
    frame("dashboard", h("p", {}, t("loading")));
    const [inc, al, dueR, notes, met] = await Promise.all([api("GET", "/incidents?limit=500"),
      api("GET", "/alerts?limit=500"), api("GET", "/reports/due"), api("GET", "/notifications?limit=10"),
      api("GET", "/metrics/units")]);
    const open = inc.status === 200 ? inc.data.incidents.filter((i) => i.status !== "closed") : [];
    const byUnit = {}, byRegion = {};
    for (const i of open) for (const u of i.units) {
      byUnit[u] = (byUnit[u] || 0) + 1;
      const reg = (units.find((x) => x.id === u) || {}).region || "?";
      byRegion[reg] = (byRegion[reg] || 0) + 1;
    }
    const days = [];
    const now = Date.now();
    for (let k = 13; k >= 0; k--) {
      const d = new Date(now - k * 86400000 + 7 * 3600000).toISOString().slice(0, 10);
      days.push({ day: d, n: 0 });
    }
    for (const a of (al.status === 200 ? al.data.alerts : [])) {
      const d = new Date(a.received_ms + 7 * 3600000).toISOString().slice(0, 10);
      const slot = days.find((x) => x.day === d);
      if (slot) slot.n++;
    }
    // Circular 20/2017: each report is owed within 5 days (report_c20.c)
    const due = (dueR.status === 200 ? dueR.data.due : []).slice(0, 10);
    frame("dashboard",
      h("div", { class: "cards" },
        h("div", { class: "card", id: "card-open" }, h("div", { class: "big" }, String(open.length)), t("open_incidents")),
        h("div", { class: "card" }, h("div", { class: "big" }, String(al.status === 200 ? al.data.total : 0)), t("alerts"))),
      h("div", { class: "grid" },
        h("div", {}, h("h3", {}, t("by_region")),
          table(["region", "open_incidents"], Object.entries(byRegion), ([r, n]) =>
            h("tr", {}, h("td", {}, regionName(r)), h("td", { class: "num" }, String(n))))),
        h("div", {}, h("h3", {}, t("by_unit")),
          table(["unit", "open_incidents"], Object.entries(byUnit).sort((a, b) => b[1] - a[1]), ([u, n]) =>
            h("tr", {}, h("td", {}, unitName(u)), h("td", { class: "num" }, String(n)))))),
      h("h3", {}, t("detections")), barChart(days),
      h("h3", {}, t("readiness")),
      table(["unit", "region", "incidents", "open_incidents", "time_to_ack", "time_to_contain", "time_to_close"],
        met.status === 200 ? met.data.units.sort((a, b) => b.incidents - a.incidents) : [], (u) =>
          h("tr", {}, h("td", {}, unitName(u.unit)), h("td", {}, regionName(u.region)),
            h("td", { class: "num" }, String(u.incidents)), h("td", { class: "num" }, String(u.open)),
            h("td", {}, fmtDur(u.acknowledge.median_s)), h("td", {}, fmtDur(u.contain.median_s)),
            h("td", {}, fmtDur(u.close.median_s)))),
      h("h3", {}, t("deadlines")),
      table(["ref", "report", "status", "due"], due, (d) =>
        h("tr", { class: d.state === "overdue" ? "late" : null },
          h("td", {}, h("a", { href: "#/incidents/" + d.incident }, d.ref)), h("td", {}, t("k_" + d.kind)),
          h("td", {}, t("rs_" + d.state)), h("td", {}, fmtTime(d.due)))),
      h("h3", {}, t("notifications")),
      table(["at", "title"], notes.status === 200 ? notes.data.notifications : [], (n) =>
        h("tr", { class: n.seen ? null : "unseen" }, h("td", {}, fmtTime(new Date(n.at_ms).toISOString())),
          h("td", {}, n.incident ? h("a", { href: "#/incidents/" + n.incident }, n.text) : n.text))));
    if (notes.status === 200 && notes.data.unseen) api("POST", "/notifications/seen", {});
  }

  // ---- incidents ----
  async function incidentsPage() {
    frame("incidents", h("p", {}, t("loading")));
    const status = new URLSearchParams(location.hash.split("?")[1] || "").get("status") || "";
    const r = await api("GET", "/incidents?limit=200" + (status ? "&status=" + status : ""));
    const filter = h("select", { id: "status-filter", onchange: (e) => go("#/incidents" + (e.target.value ? "?status=" + e.target.value : "")) },
      h("option", { value: "" }, t("all")),
      ["new", "triage", "containment", "eradication", "recovery", "closed"].map((s) =>
        h("option", { value: s, selected: s === status }, t("st_" + s))));
    const rep = h("form", { class: "inline-form", onsubmit: async (e) => {
      e.preventDefault();
      const file = e.target.querySelector("input[type=file]").files[0];
      if (!file) return;
      const buf = new Uint8Array(await file.arrayBuffer());
      let bin = "";
      for (let k = 0; k < buf.length; k += 0x8000) bin += String.fromCharCode.apply(null, buf.subarray(k, k + 0x8000));
      const x = await api("POST", "/incidents/from-email", { content: btoa(bin) });
      if (x.status === 201) go("#/incidents/" + x.data.id); else e.target.append(msg(errText(x)));
    } }, t("report_email") + ":", h("input", { type: "file", id: "rep-file", accept: ".eml,message/rfc822" }),
    h("button", { type: "submit", id: "rep-add" }, t("create")));
    frame("incidents",
      h("div", { class: "bar" }, filter, h("a", { class: "button", href: "#/incidents/new", id: "new-incident" }, t("new_incident"))),
      rep,
      r.status !== 200 ? msg(errText(r)) :
        table(["ref", "title", "severity", "status", "units", "detected"], r.data.incidents, (i) =>
          h("tr", { class: i.drill ? "drill" : null },
            h("td", {}, h("a", { href: "#/incidents/" + i.id }, i.ref)),
            h("td", {}, i.drill ? badge("drill", t("drill_mark")) : null, " ", i.title),
            h("td", {}, sev(i.severity)), h("td", {}, st(i.status)),
            h("td", {}, i.units.map(unitName).join(", ")),
            h("td", {}, fmtTime(new Date(i.detected_ms).toISOString())))));
  }

  function newIncidentPage() {
    const title = h("input", { id: "f-title", required: true, maxlength: 500 });
    const severity = h("select", { id: "f-severity" }, ["low", "medium", "high", "critical"].map((s) =>
      h("option", { value: s, selected: s === "medium" }, t("sev_" + s))));
    const tlpSel = h("select", { id: "f-tlp" }, ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
      .map((s) => h("option", { value: s, selected: s === "TLP:AMBER" }, s)));
    const unitSel = h("select", { id: "f-units", multiple: true, size: 8 }, units.map((u) =>
      h("option", { value: u.id, selected: me.unit === u.id }, u.short + " (" + regionName(u.region) + ")")));
    const summary = h("textarea", { id: "f-summary", rows: 4 });
    const drill = h("input", { id: "f-drill", type: "checkbox" });
    const out = h("div");
    frame("incidents", h("form", { class: "form", onsubmit: async (e) => {
      e.preventDefault();
      const body = { title: title.value, severity: severity.value, tlp: tlpSel.value,
        units: [...unitSel.selectedOptions].map((o) => o.value), drill: drill.checked };
      if (summary.value) body.summary = summary.value;
      const r = await api("POST", "/incidents", body);
      if (r.status === 201) go("#/incidents/" + r.data.id); else out.replaceChildren(msg(errText(r)));
    } },
    h("h2", {}, t("new_incident")),
    h("label", {}, t("title"), title), h("label", {}, t("severity"), severity),
    h("label", {}, t("tlp"), tlpSel), h("label", {}, t("units"), unitSel),
    h("label", {}, t("summary"), summary), h("label", { class: "inline" }, drill, t("drill")),
    h("button", { type: "submit", id: "f-create" }, t("create")), out));
  }

  async function incidentPage(id) {
    frame("incidents", h("p", {}, t("loading")));
    const r = await api("GET", "/incidents/" + encodeURIComponent(id));
    if (r.status !== 200) { frame("incidents", msg(errText(r))); return; }
    const i = r.data;
    const out = h("div");
    const act = async (method, path, body) => {
      const x = await api(method, path, body);
      if (x.status >= 400) out.replaceChildren(msg(errText(x))); else incidentPage(id);
    };
    const phases = ["new", "triage", "containment", "eradication", "recovery", "closed"];
    const next = i.status === "closed" ? ["triage"] : phases.slice(phases.indexOf(i.status) + 1);
    const indType = h("select", { id: "i-type" }, ["sha256", "md5", "sha1", "email", "domain", "url", "ipv4", "ipv6", "filename", "subject", "message_id"]
      .map((x) => h("option", { value: x }, x)));
    const indVal = h("input", { id: "i-value", required: true });
    const indDesc = h("input", { id: "i-desc" });
    const comment = h("textarea", { id: "c-text", rows: 3, required: true });
    frame("incidents",
      i.drill ? h("div", { class: "drill-banner" }, t("drill_mark")) : null,
      h("div", { class: "inc-head" },
        h("h2", { id: "inc-title" }, i.ref + " · " + i.title),
        h("div", {}, sev(i.severity), " ", st(i.status), " ", tlp(i.tlp))),
      out,
      h("div", { class: "bar" }, t("move_to") + ":", next.map((s) =>
        h("button", { class: "phase", id: "to-" + s, onclick: () => act("PATCH", "/incidents/" + id, { status: s }) }, t("st_" + s)))),
      h("dl", { class: "facts" },
        h("dt", {}, t("units")), h("dd", {}, i.units.map((u) => unitName(u.id) + " (" + regionName(u.region) + ")").join(", ")),
        h("dt", {}, t("owner")), h("dd", {}, i.owner || "—"),
        h("dt", {}, t("detected")), h("dd", {}, fmtTime(i.detected_at)),
        h("dt", {}, t("time_to_ack")), h("dd", {}, fmtDur(i.time_to_acknowledge_s)),
        h("dt", {}, t("time_to_contain")), h("dd", {}, fmtDur(i.time_to_contain_s)),
        h("dt", {}, t("time_to_close")), h("dd", {}, fmtDur(i.time_to_close_s)),
        i.summary ? [h("dt", {}, t("summary")), h("dd", {}, i.summary)] : null),
      h("div", { class: "grid" },
        h("div", {},
          h("h3", {}, t("tasks")),
          h("ul", { class: "tasks", id: "tasks" }, i.tasks.map((k) => h("li", {},
            h("label", {}, h("input", { type: "checkbox", checked: k.done, onchange: (e) =>
              act("PATCH", `/incidents/${id}/tasks/${k.id}`, { done: e.target.checked }) }),
            " ", k.title, k.unit ? " — " + unitName(k.unit) : "")))),
          h("h3", {}, t("indicators")),
          table(["type", "value", "description", "blocked_at", ""], i.indicators, (x) => {
            const field = { sha256: "sha256", md5: "md5", sha1: "sha1", email: "sender", domain: "domain",
              url: "url", message_id: "message_id" }[x.type];
            return h("tr", {}, h("td", {}, x.type), h("td", { class: "mono" }, x.value), h("td", {}, x.description),
              // which gateways block it (docs/blocks.md): "2/3", the missing ones named
              h("td", { class: "block", title: x.block ? x.block.gateways.join(", ") : "" },
                !x.block ? "—" : `${x.block.gateways.length}/${x.block.gateways.length + x.block.pending.length}` +
                  (x.block.pending.length ? " (" + t("pending") + ": " + x.block.pending.join(", ") + ")" : "")),
              h("td", {}, field ? h("button", { class: "link", onclick: () =>
                act("POST", "/hunts", { [field]: x.value, incident: Number(id) }) }, t("hunt")) : null));
          }),
          h("form", { class: "inline-form", onsubmit: (e) => { e.preventDefault();
            act("POST", `/incidents/${id}/indicators`, { type: indType.value, value: indVal.value, description: indDesc.value || undefined }); } },
          indType, indVal, indDesc, h("button", { type: "submit", id: "i-add" }, t("add"))),
          h("p", {}, t("export") + ": ",
            h("a", { href: `/api/v1/incidents/${id}/export?format=stix`, id: "export-stix" }, "STIX 2.1"), " · ",
            h("a", { href: `/api/v1/incidents/${id}/export?format=misp`, id: "export-misp" }, "MISP")),
          h("form", { class: "inline-form", onsubmit: async (e) => {
            e.preventDefault();
            const file = e.target.querySelector("input[type=file]").files[0];
            const fmt = e.target.querySelector("select").value;
            if (!file) return;
            const x = await fetch(`/api/v1/incidents/${id}/import?format=${fmt}`, { method: "POST",
              credentials: "same-origin", body: await file.text(),
              headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf, "Accept-Language": lang } });
            const d = await x.json().catch(() => null);
            if (x.status === 200) { await incidentPage(id); $("#content").prepend(msg(t("imported") + ": " + d.added, "ok")); }
            else out.replaceChildren(msg((d && d.error && d.error.message) || t("error")));
          } }, t("import") + ":", h("select", { id: "imp-format" }, h("option", { value: "stix" }, "STIX 2.1"), h("option", { value: "misp" }, "MISP")),
          h("input", { type: "file", id: "imp-file", accept: ".json" }), h("button", { type: "submit", id: "imp-add" }, t("import")))),
        h("div", {},
          h("h3", {}, t("timeline")),
          h("ol", { class: "timeline", id: "timeline" }, i.timeline.map((e) => h("li", {},
            h("span", { class: "when" }, fmtTime(e.at)), " ", h("b", {}, e.who), " · ", e.kind, ": ", e.text))),
          h("form", { class: "form", onsubmit: (e) => { e.preventDefault();
            act("POST", `/incidents/${id}/comments`, { text: comment.value }); } },
          h("label", {}, t("add_comment"), comment), h("button", { type: "submit", id: "c-add" }, t("add"))))),
      h("h3", {}, t("copies")),
      h("div", { id: "copies" }, t("loading")),
      h("h3", {}, t("reports")),
      table(["report", "status", "due", ""], i.deadlines || [], (d) => h("tr", { class: d.state === "overdue" ? "late" : null },
        h("td", {}, t("k_" + d.kind)), h("td", {}, t("rs_" + d.state)), h("td", {}, fmtTime(d.due)),
        h("td", {},
          h("a", { href: `/api/v1/incidents/${id}/reports/${d.kind}?format=pdf`, id: "pdf-" + d.kind }, "PDF"), " · ",
          h("a", { href: `/api/v1/incidents/${id}/reports/${d.kind}?format=html`, target: "_blank", rel: "noopener" }, "HTML"),
          d.state === "filed" ? null : [" · ", h("button", { class: "link", id: "filed-" + d.kind, onclick: () =>
            act("POST", `/incidents/${id}/reports/${d.kind}/filed`, {}) }, t("mark_sent"))]))),
      h("h3", {}, t("evidence")),
      table(["name", "value"], i.evidence || [], (e) => h("tr", {},
        h("td", {}, h("a", { href: `/api/v1/incidents/${id}/evidence/${e.id}` }, e.name)), h("td", { class: "mono" }, e.sha256))),
      h("form", { class: "inline-form", onsubmit: async (e) => {
        e.preventDefault();
        const file = e.target.querySelector("input[type=file]").files[0];
        if (!file) return;
        const buf = new Uint8Array(await file.arrayBuffer());
        let bin = "";
        for (let k = 0; k < buf.length; k += 0x8000) bin += String.fromCharCode.apply(null, buf.subarray(k, k + 0x8000));
        act("POST", `/incidents/${id}/evidence`, { name: file.name, content: btoa(bin) });
      } }, h("input", { type: "file", id: "ev-file" }), h("button", { type: "submit", id: "ev-add" }, t("upload"))),
      h("form", { class: "inline-form", onsubmit: (e) => { e.preventDefault();
        act("POST", `/incidents/${id}/units`, { unit: e.target.querySelector("select").value }); } },
      h("select", { id: "unit-add" }, units.map((u) => h("option", { value: u.id }, u.short))),
      h("button", { type: "submit" }, t("add_unit"))),
      h("h3", {}, t("messages")),
      table(["received", "sender", "subject", "verdict", "score"], i.messages, (m) =>
        h("tr", {}, h("td", {}, fmtTime(m.received_at)), h("td", {}, m.from || ""), h("td", {}, m.subject || ""),
          h("td", {}, t("v_" + m.verdict)), h("td", { class: "num" }, String(m.score)))));
    copiesPanel(id);
  }

  async function copiesPanel(id) {
    const box = $("#copies");
    if (!box) return;
    const r = await api("GET", `/incidents/${id}/copies`);
    if (r.status !== 200) { box.replaceChildren(msg(errText(r))); return; }
    const d = r.data, out = h("div");
    const run = async (what) => {
      const x = await api("POST", `/incidents/${id}/${what}`, {});
      if (x.status === 202) copiesPanel(id); else out.replaceChildren(msg(errText(x)));
    };
    box.replaceChildren(
      h("p", { id: "copy-counts" }, Object.entries(d.counts).map(([k, n]) => t("c_" + k) + ": " + n).join(" · ") || t("no_data"),
        d.running ? " — " + t("running") : ""),
      out,
      h("div", { class: "bar" },
        h("button", { id: "clawback", disabled: d.running || !d.counts.found }, t("clawback")),
        h("button", { id: "restore", disabled: d.running || !d.counts.pulled }, t("restore"))),
      table(["address", "unit", "status", "read", "folder"], d.copies.slice(0, 500), (c) =>
        h("tr", { class: c.seen ? "late" : null }, h("td", {}, c.address), h("td", {}, unitName(c.unit)),
          h("td", {}, t("c_" + c.state)), h("td", {}, c.seen === null ? "—" : c.seen ? "✔" : ""), h("td", {}, c.folder || ""))));
    blastPanel(id, box);
    sweepsPanel(id, box);
    $("#clawback").addEventListener("click", () => run("clawback"));
    $("#restore").addEventListener("click", () => run("restore"));
    if (d.running) setTimeout(() => { if (location.hash === "#/incidents/" + id) copiesPanel(id); }, 1500);
  }

  // the blast radius: each unit a box in its region's row, red while copies
  // remain, orange where someone read it, green when contained
  async function blastPanel(id, after) {
    const r = await api("GET", `/incidents/${id}/blast`);
    if (r.status !== 200 || !r.data.units.length) return;
    const b = r.data, ns = "http://www.w3.org/2000/svg";
    const regions = ["national", "north", "central-highlands", "south"];
    const svg = document.createElementNS(ns, "svg");
    const W = 150, H = 46, rows = regions.map((rg) => b.units.filter((u) => (u.region || "national") === rg));
    const width = 140 + Math.max(1, ...rows.map((x) => x.length)) * (W + 8);
    svg.setAttribute("viewBox", `0 0 ${width} ${regions.length * (H + 10) + 10}`);
    svg.setAttribute("class", "blast");
    svg.setAttribute("role", "img");
    rows.forEach((row, ri) => {
      const y = 10 + ri * (H + 10);
      const lbl = document.createElementNS(ns, "text");
      lbl.setAttribute("x", 4); lbl.setAttribute("y", y + H / 2 + 4); lbl.setAttribute("class", "axis-l");
      lbl.textContent = regionName(regions[ri]);
      svg.append(lbl);
      row.forEach((u, ci) => {
        const g = document.createElementNS(ns, "g"), rect = document.createElementNS(ns, "rect");
        const x = 140 + ci * (W + 8);
        rect.setAttribute("x", x); rect.setAttribute("y", y); rect.setAttribute("width", W); rect.setAttribute("height", H);
        rect.setAttribute("rx", 4);
        rect.setAttribute("class", u.remaining || u.failed ? "b-open" : u.read ? "b-read" : "b-ok");
        const t1 = document.createElementNS(ns, "text"), t2 = document.createElementNS(ns, "text");
        t1.setAttribute("x", x + 6); t1.setAttribute("y", y + 18); t1.textContent = unitName(u.unit);
        t2.setAttribute("x", x + 6); t2.setAttribute("y", y + 36);
        t2.textContent = `${u.recipients} · ${t("read")} ${u.read} · ${t("c_pulled")} ${u.pulled}`;
        g.append(rect, t1, t2);
        svg.append(g);
      });
    });
    after.append(h("h3", {}, t("blast")),
      h("p", { id: "blast-state" }, b.mailboxes_contained ? t("contained") + (b.detection_to_last_pull_s !== null
        ? " — " + fmtDur(b.detection_to_last_pull_s) : "") : t("not_contained") + ": " + b.remaining),
      svg,
      table(["unit", "address", "read", "c_pulled", "c_not_found", "remaining", "endpoints_at_risk", "endpoints_infected"], b.units, (u) =>
        h("tr", {}, h("td", {}, unitName(u.unit)), h("td", { class: "num" }, String(u.recipients)),
          h("td", { class: "num" }, String(u.read)), h("td", { class: "num" }, String(u.pulled)),
          h("td", { class: "num" }, String(u.gone)), h("td", { class: "num" }, String(u.remaining + u.failed)),
          h("td", { class: "mono" }, u.endpoints_at_risk.slice(0, 10).join(", ") + (u.endpoints_at_risk.length > 10 ? " …" : "")),
          h("td", { class: "mono" }, (u.endpoints_infected || []).slice(0, 10).join(", ")))));
  }

  // endpoint sweeps of the incident (vigil-agent; api_agents.c): per unit
  // infected / clean / not reached, and a button to sweep the incident's units
  async function sweepsPanel(id, after) {
    const r = await api("GET", `/incidents/${id}/sweeps`);
    if (r.status !== 200) return;
    const out = h("div");
    const last = r.data.sweeps[0];
    const sum = last ? last.summary : null;
    after.append(...[h("h3", {}, t("sweeps")), out,
      h("button", { id: "sweep-start", onclick: async () => {
        const x = await api("POST", `/incidents/${id}/sweeps`, {});
        if (x.status < 300) incidentPage(id); else out.replaceChildren(msg(errText(x)));
      } }, t("sweep_start")),
      !last ? h("p", { class: "empty" }, t("no_data")) : h("p", { id: "sweep-summary" },
        Object.entries(sum).filter(([k]) => k !== "total").map(([k, n]) => t("s_" + k) + ": " + n).join(" · ")),
      !last ? null : table(["unit", "s_infected", "s_clean", "s_not_reached", "s_pending"],
        Object.entries(last.units_summary), ([u, c]) => h("tr", { class: c.infected ? "late" : null },
          h("td", {}, unitName(u)), h("td", { class: "num" }, String(c.infected || 0)),
          h("td", { class: "num" }, String(c.clean || 0)), h("td", { class: "num" }, String(c.not_reached || 0)),
          h("td", { class: "num" }, String(c.pending || 0))))].filter((x) => x));
  }

  async function alertsPage() {
    frame("alerts", h("p", {}, t("loading")));
    const r = await api("GET", "/alerts?limit=200");
    frame("alerts", r.status !== 200 ? msg(errText(r)) :
      table(["received", "gateway", "sender", "subject", "verdict", "score", "incident"], r.data.alerts, (a) =>
        h("tr", {}, h("td", {}, fmtTime(new Date(a.received_ms).toISOString())), h("td", {}, a.gateway),
          h("td", {}, a.sender || ""), h("td", {}, a.subject || ""), h("td", {}, t("v_" + a.verdict)),
          h("td", { class: "num" }, String(a.score)),
          h("td", {}, a.incident ? h("a", { href: "#/incidents/" + a.incident }, "#" + a.incident) : "—"))));
  }

  async function quarantinePage() {
    frame("quarantine", h("p", {}, t("loading")));
    const r = await api("GET", "/quarantine");
    const out = h("div");
    const act = async (id, what) => {
      const x = await api("POST", `/quarantine/${id}/${what}`, {});
      if (x.status === 200) quarantinePage(); else out.replaceChildren(msg(errText(x)));
    };
    frame("quarantine", out, r.status !== 200 ? msg(errText(r)) :
      table(["received", "sender", "subject", "verdict", "status", ""], r.data.messages, (m) =>
        h("tr", {}, h("td", {}, fmtTime(new Date(m.quarantined_ms).toISOString())), h("td", {}, m.from || ""),
          h("td", {}, m.subject || ""), h("td", {}, t("v_" + m.verdict)), h("td", {}, t("q_" + m.state)),
          h("td", {}, m.state !== "quarantined" ? null : [
            h("button", { class: "link", id: "release-" + m.id, onclick: () => act(m.id, "release") }, t("release")), " · ",
            h("button", { class: "link", id: "delete-" + m.id, onclick: () => act(m.id, "delete") }, t("delete"))]))));
  }

  async function indicatorsPage() {
    const q = new URLSearchParams(location.hash.split("?")[1] || "").get("q") || "";
    const r = await api("GET", "/indicators?limit=200" + (q ? "&q=" + encodeURIComponent(q) : ""));
    const box = h("input", { id: "ind-q", value: q });
    frame("indicators_all",
      h("form", { class: "inline-form", onsubmit: (e) => { e.preventDefault(); go("#/indicators?q=" + encodeURIComponent(box.value)); } },
        box, h("button", { type: "submit", id: "ind-search" }, "🔍")),
      r.status !== 200 ? msg(errText(r)) :
        table(["type", "value", "description", "incident", "status"], r.data.indicators, (x) =>
          h("tr", {}, h("td", {}, x.type), h("td", { class: "mono" }, x.value), h("td", {}, x.description),
            h("td", {}, h("a", { href: "#/incidents/" + x.incident }, x.ref)), h("td", {}, t("st_" + x.status)))));
  }

  async function orgPage(query) {
    await loadUnits();
    const q = query || "";
    const r = await api("GET", "/org/staff?limit=100&q=" + encodeURIComponent(q));
    const out = h("div");
    const admin = me.role === "admin";
    const edit = async (method, path, body, after) => {
      const x = await api(method, path, body);
      if (x.status < 300) orgPage(after); else out.replaceChildren(msg(errText(x)));
    };
    const search = h("input", { id: "staff-q", value: q, placeholder: t("name") + " / " + t("email") });
    const f = { id: h("input", { id: "s-id", required: true }), name: h("input", { id: "s-name", required: true }),
      email: h("input", { id: "s-email", type: "email", required: true }),
      unit: h("select", { id: "s-unit" }, units.map((u) => h("option", { value: u.id }, u.short))),
      title: h("input", { id: "s-title" }) };
    const g = { id: h("input", { id: "un-id", required: true }), name: h("input", { id: "un-name", required: true }),
      region: h("select", { id: "un-region" }, ["north", "central-highlands", "south", "national"].map((x) => h("option", { value: x }, regionName(x)))) };
    frame("organisation", out,
      table(["unit", "region", "staff"], units, (u) =>
        h("tr", {}, h("td", {}, u.name), h("td", {}, regionName(u.region)), h("td", { class: "num" }, String(u.staff)))),
      admin ? h("form", { class: "inline-form", onsubmit: (e) => { e.preventDefault();
        edit("POST", "/org/units", { id: g.id.value, name: g.name.value, short: g.name.value,
          kind: g.region.value === "national" ? "central" : "province", region: g.region.value }); } },
      t("add_unit") + ":", g.id, g.name, g.region, h("button", { type: "submit", id: "un-add" }, t("add"))) : null,
      h("h3", {}, t("staff")),
      h("form", { class: "inline-form", onsubmit: (e) => { e.preventDefault(); orgPage(search.value); } },
        search, h("button", { type: "submit", id: "staff-search" }, "🔍")),
      r.status !== 200 ? msg(errText(r)) :
        h("p", { class: "empty" }, r.data.total + " " + t("staff").toLowerCase()),
      r.status !== 200 ? null : table(["name", "email", "unit", "job_title", ""], r.data.items, (s) =>
        h("tr", {}, h("td", {}, s.name), h("td", {}, s.email), h("td", {}, unitName(s.unit)), h("td", {}, s.title || ""),
          h("td", {}, admin ? h("button", { class: "link", onclick: () => edit("DELETE", "/org/staff/" + encodeURIComponent(s.id), undefined, q) }, t("delete")) : null))),
      admin ? h("form", { class: "inline-form", onsubmit: (e) => { e.preventDefault();
        const body = { id: f.id.value, name: f.name.value, email: f.email.value, unit: f.unit.value };
        if (f.title.value) body.title = f.title.value;
        edit("POST", "/org/staff", body, f.name.value); } },
      t("add") + ":", f.id, f.name, f.email, f.unit, f.title, h("button", { type: "submit", id: "s-add" }, t("add"))) : null);
  }

  async function usersPage() {
    const r = await api("GET", "/users");
    const f = {
      username: h("input", { id: "u-username", required: true }),
      display_name: h("input", { id: "u-name", required: true }),
      role: h("select", { id: "u-role" }, ["viewer", "provincial_analyst", "regional_coordinator", "central_analyst", "drill_controller", "admin"]
        .map((x) => h("option", { value: x }, t("r_" + x)))),
      unit: h("select", { id: "u-unit" }, h("option", { value: "" }, "—"), units.map((u) => h("option", { value: u.id }, u.short))),
      password: h("input", { id: "u-password", type: "password", required: true, minlength: 10 }),
    };
    const out = h("div");
    frame("users",
      r.status !== 200 ? msg(errText(r)) :
        table(["username", "display_name", "role", "unit", "region", "disabled"], r.data.users, (u) =>
          h("tr", {}, h("td", {}, u.username), h("td", {}, u.display_name), h("td", {}, t("r_" + u.role)),
            h("td", {}, u.unit ? unitName(u.unit) : "—"), h("td", {}, u.region ? regionName(u.region) : "—"),
            h("td", {}, h("button", { class: "link", id: "toggle-" + u.username, onclick: async () => {
              const x = await api("PATCH", "/users/" + u.id, { disabled: !u.disabled });
              if (x.status === 200) usersPage(); else out.replaceChildren(msg(errText(x)));
            } }, u.disabled ? t("enable") : t("disable"))))),
      h("form", { class: "form", onsubmit: async (e) => {
        e.preventDefault();
        const body = { username: f.username.value, display_name: f.display_name.value, role: f.role.value, password: f.password.value };
        if (f.unit.value) body.unit = f.unit.value;
        const x = await api("POST", "/users", body);
        if (x.status === 201) usersPage(); else out.replaceChildren(msg(errText(x)));
      } }, h("h3", {}, t("create_user")),
      h("label", {}, t("username"), f.username), h("label", {}, t("display_name"), f.display_name),
      h("label", {}, t("role"), f.role), h("label", {}, t("unit"), f.unit), h("label", {}, t("password"), f.password),
      h("button", { type: "submit", id: "u-create" }, t("create")), out));
  }

  async function tokensPage(shown) {
    const r = await api("GET", "/tokens");
    const name = h("input", { id: "t-name", required: true });
    const kind = h("select", { id: "t-kind" }, ["gateway", "agent", "api"].map((x) => h("option", { value: x }, x)));
    const out = h("div");
    frame("tokens",
      shown ? h("p", { class: "msg ok", id: "token-shown" }, t("token_once") + " ", h("code", {}, shown)) : null,
      r.status !== 200 ? msg(errText(r)) :
        table(["name", "kind", "unit", "revoked", ""], r.data.tokens, (k) =>
          h("tr", {}, h("td", {}, k.name), h("td", {}, k.kind), h("td", {}, k.unit || "—"),
            h("td", {}, k.revoked ? t("revoked") : ""),
            h("td", {}, k.revoked ? null : h("button", { class: "link", onclick: async () => {
              await api("DELETE", "/tokens/" + k.id); tokensPage();
            } }, t("revoke"))))),
      h("form", { class: "inline-form", onsubmit: async (e) => {
        e.preventDefault();
        const x = await api("POST", "/tokens", { name: name.value, kind: kind.value });
        if (x.status === 201) tokensPage(x.data.token); else out.replaceChildren(msg(errText(x)));
      } }, h("h3", {}, t("create_token")), name, kind, h("button", { type: "submit" }, t("create")), out));
  }

  async function auditPage() {
    const r = await api("GET", "/audit?limit=200");
    const out = h("div", { id: "chain" });
    frame("audit",
      h("button", { id: "verify", onclick: async () => {
        const v = await api("GET", "/audit/verify");
        out.replaceChildren(v.status !== 200 ? msg(errText(v)) : v.data.intact
          ? msg(t("chain_ok") + " (" + v.data.checked + ")", "ok") : msg(t("chain_broken") + " " + v.data.first_broken));
      } }, t("verify_chain")), out,
      r.status !== 200 ? msg(errText(r)) :
        table(["at", "actor", "action", "object", "unit"], r.data.entries, (e) =>
          h("tr", {}, h("td", {}, fmtTime(new Date(e.at_ms).toISOString())), h("td", {}, e.actor),
            h("td", {}, e.action), h("td", {}, e.object), h("td", {}, e.unit || ""))));
  }

  // ---- routing ----
  async function route() {
    document.documentElement.lang = lang;
    document.title = t("app");
    const hash = location.hash || "#/";
    if (!me) {
      const r = await api("GET", "/session");
      if (r.status === 200 && r.data.authenticated) { me = r.data; await loadUnits(); }
    }
    if (!me || hash === "#/login") { if (me && hash === "#/login") return go("#/"); return loginPage(); }
    const path = hash.slice(1).split("?")[0];
    let m;
    if (path === "/" || path === "") return dashboard();
    if (path === "/incidents") return incidentsPage();
    if (path === "/incidents/new") return newIncidentPage();
    if ((m = path.match(/^\/incidents\/(\d+)$/))) return incidentPage(m[1]);
    if (path === "/alerts") return alertsPage();
    if (path === "/org") return orgPage("");
    if (path === "/quarantine") return quarantinePage();
    if (path === "/indicators") return indicatorsPage();
    if (path === "/users") return usersPage();
    if (path === "/tokens") return tokensPage();
    if (path === "/audit") return auditPage();
    frame("", msg(t("not_found")));
  }

  window.addEventListener("hashchange", route);
  window.addEventListener("DOMContentLoaded", route);
})();
