// yibao cockpit: a small single-page app over the JSON API. Chinese first, English on a toggle.
"use strict";
const I18N = {
  en: {"brand": "Fund cockpit", "nav.overview": "Overview", "nav.hospitals": "Hospitals", "nav.drgs": "DRG/DIP", "nav.audit": "Audit",
    "nav.linkage": "Linkage & appeals", "nav.simulation": "Simulation", "logout": "Log out", "login": "Log in", "username": "Username",
    "password": "Password", "settlements": "Settlements", "total": "Total cost (yuan)", "fund": "Pooled fund (yuan)", "alerts": "Alerts",
    "inpatient": "Inpatient", "outpatient": "Outpatient", "fundpay": "Fund", "patientpay": "Patients", "spending": "Spending by month (yuan)",
    "cmi": "CMI by month", "filter": "Filter", "export": "Export CSV", "hospital": "Hospital", "name": "Name", "level": "Level",
    "peer": "Peer group", "score": "Score", "grade": "Grade", "rank": "Rank", "lights": "Traffic lights", "drg": "DRG", "cases": "Cases",
    "avgcost": "Mean cost", "rw": "RW", "outlier": "Outlier %", "category": "Category", "count": "Findings", "amount": "Amount (yuan)",
    "findings": "Findings", "rule": "Rule", "severity": "Severity", "evidence": "Evidence", "line": "Line", "settlement": "Settlement",
    "diagnoses": "Diagnoses", "procedures": "Procedures", "fees": "Fee lines", "item": "Item", "qty": "Qty", "price": "Price",
    "time": "Time", "coef": "Coefficient", "budget": "Budget (yuan)", "appeals": "Appeals", "target": "Target", "state": "State",
    "reason": "Reason", "file": "File appeal", "uphold": "Uphold", "reject": "Reject", "scenario": "Scenario", "run": "Run",
    "baseline": "Baseline outlay", "scenarioOutlay": "Scenario outlay", "diff": "Difference", "indicators": "Indicators", "value": "Value",
    "median": "Peer median", "report": "Improvement report", "payment": "Payment", "cost": "Cost", "drgmix": "DRG mix", "month": "Month",
    "decideBy": "Decide by", "why": "Why", "none": "None", "settled": "Settled", "trend": "Indicator trends", "next": "Next page"},
};
let lang = localStorage.getItem("lang") || "zh";
const GRADES = {excellent: ["优秀", "Excellent"], good: ["良好", "Good"], average: ["一般", "Average"], poor: ["较差", "Poor"]};
const CATEGORIES = {duplicate_charge: "重复计费", over_quantity: "超量", sex_restriction: "限性别", age_restriction: "限年龄",
  indication_restriction: "限适应症", hosp_level_restriction: "限医院等级", price_over_cap: "超标准收费", exclusive_items: "重复收费",
  unbundling: "分解收费", upcoding: "高套编码", split_admission: "分解住院", bed_hanging: "挂床住院", overlapping_stay: "重叠住院",
  frequent_admission: "频繁住院", excessive_los: "超长住院"};
const category = c => lang === "zh" && CATEGORIES[c] ? `${CATEGORIES[c]}（${c}）` : c;
const severity = v => lang === "zh" ? ({definite: "明确违规", suspicious: "可疑"}[v] || v) : v;
const yesNo = v => v ? (lang === "zh" ? "是" : "yes") : (lang === "zh" ? "否" : "no");
const grade = g => (GRADES[g] || [g || "-", g || "-"])[lang === "zh" ? 0 : 1];
let me = null;
const t = (k, zh) => (lang === "en" && I18N.en[k]) || zh || k;
const yuan = f => (f / 100).toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
const app = document.getElementById("app");

async function api(path, opts = {}) {
  opts.headers = Object.assign({"Content-Type": "application/json"}, opts.headers || {});
  if (opts.method && opts.method !== "GET" && me) opts.headers["X-CSRF-Token"] = me.csrf;
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) { me = null; route(); throw new Error("login"); }
  if (!r.ok) throw new Error(lang === "en" ? body.error : (body.error_zh || body.error));
  return body;
}

function translate() {
  document.querySelectorAll("[data-t]").forEach(el => {
    if (!el.dataset.zh) el.dataset.zh = el.textContent;
    el.textContent = t(el.dataset.t, el.dataset.zh);
  });
  document.getElementById("lang").textContent = lang === "zh" ? "English" : "中文";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

// table renders sortable, filterable rows with CSV export; cols: [key, zh, format?, link?]
function table(id, cols, rows, opts = {}) {
  const wrap = document.createElement("div");
  wrap.innerHTML = `<div class="tools"><input placeholder="${t("filter", "筛选")}" data-filter="${id}">
    <button type="button" data-export="${id}">${t("export", "导出 CSV")}</button></div>
    <table id="${id}"><thead><tr>${cols.map((c, i) => `<th data-col="${i}">${t(c[0], c[1])}</th>`).join("")}</tr></thead><tbody></tbody></table>`;
  let data = rows.slice(), dir = 1, sortCol = -1;
  const body = wrap.querySelector("tbody");
  const render = () => {
    const q = wrap.querySelector("input").value.toLowerCase();
    body.innerHTML = data.filter(r => !q || cols.some(c => String(r[c[0]] ?? "").toLowerCase().includes(q))).map(r =>
      `<tr class="${opts.rowClass ? opts.rowClass(r) : ""}">${cols.map(c => `<td>${c[3] ? `<a href="${c[3](r)}">` : ""}${c[2] ? c[2](r[c[0]], r) : esc(r[c[0]])}${c[3] ? "</a>" : ""}</td>`).join("")}</tr>`).join("");
  };
  wrap.querySelectorAll("th").forEach(th => th.onclick = () => {
    const c = cols[+th.dataset.col][0];
    dir = sortCol === +th.dataset.col ? -dir : 1; sortCol = +th.dataset.col;
    data.sort((a, b) => (a[c] > b[c] ? 1 : a[c] < b[c] ? -1 : 0) * dir); render();
  });
  wrap.querySelector("input").oninput = render;
  wrap.querySelector("button").onclick = () => {
    const lines = [cols.map(c => t(c[0], c[1])).join(",")].concat(data.map(r => cols.map(c => `"${String(r[c[0]] ?? "").replace(/"/g, '""')}"`).join(",")));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob(["\ufeff" + lines.join("\n")], {type: "text/csv"}));
    a.download = id + ".csv"; a.click();
  };
  render();
  return wrap;
}

function chart(el, option, onClick) {
  if (!window.echarts) { el.textContent = "(charts unavailable: run make vendor)"; return null; }
  const c = echarts.init(el);
  option.tooltip = option.tooltip || {trigger: "axis"};
  option.toolbox = {feature: {dataZoom: {}, restore: {}, saveAsImage: {}}};
  option.animation = false; // figures appear at once; a click lands on the bar it aims at
  c.setOption(option);
  if (onClick) c.on("click", onClick);
  return c;
}

const pages = {
  async overview() {
    const d = await api("/api/overview");
    const m = d.months || [];
    app.innerHTML = `<div class="cards">
      <div class="card"><div>${t("settlements", "结算人次")}</div><div class="v" id="k-settlements">${d.totals.settlements.toLocaleString()}</div></div>
      <div class="card"><div>${t("total", "医疗费用总额（元）")}</div><div class="v" id="k-total">${yuan(d.totals.total_fen)}</div></div>
      <div class="card"><div>${t("fund", "统筹基金支出（元）")}</div><div class="v" id="k-fund">${yuan(d.totals.fund_fen)}</div></div></div>
      <div id="c-spend" class="chart"></div><div id="c-cmi" class="chart"></div>
      <h3>${t("alerts", "预警")}</h3><div id="alerts"></div>`;
    chart(document.getElementById("c-spend"), {title: {text: t("spending", "月度费用（元）")}, legend: {top: 25},
      xAxis: {type: "category", data: m.map(x => x.month)}, yAxis: {type: "value"}, dataZoom: [{type: "inside"}],
      series: [{name: t("inpatient", "住院"), type: "bar", stack: "a", data: m.map(x => x.inpatient_total_fen / 100)},
        {name: t("outpatient", "门诊"), type: "bar", stack: "a", data: m.map(x => x.outpatient_total_fen / 100)},
        {name: t("fundpay", "统筹基金"), type: "line", data: m.map(x => x.fund_fen / 100)},
        {name: t("patientpay", "个人负担"), type: "line", data: m.map(x => x.patient_fen / 100)}]},
      p => location.hash = "#/audit?month=" + m[p.dataIndex].month);
    const cmi = d.cmi || [];
    chart(document.getElementById("c-cmi"), {title: {text: t("cmi", "月度 CMI")}, xAxis: {type: "category", data: cmi.map(x => x.month)},
      yAxis: {type: "value", scale: true}, series: [{type: "line", data: cmi.map(x => +x.cmi.toFixed(4))}]});
    document.getElementById("alerts").innerHTML = (d.alerts || []).slice(0, 30).map(a => `<div class="alert ${a.level}">${esc(a.zh)}</div>`).join("") || t("none", "无");
  },
  async hospitals() {
    const d = await api("/api/hospitals");
    app.innerHTML = `<h2>${t("nav.hospitals", "医院")} ${esc(d.period || "")}</h2>`;
    const light = l => l ? Object.entries(l).filter(([, v]) => v !== "green").map(([k, v]) => `<span class="${v}">${esc(k)}</span>`).join(" ") : "";
    app.appendChild(table("hospitals", [["code", "编码", null, r => "#/hospital/" + r.code], ["name", "名称"], ["peer_group", "同组"],
      ["rank", "排名"], ["score", "得分", v => v == null ? "" : v.toFixed(2)], ["grade", "等级", v => esc(grade(v))], ["lights", "信号灯（非绿）", v => light(v)]],
      d.hospitals.sort((a, b) => (a.peer_group > b.peer_group ? 1 : a.peer_group < b.peer_group ? -1 : (a.rank || 0) - (b.rank || 0)))));
  },
  async hospital(code) {
    const d = await api("/api/hospitals/" + encodeURIComponent(code));
    const ev = d.evaluation || {indicators: []};
    app.innerHTML = `<h2 id="h-name">${esc(d.name)} <small>${esc(d.code)}</small></h2>
      <div class="cards"><div class="card"><div>${t("score", "得分")}</div><div class="v" id="h-score">${ev.score != null ? ev.score.toFixed(2) : "-"}</div></div>
      <div class="card"><div>${t("grade", "等级")}</div><div class="v">${esc(grade(ev.grade))}</div></div>
      <div class="card"><div>${t("rank", "排名")}</div><div class="v">${ev.rank || "-"} / ${ev.peer_size || "-"}</div></div>
      ${d.settlement ? `<div class="card"><div>${t("payment", "DRG 支付")} / ${t("cost", "实际费用")}</div><div class="v" id="h-pay">${yuan(d.settlement.payment_fen)} / ${yuan(d.settlement.cost_fen)}</div>
        <div>${t("settled", "清算")} ${yuan(d.settlement.settled_fen)}</div></div>` : ""}</div>
      <p><a href="/api/hospitals/${encodeURIComponent(d.code)}/report" target="_blank">${t("report", "绩效改进建议书")}</a></p>
      <div id="c-trend" class="chart"></div><div id="c-ind" class="chart"></div><div id="c-mix" class="chart"></div><div id="ind"></div><h3>${t("coef", "系数")}</h3><div id="coef"></div>
      <h3>${t("findings", "审核问题")}</h3><div id="hf"></div>`;
    const m = d.months || [];
    chart(document.getElementById("c-trend"), {title: {text: t("spending", "月度费用（元）")}, xAxis: {type: "category", data: m.map(x => x.month)},
      yAxis: {type: "value"}, series: [{type: "bar", name: t("inpatient", "住院"), data: m.map(x => x.inpatient_total_fen / 100)}]});
    const tr = d.trend || [];
    const keys = ["cmi", "cost_index_routine", "time_index_routine", "findings_per_100"];
    chart(document.getElementById("c-ind"), {title: {text: t("trend", "指标趋势")}, legend: {top: 25},
      xAxis: {type: "category", data: tr.map(x => x.period)}, yAxis: [{type: "value", name: t("score", "得分"), min: 0, max: 100}, {type: "value", scale: true}],
      series: [{name: t("score", "得分"), type: "bar", data: tr.map(x => +x.score.toFixed(2))}].concat(
        keys.map(k => ({name: k, type: "line", yAxisIndex: 1, data: tr.map(x => +(x.values[k] || 0).toFixed(3))})))});
    const mix = d.drg_mix || [];
    chart(document.getElementById("c-mix"), {title: {text: t("drgmix", "DRG 构成")}, tooltip: {trigger: "item"},
      series: [{type: "pie", radius: "60%", data: mix.map(x => ({name: x.drg, value: x.cases}))}]}, p => location.hash = "#/drg/" + p.name);
    document.getElementById("ind").appendChild(table("indicators", [["id", "指标"], ["value", "本院", v => v.toFixed(2)], ["peer_median", "同组中位数", v => v.toFixed(2)],
      ["score", "得分", v => v.toFixed(2)], ["light", "信号灯", v => `<span class="${v}">${v}</span>`]], ev.indicators));
    document.getElementById("coef").appendChild(table("coefs", [["run", "批次"], ["period", "周期"], ["coef_after", "系数"], ["budget_after_fen", "预算（元）", v => yuan(v)], ["overridden", "申诉"]], d.coefficients || []));
    document.getElementById("hf").appendChild(table("hfind", [["key", "类别", category, r => "#/audit?category=" + r.key + "&hospital=" + d.code], ["count", "问题数"], ["amount_fen", "金额（元）", v => yuan(v)]], d.findings || []));
  },
  async drgs() {
    const d = await api("/api/drgs");
    app.innerHTML = `<h2>DRG ${esc(d.period || "")}</h2><div id="c-drg" class="chart"></div>`;
    const top = d.drgs.slice(0, 25);
    chart(document.getElementById("c-drg"), {title: {text: t("cases", "病例数")}, xAxis: {type: "category", data: top.map(x => x.drg)},
      yAxis: {type: "value"}, series: [{type: "bar", data: top.map(x => x.cases)}]},
      p => location.hash = "#/drg/" + top[p.dataIndex].drg);
    app.appendChild(table("drgs", [["drg", "DRG", null, r => "#/drg/" + r.drg], ["cases", "病例数"], ["avg_cost", "次均费用", v => v.toFixed(2)],
      ["rw", "权重"], ["outlier_pct", "高低倍率 %", v => v.toFixed(1)]], d.drgs));
  },
  async drg(code) {
    const d = await api("/api/drgs/" + encodeURIComponent(code) + "/cases");
    app.innerHTML = `<h2>${esc(code)}</h2>`;
    app.appendChild(table("drgcases", [["setl_id", "结算", null, r => "#/settlement/" + r.setl_id], ["hospital", "医院"], ["month", "月份"],
      ["kind", "支付类型"], ["cost_fen", "费用（元）", v => yuan(v)], ["payment_fen", "支付（元）", v => yuan(v)]], d.cases));
  },
  async audit(q) {
    const params = new URLSearchParams(q || "");
    const s = await api("/api/audit/summary?by=category");
    const f = await api("/api/audit/findings?" + params.toString());
    app.innerHTML = `<h2>${t("nav.audit", "智能审核")}</h2><div id="c-audit" class="chart"></div>
      <p id="f-count">${f.findings.length} / ${f.total}</p>`;
    chart(document.getElementById("c-audit"), {title: {text: t("count", "问题数")}, xAxis: {type: "category", data: s.rows.map(x => lang === "zh" ? (CATEGORIES[x.key] || x.key) : x.key), axisLabel: {rotate: 30}},
      yAxis: {type: "value"}, series: [{type: "bar", data: s.rows.map(x => x.count)}]},
      p => location.hash = "#/audit?category=" + s.rows[p.dataIndex].key);
    app.appendChild(table("findings", [["setl_id", "结算", null, r => "#/settlement/" + r.setl_id], ["hospital", "医院"], ["month", "月份"], ["category", "类别", category],
      ["rule_id", "规则"], ["severity", "严重程度", severity], ["amount_fen", "金额（元）", v => yuan(v)], ["evidence", "依据"], ["status", "状态"]], f.findings));
    if (f.total > f.offset + f.findings.length) {
      const next = new URLSearchParams(params); next.set("offset", f.offset + f.findings.length);
      const a = document.createElement("a"); a.href = "#/audit?" + next.toString(); a.id = "f-next"; a.textContent = t("next", "下一页");
      app.appendChild(a);
    }
  },
  async settlement(id) {
    const d = await api("/api/settlements/" + encodeURIComponent(id));
    const s = d.settlement, fs = d.findings || [];
    const viol = new Set(fs.map(f => f.feedetl_sn).filter(Boolean));
    const rel = new Set(fs.flatMap(f => (f.related || "").split(",").filter(Boolean)));
    app.innerHTML = `<h2 id="s-id">${esc(s.ID)}</h2><p>${esc(s.Hospital)} · ${esc((s.Admission || "").slice(0, 10))} → ${esc((s.Discharge || "").slice(0, 10))} · LOS ${s.LOS}
      · ${esc(d.grouping.DRG || "")} ${esc(d.grouping.DRGName || "")} · ${t("total", "总额")} <b id="s-total">${yuan(s.Pay.Total)}</b></p>
      <h3>${t("findings", "审核问题")}</h3><div id="sf"></div><h3>${t("diagnoses", "诊断")}</h3><div id="sd"></div>
      <h3>${t("procedures", "手术操作")}</h3><div id="sp"></div><h3>${t("fees", "费用明细")}</h3><div id="sl"></div>`;
    document.getElementById("sf").appendChild(table("sfind", [["feedetl_sn", "明细"], ["category", "类别", category], ["severity", "严重程度", severity], ["amount_fen", "金额（元）", v => yuan(v)], ["evidence", "依据"]], fs));
    document.getElementById("sd").appendChild(table("sdx", [["Code", "编码"], ["Name", "名称"], ["Principal", "主要", yesNo]], s.Diagnoses || []));
    document.getElementById("sp").appendChild(table("spx", [["Code", "编码"], ["Name", "名称"], ["Principal", "主要", yesNo], ["Operator", "术者"]], s.Procedures || []));
    document.getElementById("sl").appendChild(table("slines", [["Serial", "序号"], ["Time", "时间", v => esc(String(v).slice(0, 16).replace("T", " "))], ["ListCode", "项目编码"], ["Name", "名称"],
      ["Category", "类别"], ["Qty", "数量", v => (v / 1e6).toString()], ["Price", "单价", v => (v / 1e6).toFixed(2)], ["Amount", "金额", v => yuan(v)]],
      s.Fees || [], {rowClass: r => viol.has(r.Serial) ? "violating" : rel.has(r.Serial) ? "related" : ""}));
  },
  async linkage() {
    const l = await api("/api/linkage"), a = await api("/api/appeals");
    app.innerHTML = `<h2>${t("nav.linkage", "绩效联动与申诉")}</h2><div id="la"></div><h3>${t("appeals", "申诉")}</h3><div id="ap"></div>
      <form id="appeal-form" class="hospital-only"><input id="appeal-target" placeholder="adjustment:RUN:HOSPITAL"><input id="appeal-reason" placeholder="${t("reason", "理由")}">
      <button type="submit">${t("file", "提出申诉")}</button><span id="appeal-msg"></span></form>`;
    document.getElementById("la").appendChild(table("adjust", [["run", "批次"], ["period", "周期"], ["hospital", "医院"], ["coef_after", "系数"],
      ["budget_after_fen", "预算（元）", v => yuan(v)], ["overridden", "申诉"]], l.adjustments));
    const cols = [["ID", "编号"], ["Hospital", "医院"], ["Target", "对象"], ["State", "状态"], ["Reason", "理由"], ["DecideBy", "决定期限", v => esc(String(v).slice(0, 10))]];
    if (me.role !== "hospital") cols.push(["ID", "", (v, r) => (r.State === "filed" || r.State === "under_review") ?
      `<button data-decide="${v}" data-uphold="1">${t("uphold", "支持")}</button><button data-decide="${v}" data-uphold="0">${t("reject", "驳回")}</button>` : ""]);
    document.getElementById("ap").appendChild(table("appeals", cols, a.appeals));
    document.querySelectorAll("[data-decide]").forEach(b => b.onclick = async () => {
      await api(`/api/appeals/${b.dataset.decide}/decision`, {method: "POST", body: JSON.stringify({uphold: b.dataset.uphold === "1", why: "驾驶舱复核"})});
      route();
    });
    const form = document.getElementById("appeal-form");
    if (me.role !== "hospital") form.hidden = true;
    form.onsubmit = async e => {
      e.preventDefault();
      try {
        await api("/api/appeals", {method: "POST", body: JSON.stringify({target: document.getElementById("appeal-target").value, reason: document.getElementById("appeal-reason").value})});
        route();
      } catch (err) { document.getElementById("appeal-msg").textContent = err.message; }
    };
    if (me.role === "hospital" && l.adjustments.length) document.getElementById("appeal-target").value = `adjustment:${l.adjustments[0].run}:${me.hospital}`;
  },
  async simulation() {
    const s = await api("/api/scenarios");
    app.innerHTML = `<h2>${t("nav.simulation", "政策模拟")}</h2><select id="scn">${s.scenarios.map(x => `<option>${esc(x)}</option>`).join("")}</select>
      <button id="run" type="button">${t("run", "运行")}</button><div id="sim-total"></div><div id="c-sim" class="chart"></div><div id="sim"></div>`;
    document.getElementById("run").onclick = async () => {
      const d = await api("/api/simulate?scenario=" + encodeURIComponent(document.getElementById("scn").value));
      document.getElementById("sim-total").textContent = `${t("diff", "基金支出变化")}: ${yuan(d.total.fund_outlay_diff_fen || 0)}`;
      const hs = d.by_hospital;
      chart(document.getElementById("c-sim"), {xAxis: {type: "category", data: hs.map(x => x.key), axisLabel: {rotate: 45}}, yAxis: {type: "value"},
        series: [{type: "bar", data: hs.map(x => (x.fund_outlay_diff_fen || 0) / 100)}]}, p => location.hash = "#/hospital/" + hs[p.dataIndex].key);
      const el = document.getElementById("sim"); el.innerHTML = "";
      el.appendChild(table("simhosp", [["key", "医院", null, r => "#/hospital/" + r.key], ["baseline_fund_outlay_fen", "基线（元）", v => yuan(v || 0)],
        ["scenario_fund_outlay_fen", "方案（元）", v => yuan(v || 0)], ["fund_outlay_diff_fen", "差额（元）", v => yuan(v || 0)]], hs));
    };
  },
};

function loginForm(msg) {
  app.innerHTML = `<form class="login" id="login"><h3>${t("login", "登录")}</h3><input id="u" placeholder="${t("username", "用户名")}" autocomplete="username">
    <input id="p" type="password" placeholder="${t("password", "密码")}" autocomplete="current-password"><button type="submit">${t("login", "登录")}</button>
    <div class="error">${esc(msg || "")}</div></form>`;
  document.getElementById("login").onsubmit = async e => {
    e.preventDefault();
    try {
      me = await api("/api/login", {method: "POST", body: JSON.stringify({username: document.getElementById("u").value, password: document.getElementById("p").value})});
      location.hash = me.role === "hospital" ? "#/hospital/" + me.hospital : "#/overview"; route();
    } catch (err) { loginForm(err.message); }
  };
}

// Routes run one after another: a page that is still loading never overwrites the page the
// user asked for next.
let routing = Promise.resolve();
function route() {
  routing = routing.then(renderRoute, renderRoute);
  return routing;
}

async function renderRoute() {
  if (!me) { try { me = await (await fetch("/api/me")).json(); if (!me.role) me = null; } catch { me = null; } }
  document.getElementById("nav").hidden = !me;
  document.getElementById("logout").hidden = !me;
  document.getElementById("who").textContent = me ? `${me.username}（${me.role}${me.hospital ? " " + me.hospital : ""}）` : "";
  document.querySelectorAll(".bureau").forEach(el => el.hidden = !me || me.role === "hospital");
  translate();
  if (!me) return loginForm();
  const [path, query] = (location.hash.slice(2) || "overview").split("?");
  const [name, arg] = path.split("/");
  document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.getAttribute("href") === "#/" + name));
  app.dataset.page = "loading";
  try { await (pages[name] || pages.overview)(arg ? decodeURIComponent(arg) : query, query); } catch (e) { if (e.message !== "login") app.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
  app.dataset.page = name;
}

document.getElementById("lang").onclick = () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("lang", lang); route(); };
document.getElementById("logout").onclick = async () => { await api("/api/logout", {method: "POST"}); me = null; location.hash = ""; route(); };
window.addEventListener("hashchange", route);
route();
