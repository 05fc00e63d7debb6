// yibao cockpit: a small single-page app over the JSON API. Chinese first, English on a toggle.
//
// Every string from data is hostile: the page is built with createElement and textContent
// only (never HTML from data), links are built from URL-encoded ids, and the server's
// Content-Security-Policy allows no inline script. Tables are rendered by the server (labels,
// yuan, paging, sorting, filtering, export), so what is exported is what is shown.
"use strict";
// Count Content-Security-Policy violations: the page itself should cause none (the browser
// tests read this counter).
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));

const T = {
  brand: ["医保基金驾驶舱", "Fund cockpit"], "nav.overview": ["总览", "Overview"], "nav.hospitals": ["医院", "Hospitals"],
  "nav.drgs": ["DRG/DIP", "DRG/DIP"], "nav.audit": ["智能审核", "Audit"], "nav.linkage": ["绩效联动与申诉", "Linkage & appeals"],
  "nav.simulation": ["政策模拟", "Simulation"], logout: ["退出", "Log out"], login: ["登录", "Log in"], username: ["用户名", "Username"],
  password: ["密码", "Password"], settlements: ["结算人次", "Settlements"], total: ["医疗费用总额", "Total medical cost"],
  fund: ["统筹基金支出", "Pooled fund outlay"], alerts: ["预警", "Alerts"], inpatient: ["住院", "Inpatient"], outpatient: ["门诊", "Outpatient"],
  fundpay: ["统筹基金", "Fund"], patientpay: ["个人负担", "Patients"], spending: ["月度费用（元）", "Spending by month (yuan)"], spendingWan: ["月度费用（万元；* 为不完整月份）", "Spending by month (10,000 yuan; * incomplete month)"],
  cmi: ["月度 CMI", "CMI by month"], filter: ["筛选（按显示内容）", "Filter (what is shown)"], csv: ["导出 CSV", "Export CSV"], xlsx: ["导出 Excel", "Export Excel"],
  loading: ["加载中…", "Loading…"], empty: ["没有符合条件的记录", "No matching rows"], clearAll: ["清除全部筛选", "Clear all filters"],
  prev: ["上一页", "Previous"], next: ["下一页", "Next"], rowsOf: ["第 {a}–{b} 条，共 {n} 条", "Rows {a}–{b} of {n}"],
  unfiltered: ["（筛选前 {n} 条）", " (of {n} before filtering)"], sum: ["合计（全部筛选结果）", "Total (all filtered rows)"],
  notFound: ["未找到：", "Not found: "], period: ["期间", "Period"], incomplete: ["不完整月份（病例数不足中位月份一半，未计入预警）", "Incomplete months (under half the median month's cases; left out of alerts)"],
  allYears: ["全部年份", "All years"], allHospitals: ["全部医院", "All hospitals"], year: ["年份", "Year"], hospital: ["医院", "Hospital"],
  score: ["得分", "Score"], grade: ["等级", "Grade"], rank: ["组内排名", "Rank"], peer: ["同组", "Peer group"], allPeers: ["全部同组", "All peer groups"],
  evalPeriod: ["评价周期", "Evaluation period"], latest: ["最新", "Latest"], payment: ["DRG 支付", "DRG payment"], cost: ["实际费用", "Actual cost"],
  settled: ["清算", "Settled"], report: ["绩效改进建议书", "Improvement report"], trend: ["指标趋势", "Indicator trends"], drgmix: ["DRG 构成", "DRG mix"],
  indicators: ["指标", "Indicators"], coef: ["系数与预算", "Coefficients and budgets"], findings: ["审核问题", "Findings"], cases: ["病例数", "Cases"],
  scheme: ["分组方案", "Scheme"], count: ["问题数（不含已驳回）", "Findings (not dismissed)"], category: ["类别", "Category"], allCategories: ["全部类别", "All categories"],
  status: ["状态", "Status"], allStatuses: ["全部状态", "All states"], severity: ["严重程度", "Severity"], allSeverities: ["全部", "All"],
  month: ["月份", "Month"], allMonths: ["全部月份", "All months"], confirm: ["确认", "Confirm"], dismiss: ["驳回", "Dismiss"],
  bulkConfirm: ["确认筛选结果中全部待复核问题", "Confirm every open finding shown"], bulkDismiss: ["驳回筛选结果中全部待复核问题", "Dismiss every open finding shown"],
  reason: ["理由（必填）", "Reason (required)"], ok: ["提交", "Submit"], cancel: ["取消", "Cancel"], appeal: ["申诉", "Appeal"],
  appealFinding: ["对审核问题 #{id} 提出申诉", "Appeal finding #{id}"], appealGrounds: ["申诉理由与说明（必填）", "Grounds and explanation (required)"],
  reviewTitle: ["{act}审核问题 #{id}", "{act} finding #{id}"], bulkTitle: ["{act} {n} 条待复核问题", "{act} {n} open findings"],
  decide: ["决定", "Decide"], decideTitle: ["对申诉 #{id} 作出决定", "Decide appeal #{id}"], uphold: ["申诉成立", "Uphold"], reject: ["驳回申诉", "Reject"],
  appeals: ["申诉", "Appeals"], pending: ["待处理", "Pending"], all: ["全部", "All"], adjustments: ["联动调整", "Adjustments"],
  fileAdj: ["对联动调整提出申诉", "Appeal a linkage adjustment"], file: ["提出申诉", "File appeal"], run: ["运行", "Run"],
  diff: ["基金支出变化", "Change in fund outlay"], scenario: ["方案", "Scenario"], diagnoses: ["诊断", "Diagnoses"], procedures: ["手术操作", "Procedures"],
  fees: ["费用明细（红色：违规明细；黄色：相关明细）", "Fee lines (red: violating; yellow: related)"], code: ["编码", "Code"], name: ["名称", "Name"],
  principal: ["主要", "Principal"], operator: ["术者", "Operator"], serial: ["序号", "Line"], time: ["时间", "Time"], item: ["项目编码", "Item"],
  qty: ["数量", "Qty"], price: ["单价（元）", "Price (yuan)"], amount: ["金额（元）", "Amount (yuan)"], yes: ["是", "yes"], no: ["否", "no"],
  los: ["住院天数", "LOS"], noneAlerts: ["无预警", "No alerts"], wrong: ["用户名或密码错误", "Wrong username or password"],
  locked: ["登录失败次数过多，账户已暂时锁定，请 {t} 后再试", "Too many failed logins: the account is locked; try again in {t}"],
  expired: ["账户或密码已过期，请联系管理员", "The account or password has expired; ask an administrator"],
  disabled: ["账户已停用，请联系管理员", "The account is disabled; ask an administrator"],
  tooMany: ["此地址登录失败次数过多，请 {t} 后再试", "Too many failed logins from this address; try again in {t}"],
  sessionEnded: ["会话已结束，请重新登录", "Your session has ended; please log in again"], minutes: ["{n} 分钟", "{n} min"], seconds: ["{n} 秒", "{n} s"],
  done: ["已完成：{n} 条", "Done: {n}"], onlyAppealable: ["只看可申诉的问题", "Only findings I can appeal"], noData: ["暂无数据", "No data"], baseCol: ["基线基金支出（元）", "Baseline fund outlay (yuan)"],
  scenCol: ["方案基金支出（元）", "Scenario fund outlay (yuan)"], diffCol: ["差额（元）", "Difference (yuan)"], cmiLine: ["CMI", "CMI"], unknown: ["未知", "unknown"], reviewed: ["复核记录", "Review history"],
  target: ["申诉对象", "Target"], dip: ["DIP（按病种分值付费）", "DIP (diagnosis-intervention packets)"], drg: ["DRG 病组", "DRG groups"], report404: ["（无报告）", "(no report)"],
};
Object.assign(T, moreT); // pages2.js: the further pages' words
let lang = localStorage.getItem("lang") === "en" ? "en" : "zh";
let me = null;
let labels = null;
const app = document.getElementById("app");
// show replaces the page's content (absent parts skipped).
const show = (...nodes) => app.replaceChildren(...nodes.flat().filter(x => x !== null && x !== undefined && x !== false));

function t(k, vars) {
  let s = (T[k] || [k, k])[lang === "en" ? 1 : 0];
  for (const [a, b] of Object.entries(vars || {})) s = s.split("{" + a + "}").join(String(b));
  return s;
}
const pair = p => (p ? p[lang === "en" ? 1 : 0] : "");
const lab = (table, id) => (labels && labels[table] && labels[table][id] ? pair(labels[table][id]) : id);

// h builds an element: attributes by setAttribute (functions become listeners), children
// as elements or text nodes. Nothing is ever parsed as HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
// href builds a cockpit link from raw ids, each URL-encoded.
const href = (...parts) => "#/" + parts.map(p => encodeURIComponent(String(p))).join("/");
function hrefQ(page, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return "#/" + encodeURIComponent(page) + (s ? "?" + s : "");
}

// Money: fen are integers; yuan are formatted from them exactly.
function yuan(fen) {
  fen = Math.round(Number(fen) || 0);
  const neg = fen < 0; if (neg) fen = -fen;
  const y = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + y + "." + String(fen % 100).padStart(2, "0");
}
// bigYuan shows KPIs in 万元/亿元 (million/billion in English).
function bigYuan(fen) {
  const y = (Number(fen) || 0) / 100, a = Math.abs(y);
  if (lang === "en") {
    if (a >= 1e9) return (y / 1e9).toFixed(2) + " billion yuan";
    if (a >= 1e6) return (y / 1e6).toFixed(2) + " million yuan";
    return yuan(fen) + " yuan";
  }
  if (a >= 1e8) return (y / 1e8).toFixed(2) + " 亿元";
  if (a >= 1e4) return (y / 1e4).toFixed(2) + " 万元";
  return yuan(fen) + " 元";
}
const int = n => (Number(n) || 0).toLocaleString("en-US");

class APIError extends Error {
  constructor(status, body, retryAfter) {
    super((lang === "en" ? body.error : body.error_zh || body.error) || String(status));
    this.status = status; this.code = body.code || ""; this.retryAfter = body.retry_after || retryAfter || 0;
  }
}

async function api(path, opts = {}) {
  opts.headers = Object.assign({"Content-Type": "application/json"}, opts.headers || {});
  const method = opts.method || "GET";
  if (method !== "GET" && me) opts.headers["X-CSRF-Token"] = me.csrf;
  if (method === "GET") path += (path.includes("?") ? "&" : "?") + "lang=" + lang;
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({}));
  if (r.status === 401 && path.indexOf("/api/login") !== 0) {
    const had = !!me; me = null;
    loginForm(had ? t("sessionEnded") : "");
    throw new Error("login");
  }
  if (!r.ok) throw new APIError(r.status, body, Number(r.headers.get("Retry-After")) || 0);
  return body;
}

function translate() {
  document.querySelectorAll("[data-t]").forEach(el => { el.textContent = t(el.dataset.t); });
  document.getElementById("lang").textContent = lang === "zh" ? "English" : "中文";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = "yibao " + t("brand");
}

function dot(light) {
  return h("span", {class: "light " + (light || "")}, h("span", {class: "dot " + (light || ""), "aria-hidden": "true"}), lab("lights", light));
}

// linkFor builds the link of a cell from its row's raw ids.
function linkFor(kind, r) {
  switch (kind) {
    case "hospital": return href("hospital", r.hospital !== undefined ? r.hospital : r.institution !== undefined ? r.institution : r.code);
    case "settlement": return href("settlement", r.setl_id);
    case "drg": return href("drg", r.drg);
    case "finding": return hrefQ("audit", {id: r.id});
    case "audit-category": return hrefQ("audit", {category: r.key, hospital: r.hospital});
    case "target": {
      const [k, id] = String(r.target).split(":");
      return k === "finding" ? hrefQ("audit", {id: id}) : href("linkage");
    }
  }
  return null;
}

const isNum = c => ["money", "int", "num1", "num2", "num4"].includes(c.kind);
function cell(col, r, text) {
  if (col.kind === "light") return h("td", {}, dot(r[col.key]));
  if (col.kind === "lights") {
    const list = r[col.key] || [];
    return h("td", {class: "lights"}, list.map(x => h("span", {class: "light " + x.light, title: lab("lights", x.light)},
      h("span", {class: "dot " + x.light, "aria-hidden": "true"}), lang === "en" ? x.en : x.zh)));
  }
  const numeric = isNum(col);
  const l = col.link && linkFor(col.link, r);
  const td = h("td", {class: (numeric ? "num " : "") + "c-" + col.key, title: col.kind === "label" && r[col.key] !== text ? r[col.key] : null});
  if (col.kind === "coded" && r[col.key + "_name"]) {
    const inner = [h("span", {class: "code"}, r[col.key]), " ", r[col.key + "_name"]];
    td.append(l ? h("a", {href: l}, inner) : h("span", {}, inner));
  } else td.append(l ? h("a", {href: l}, text) : text);
  return td;
}

// staticTable renders a server-rendered table shown whole.
function staticTable(id, g, opts = {}) {
  if (!g || !g.rows || !g.rows.length) return h("p", {class: "empty"}, t("empty"));
  return h("table", {id: id}, h("thead", {}, h("tr", {}, g.columns.map(c => h("th", {class: isNum(c) ? "num" : null}, lang === "en" ? c.en : c.zh)))),
    h("tbody", {}, g.rows.map(r => h("tr", {class: opts.rowClass ? opts.rowClass(r) : null}, g.columns.map((c, i) => cell(c, r, r.cells[i]))))));
}

// Grid: a server-side table with paging, sorting, the text filter, active filters as chips
// and export. Its state lives in the page's query string (prefixed per grid).
function grid(id, endpoint, params, opts = {}) {
  const p = opts.prefix || "";
  const st = {q: params.get(p + "q") || "", sort: params.get(p + "sort") || "", dir: params.get(p + "dir") || "asc",
    offset: +params.get(p + "offset") || 0, limit: +params.get(p + "limit") || opts.limit || 50};
  const base = new URLSearchParams();
  for (const k of opts.pass || []) if (params.get(k)) base.set(k, params.get(k));
  for (const [k, v] of Object.entries(opts.fixed || {})) base.set(k, v);
  const input = h("input", {type: "search", placeholder: t("filter"), "data-filter": id, value: st.q, "aria-label": t("filter")});
  const csv = h("a", {class: "button", "data-export": "csv", download: ""}, t("csv"));
  const xlsx = h("a", {class: "button", "data-export": "xlsx", download: ""}, t("xlsx"));
  const chips = h("div", {class: "chips", id: id + "-chips"});
  const info = h("span", {class: "pageinfo", id: id + "-info"});
  const prev = h("button", {type: "button", id: id + "-prev"}, t("prev"));
  const next = h("button", {type: "button", id: id + "-next"}, t("next"));
  const size = h("select", {id: id + "-size", "aria-label": "page size"}, [25, 50, 100, 500, 1000].map(n => h("option", {value: n, selected: n === st.limit}, n)));
  const table = h("table", {id: id, "aria-busy": "true"});
  const extra = h("div", {class: "grid-extra"});
  const wrap = h("div", {class: "grid"}, h("div", {class: "tools"}, input, csv, xlsx, extra), chips, table,
    h("div", {class: "pager"}, prev, info, next, size));
  let last = null;
  const query = (more) => {
    const q = new URLSearchParams(base);
    if (st.q) q.set("q", st.q);
    if (st.sort) { q.set("sort", st.sort); q.set("dir", st.dir); }
    for (const [k, v] of Object.entries(more || {})) q.set(k, v);
    return q;
  };
  const remember = () => {
    const [path, qs] = location.hash.split("?");
    const q = new URLSearchParams(qs || "");
    for (const [k, v] of Object.entries({q: st.q, sort: st.sort, dir: st.sort ? st.dir : "", offset: st.offset || "", limit: st.limit === (opts.limit || 50) ? "" : st.limit})) {
      if (v) q.set(p + k, v); else q.delete(p + k);
    }
    const s = q.toString();
    history.replaceState(null, "", path + (s ? "?" + s : ""));
  };
  async function load() {
    table.setAttribute("aria-busy", "true");
    const d = await api(endpoint + "?" + query({offset: st.offset, limit: st.limit}).toString());
    last = d;
    if (d.offset !== st.offset) st.offset = d.offset;
    const exp = fmt => endpoint + "?" + query({format: fmt, lang: lang}).toString();
    csv.setAttribute("href", exp("csv")); xlsx.setAttribute("href", exp("xlsx"));
    csv.setAttribute("download", (opts.file || id) + ".csv"); xlsx.setAttribute("download", (opts.file || id) + ".xlsx");
    const head = h("tr", {}, d.columns.map(c => {
      const sorted = st.sort === c.key;
      return h("th", {class: isNum(c) ? "num" : null, "data-col": c.key, "aria-sort": sorted ? (st.dir === "desc" ? "descending" : "ascending") : "none", onclick: () => {
        st.dir = sorted && st.dir === "asc" ? "desc" : "asc"; st.sort = c.key; st.offset = 0; remember(); load();
      }}, lang === "en" ? c.en : c.zh, sorted ? (st.dir === "desc" ? " ▼" : " ▲") : "");
    }));
    if (opts.actions) head.append(h("th", {}, ""));
    const body = h("tbody", {}, d.rows.map(r => {
      const tr = h("tr", {class: opts.rowClass ? opts.rowClass(r) : null, "data-id": r.id !== undefined ? r.id : null}, d.columns.map((c, i) => cell(c, r, r.cells[i])));
      if (opts.actions) tr.append(h("td", {class: "actions"}, opts.actions(r, d)));
      return tr;
    }));
    const foot = Object.keys(d.sums || {}).length && d.total > 0 ? h("tfoot", {}, h("tr", {}, d.columns.map((c, i) =>
      h("td", {class: "num sum"}, i === 0 ? t("sum") : (d.sums[c.key] || ""))))) : null;
    table.replaceChildren(h("thead", {}, head), body);
    if (foot) table.append(foot);
    if (!d.rows.length) table.append(h("tbody", {}, h("tr", {}, h("td", {colspan: d.columns.length + 1, class: "empty"}, t("empty")))));
    table.setAttribute("aria-busy", "false");
    info.textContent = t("rowsOf", {a: d.total ? int(d.offset + 1) : 0, b: int(d.offset + d.rows.length), n: int(d.total)}) +
      (d.unfiltered !== d.total ? t("unfiltered", {n: int(d.unfiltered)}) : "");
    prev.disabled = d.offset <= 0;
    next.disabled = d.offset + d.rows.length >= d.total;
    // Active filters, each clearable; the text filter is one of them.
    const cs = (d.filters || []).map(f => h("span", {class: "chip", "data-key": f.key}, f.label,
      h("button", {type: "button", "aria-label": "clear " + f.key, onclick: () => clearParams([f.key])}, "×")));
    if (st.q) cs.push(h("span", {class: "chip", "data-key": "q"}, (lang === "en" ? "text: " : "关键词：") + st.q,
      h("button", {type: "button", "aria-label": "clear text", onclick: () => { input.value = ""; st.q = ""; st.offset = 0; remember(); load(); }}, "×")));
    if (cs.length > 1) cs.push(h("button", {type: "button", class: "link", onclick: () => { st.q = ""; clearParams((d.filters || []).map(f => f.key).concat([p + "q"])); }}, t("clearAll")));
    chips.replaceChildren(...cs);
    if (opts.onload) opts.onload(d, extra, query);
    return d;
  }
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { st.q = input.value.trim(); st.offset = 0; remember(); load().catch(showError); }, 350);
  });
  prev.addEventListener("click", () => { st.offset = Math.max(0, st.offset - st.limit); remember(); load().catch(showError); });
  next.addEventListener("click", () => { st.offset += st.limit; remember(); load().catch(showError); });
  size.addEventListener("change", () => { st.limit = +size.value; st.offset = 0; remember(); load().catch(showError); });
  wrap.load = load;
  wrap.state = st;
  wrap.query = query;
  wrap.last = () => last;
  return wrap;
}

// clearParams removes query parameters of the current page and navigates.
function clearParams(keys) {
  const [path, qs] = location.hash.split("?");
  const q = new URLSearchParams(qs || "");
  for (const k of keys) { q.delete(k); }
  for (const k of [...q.keys()]) if (k.endsWith("offset")) q.delete(k);
  const s = q.toString();
  location.hash = path + (s ? "?" + s : "");
}
function setParam(key, value) {
  const [path, qs] = location.hash.split("?");
  const q = new URLSearchParams(qs || "");
  if (value) q.set(key, value); else q.delete(key);
  for (const k of [...q.keys()]) if (k.endsWith("offset")) q.delete(k);
  const s = q.toString();
  location.hash = (path || "#/overview") + (s ? "?" + s : "");
}

// selector is a <select> bound to a query parameter.
function selector(id, labelKey, key, params, options, allKey) {
  const sel = h("select", {id: id, "aria-label": t(labelKey), onchange: e => setParam(key, e.target.value)},
    h("option", {value: ""}, t(allKey)), options.map(o => h("option", {value: o[0], selected: params.get(key) === o[0]}, o[1])));
  return h("label", {class: "selector"}, t(labelKey), " ", sel);
}
function hospitalOptions() {
  return Object.entries((labels && labels.hospitals) || {}).sort((a, b) => (a[0] > b[0] ? 1 : -1)).map(([c, n]) => [c, c + " " + n]);
}

function chart(el, option, onClick) {
  if (!window.echarts) { el.textContent = "(charts unavailable: run make vendor)"; return null; }
  if ((option.series || []).every(s => !s.data || !s.data.length)) {
    // Empty state: say so instead of drawing empty axes.
    el.classList.add("chart-empty");
    el.replaceChildren(h("h4", {}, option.title ? option.title.text : ""), h("p", {class: "empty"}, t("noData")));
    return null;
  }
  const c = echarts.init(el);
  option.tooltip = option.tooltip || {trigger: "axis"};
  // Tooltips drawn as rich text, not HTML: names from data never become markup, and the
  // page needs no inline styles.
  option.tooltip.renderMode = "richText";
  option.toolbox = {feature: {dataZoom: {}, restore: {}, saveAsImage: {}}};
  option.animation = false; // figures appear at once; a click lands on the bar it aims at
  c.setOption(option);
  if (onClick) c.on("click", onClick);
  return c;
}

// dialog asks for a reason (and optionally a choice) and resolves with {why, choice} or null.
function dialog(title, reasonLabel, choices, detail, extra) {
  return new Promise(resolve => {
    const why = h("textarea", {id: "dlg-why", rows: 4, maxlength: 2000, "aria-label": reasonLabel});
    const msg = h("div", {class: "error", id: "dlg-msg", role: "alert"});
    const radios = (choices || []).map((c, i) => h("label", {class: "choice"}, h("input", {type: "radio", name: "dlg-choice", value: c[0], checked: i === 0 ? true : null}), c[1]));
    const dlg = h("dialog", {id: "dlg"});
    const close = v => { dlg.close(); dlg.remove(); resolve(v); };
    const form = h("form", {method: "dialog", onsubmit: e => {
      e.preventDefault();
      if (!why.value.trim()) { msg.textContent = reasonLabel; why.focus(); return; }
      const ch = dlg.querySelector('input[name="dlg-choice"]:checked');
      close({why: why.value.trim(), choice: ch ? ch.value : ""});
    }}, h("h3", {}, title), detail ? h("p", {class: "detail", id: "dlg-detail"}, detail) : null, radios.length ? h("div", {class: "choices"}, radios) : null, extra ? h("div", {class: "choices"}, extra) : null, h("label", {}, reasonLabel, why), msg,
      h("div", {class: "buttons"}, h("button", {type: "submit", id: "dlg-ok"}, t("ok")), h("button", {type: "button", id: "dlg-cancel", onclick: () => close(null)}, t("cancel"))));
    dlg.append(form);
    dlg.addEventListener("cancel", () => close(null));
    document.body.append(dlg);
    dlg.showModal();
    why.focus();
  });
}

function notice(text, cls) {
  const n = h("div", {class: "notice " + (cls || ""), role: "status", id: "notice"}, text);
  const old = document.getElementById("notice"); if (old) old.remove();
  app.prepend(n);
}
function showError(e) { if (e && e.message !== "login") notice(e.message, "error"); }

async function refreshQueues() {
  if (!me) return;
  try {
    const q = await api("/api/queues");
    const set = (id, n) => { const el = document.getElementById(id); el.textContent = n ? String(n) : ""; el.hidden = !n; };
    set("badge-audit", q.open_findings);
    set("badge-linkage", q.pending_appeals);
  } catch (e) { /* counters are a convenience */ }
}

const pages = {
  async overview(arg, params) {
    const bureau = me.role !== "hospital";
    const q = new URLSearchParams();
    if (params.get("year")) q.set("year", params.get("year"));
    if (bureau && params.get("hospital")) q.set("hospital", params.get("hospital"));
    const d = await api("/api/overview?" + q.toString());
    const m = d.months || [];
    const sel = h("div", {class: "selectors"}, selector("sel-year", "year", "year", params, (d.years || []).map(y => [y, y]), "allYears"),
      bureau ? selector("sel-hospital", "hospital", "hospital", params, hospitalOptions(), "allHospitals") : null);
    const per = d.period ? `${d.period.from} ~ ${d.period.to}` : "-";
    const kpi = (k, id, v, title) => h("div", {class: "card"}, h("div", {}, t(k)), h("div", {class: "v", id: id, title: title}, v));
    show(sel,
      h("p", {class: "period", id: "k-period"}, t("period"), "：", per, "（", int(m.length), lang === "en" ? " months)" : " 个月）"),
      (d.incomplete_months || []).length ? h("p", {class: "incomplete", id: "k-incomplete"}, t("incomplete"), "：", d.incomplete_months.join("、")) : null,
      h("div", {class: "cards"}, kpi("settlements", "k-settlements", int(d.totals.settlements)),
        kpi("total", "k-total", bigYuan(d.totals.total_fen), yuan(d.totals.total_fen) + (lang === "en" ? " yuan" : " 元")),
        kpi("fund", "k-fund", bigYuan(d.totals.fund_fen), yuan(d.totals.fund_fen) + (lang === "en" ? " yuan" : " 元"))),
      h("div", {id: "c-spend", class: "chart"}), h("div", {id: "c-cmi", class: "chart"}), h("h3", {}, t("alerts")), h("div", {id: "alerts"}));
    const faded = (x, v) => x.incomplete ? {value: v, itemStyle: {opacity: 0.35}} : v;
    const wan = f => +(f / 1e6).toFixed(2); // fen → 万元
    chart(document.getElementById("c-spend"), {title: {text: t("spendingWan")}, legend: {top: 25},
      xAxis: {type: "category", data: m.map(x => x.month + (x.incomplete ? "*" : ""))}, yAxis: {type: "value"}, dataZoom: [{type: "inside"}],
      series: [{name: t("inpatient"), type: "bar", stack: "a", data: m.map(x => faded(x, wan(x.inpatient_total_fen)))},
        {name: t("outpatient"), type: "bar", stack: "a", data: m.map(x => faded(x, wan(x.outpatient_total_fen)))},
        {name: t("fundpay"), type: "line", data: m.map(x => x.incomplete ? null : wan(x.fund_fen))},
        {name: t("patientpay"), type: "line", data: m.map(x => x.incomplete ? null : wan(x.patient_fen))}]},
      p => { location.hash = hrefQ("audit", {month: m[p.dataIndex].month, hospital: q.get("hospital")}); });
    const inc = new Set(d.incomplete_months || []);
    const cmi = (d.cmi || []).filter(x => !inc.has(x.month) && (!params.get("year") || x.month.startsWith(params.get("year"))));
    chart(document.getElementById("c-cmi"), {title: {text: t("cmi")}, xAxis: {type: "category", data: cmi.map(x => x.month)},
      yAxis: {type: "value", scale: true}, series: [{name: t("cmiLine"), type: "line", data: cmi.map(x => +x.cmi.toFixed(4))}]});
    const al = document.getElementById("alerts");
    // When the fund monitor runs (issue 18), its alerts replace the overview's simple ones:
    // its reserve rule reads the fund's real books, its DRG rule tests the change. The new
    // ones are listed, each linked to what it is about; the inbox acknowledges and resolves.
    const mon = await api("/api/alerts").catch(e => { if (e.message === "login") throw e; return {alerts: []}; });
    if ((mon.alerts || []).length) {
      const fresh = mon.alerts.filter(a => a.state === "new");
      const target = a => a.scope === "drg" ? href("drg", a.subject) : a.hospital ? href("hospital", a.hospital) : bureau ? "#/fund" : "#/alerts";
      al.append(h("details", {class: "alert monitor " + (fresh.some(a => a.severity === "red") ? "red" : "yellow"), open: true, id: "monitor-alerts"},
        h("summary", {}, t("inbox"), `（${int(fresh.length)}）`),
        fresh.length ? h("ul", {}, fresh.slice(0, 10).map(a => h("li", {}, h("span", {class: "dot " + a.severity, "aria-hidden": "true"}), " ",
          h("a", {href: target(a)}, a.period, " ", lang === "en" ? a.message_en : a.message_zh)))) : h("p", {class: "empty"}, t("noneAlerts")),
        h("p", {}, h("a", {href: "#/alerts", id: "to-inbox"}, t("inbox"), " →"))));
      return;
    }
    if (!(d.alerts || []).length) al.append(h("p", {class: "empty"}, t("noneAlerts")));
    for (const g of d.alerts || []) {
      const items = g.items.map(it => {
        const link = it.link === "drg" ? href("drg", it.arg) : hrefQ("audit", {month: it.month});
        return h("li", {}, h("a", {href: link}, lang === "en" ? it.en : it.zh));
      });
      al.append(h("details", {class: "alert " + g.level, open: g === d.alerts[0] ? true : null, "data-kind": g.kind},
        h("summary", {}, h("span", {class: "dot " + g.level, "aria-hidden": "true"}), " ", lang === "en" ? g.en : g.zh, `（${int(g.count)}）`), h("ul", {}, items)));
    }
  },

  async hospitals(arg, params) {
    const g = grid("hospitals", "/api/hospitals", params, {pass: ["period", "peer_group"], onload: (d, extra) => {
      if (extra.childElementCount) return;
      extra.append(selector("sel-period", "evalPeriod", "period", params, (d.periods || []).map(p => [p, p]), "latest"),
        selector("sel-peer", "peer", "peer_group", params, (d.peer_groups || []).map(p => [p.id, lang === "en" ? p.en : p.zh]), "allPeers"));
      document.getElementById("h-period").textContent = d.period ? `（${d.period}）` : "";
    }});
    show(h("h2", {}, t("nav.hospitals"), h("span", {id: "h-period"})), g);
    await g.load();
  },

  async hospital(code) {
    const d = await api("/api/hospitals/" + encodeURIComponent(code));
    const ev = d.evaluation || {};
    const s = d.settlement;
    const card = (k, v, id) => h("div", {class: "card"}, h("div", {}, k), h("div", {class: "v", id: id}, v));
    show(
      h("h2", {id: "h-name"}, d.name || code, " ", h("small", {}, d.code), " ", h("small", {}, pair([d.level_zh, d.level_en]), " ", pair([d.type_zh, d.type_en]))),
      h("div", {class: "cards"}, card(t("score") + (d.evaluation_period ? `（${d.evaluation_period}）` : ""), ev.score != null ? ev.score.toFixed(2) : "-", "h-score"),
        card(t("grade"), pair([d.grade_zh, d.grade_en]) || "-", "h-grade"),
        card(t("rank"), `${ev.rank || "-"} / ${ev.peer_size || "-"}`, "h-rank"), card(t("peer"), pair([d.peer_group_zh, d.peer_group_en]) || "-", "h-peer"),
        s ? h("div", {class: "card"}, h("div", {}, t("payment"), " / ", t("cost")), h("div", {class: "v", id: "h-pay"}, bigYuan(s.payment_fen), " / ", bigYuan(s.cost_fen)),
          h("div", {}, t("settled"), " ", bigYuan(s.settled_fen))) : null),
      d.peer_note ? h("p", {class: "incomplete", id: "h-peer-note"}, t("peer"), "：", d.peer_note) : null,
      h("p", {}, h("a", {href: "/api/hospitals/" + encodeURIComponent(d.code) + "/report", target: "_blank", rel: "noopener"}, t("report")), " · ",
        h("a", {href: hrefQ("audit", {hospital: d.code})}, t("findings")), " · ", h("a", {href: hrefQ("drgs", {hospital: d.code})}, t("drg"))),
      h("div", {id: "c-trend", class: "chart"}), h("div", {id: "c-ind", class: "chart"}), h("div", {id: "c-mix", class: "chart"}),
      h("h3", {}, t("indicators")), staticTable("indicators", d.indicators), h("h3", {}, t("coef")), staticTable("coefs", d.coefficients),
      h("h3", {}, t("findings")), staticTable("hfind", d.findings));
    const m = d.months || [];
    chart(document.getElementById("c-trend"), {title: {text: t("spending")}, xAxis: {type: "category", data: m.map(x => x.month)},
      yAxis: {type: "value"}, series: [{type: "bar", name: t("inpatient"), data: m.map(x => x.inpatient_total_fen / 100)}]});
    const tr = d.trend || [];
    const names = d.indicator_names || {};
    const keys = ["cmi", "cost_index_routine", "time_index_routine", "findings_per_100"].filter(k => tr.some(x => k in x.values));
    chart(document.getElementById("c-ind"), {title: {text: t("trend")}, legend: {top: 25, type: "scroll"},
      xAxis: {type: "category", data: tr.map(x => x.period)}, yAxis: [{type: "value", name: t("score"), min: 0, max: 100}, {type: "value", scale: true}],
      series: [{name: t("score"), type: "bar", data: tr.map(x => +x.score.toFixed(2))}].concat(
        keys.map(k => ({name: pair(names[k]) || k, type: "line", yAxisIndex: 1, data: tr.map(x => +(x.values[k] || 0).toFixed(3))})))});
    const mix = d.drg_mix || [];
    chart(document.getElementById("c-mix"), {title: {text: t("drgmix")}, tooltip: {trigger: "item"},
      series: [{type: "pie", radius: "60%", data: mix.map(x => ({name: x.drg + " " + (x.drg_name || ""), value: x.cases, drg: x.drg}))}]},
      p => { location.hash = href("drg", p.data.drg); });
  },

  async drgs(arg, params) {
    const bureau = me.role !== "hospital";
    const dip = params.get("scheme") === "dip";
    const g = grid("drgs", "/api/drgs", params, {pass: ["scheme", "hospital"], onload: (d, extra) => {
      if (!extra.childElementCount) {
        extra.append((d.schemes || []).includes("dip") ? selector("sel-scheme", "scheme", "scheme", params, [["dip", "DIP"]], "drg") : "",
          bureau ? selector("sel-hospital", "hospital", "hospital", params, hospitalOptions(), "allHospitals") : null);
        document.getElementById("d-period").textContent = d.period ? `（${d.period}）` : "";
      }
      const top = d.rows.slice(0, 25);
      const key = x => dip ? (x.dip_group || x.hospital) : x.drg;
      const nm = x => dip ? (x.dip_group || x.hospital + " " + (x.hospital_name || "")) : x.drg + " " + (x.drg_name || "");
      chart(document.getElementById("c-drg"), {title: {text: t("cases")}, tooltip: {trigger: "item"},
        xAxis: {type: "category", data: top.map(key), axisLabel: {rotate: 30}},
        yAxis: {type: "value"}, series: [{type: "bar", name: t("cases"), data: top.map(x => ({value: x.cases, name: nm(x)}))}]},
        dip ? null : p => { location.hash = href("drg", top[p.dataIndex].drg); });
    }});
    show(h("h2", {}, dip ? t("dip") : t("drg"), h("span", {id: "d-period"})), h("div", {id: "c-drg", class: "chart"}), g);
    await g.load();
    const dp = await dipPanel();
    if (dp) app.append(dp);
  },

  async drg(code, params) {
    const bureau = me.role !== "hospital";
    const g = grid("drgcases", "/api/drgs/" + encodeURIComponent(code) + "/cases", params, {pass: ["hospital"], onload: (d, extra) => {
      if (extra.childElementCount) return;
      document.getElementById("drg-name").textContent = d.drg_name || "";
      if (bureau) extra.append(selector("sel-hospital", "hospital", "hospital", params, hospitalOptions(), "allHospitals"));
    }});
    show(h("h2", {}, h("span", {id: "drg-code"}, code), " ", h("span", {id: "drg-name"})), g);
    await g.load();
  },

  async audit(arg, params) {
    const bureau = me.role !== "hospital";
    if (params.get("id")) { await findingPage(params.get("id")); return; }
    const sq = new URLSearchParams();
    if (params.get("hospital")) sq.set("hospital", params.get("hospital"));
    const [s, months] = await Promise.all([api("/api/audit/summary?by=category&" + sq.toString()), api("/api/audit/summary?by=month&" + sq.toString())]);
    const cats = Object.entries((labels && labels.categories) || {}).map(([k, v]) => [k, pair(v)]);
    const statuses = Object.entries((labels && labels.statuses) || {}).map(([k, v]) => [k, pair(v)]);
    const sevs = Object.entries((labels && labels.severities) || {}).map(([k, v]) => [k, pair(v)]);
    const sels = h("div", {class: "selectors"}, selector("sel-category", "category", "category", params, cats, "allCategories"),
      selector("sel-status", "status", "status", params, statuses, "allStatuses"), selector("sel-severity", "severity", "severity", params, sevs, "allSeverities"),
      selector("sel-month", "month", "month", params, months.rows.filter(x => x.key).map(x => [x.key, x.key]), "allMonths"),
      bureau ? selector("sel-hospital", "hospital", "hospital", params, hospitalOptions(), "allHospitals") : null);
    const bulk = h("div", {class: "bulk"});
    if (!bureau) sels.append(h("a", {href: hrefQ("audit", {appealable: "1"}), id: "only-appealable"}, t("onlyAppealable")));
    const g = grid("findings", "/api/audit/findings", params, {limit: 25, pass: ["hospital", "category", "rule", "month", "status", "severity", "appealable"],
      rowClass: r => "status-" + r.status,
      actions: r => {
        const out = [];
        if (bureau && r.status === "open") {
          out.push(h("button", {type: "button", "data-review": "confirm", "data-id": r.id, onclick: () => reviewOne(r, "confirm")}, t("confirm")),
            h("button", {type: "button", "data-review": "dismiss", "data-id": r.id, onclick: () => reviewOne(r, "dismiss")}, t("dismiss")));
        }
        if (!bureau && r.appealable) out.push(h("button", {type: "button", "data-appeal": r.id, onclick: () => appealFinding(r)}, t("appeal")));
        return out;
      },
      onload: d => {
        bulk.replaceChildren();
        if (!bureau) return;
        const open = params.get("status") === "open" || !params.get("status");
        if (!open || !d.total) return;
        bulk.append(h("button", {type: "button", id: "bulk-confirm", onclick: () => reviewBulk("confirm")}, t("bulkConfirm")),
          h("button", {type: "button", id: "bulk-dismiss", onclick: () => reviewBulk("dismiss")}, t("bulkDismiss")));
      }});
    async function reviewOne(r, action) {
      const v = await dialog(t("reviewTitle", {act: t(action), id: r.id}) + "：" + (lang === "en" ? r.evidence_en : r.evidence_zh), t("reason"));
      if (!v) return;
      try {
        await api(`/api/findings/${encodeURIComponent(r.id)}/review`, {method: "POST", body: JSON.stringify({action: action, why: v.why})});
        await g.load(); refreshQueues();
      } catch (e) { showError(e); }
    }
    async function reviewBulk(action) {
      // Only open findings are reviewed: count them under the same filters first.
      const st = g.state;
      const fq = g.query({status: "open", limit: 1});
      const c = await api("/api/audit/findings?" + fq.toString());
      const v = await dialog(t("bulkTitle", {act: t(action), n: int(c.total)}), t("reason"));
      if (!v) return;
      const filter = {};
      for (const k of ["hospital", "category", "rule", "month", "severity"]) if (params.get(k)) filter[k] = params.get(k);
      if (st.q) filter.q = st.q;
      try {
        const res = await api("/api/findings/review", {method: "POST", body: JSON.stringify({action: action, why: v.why, filter: filter, expect: c.total})});
        notice(t("done", {n: int(res.changed)}));
        await g.load(); refreshQueues();
      } catch (e) { showError(e); }
    }
    show(h("h2", {}, t("nav.audit")), sels, h("div", {id: "c-audit", class: "chart"}), bulk, g);
    chart(document.getElementById("c-audit"), {title: {text: t("count")}, xAxis: {type: "category", data: s.rows.map(x => lang === "en" ? x.en : x.zh), axisLabel: {rotate: 30}},
      yAxis: {type: "value"}, series: [{type: "bar", name: t("count"), data: s.rows.map(x => x.count)}]},
      p => setParam("category", s.rows[p.dataIndex].key));
    await g.load();
  },

  async settlement(id) {
    const d = await api("/api/settlements/" + encodeURIComponent(id));
    const s = d.settlement, fs = (d.findings && d.findings.rows) || [];
    const viol = new Set(fs.map(f => f.feedetl_sn).filter(Boolean));
    const rel = new Set(fs.flatMap(f => String(f.related || "").split(",").filter(Boolean)));
    const rows = (list, cols, cls) => list && list.length ? h("table", {id: cls.id}, h("thead", {}, h("tr", {}, cols.map(c => h("th", {}, t(c[0]))))),
      h("tbody", {}, list.map(r => h("tr", {class: cls.row ? cls.row(r) : null}, cols.map(c => h("td", {class: c[2] ? "num" : null}, c[1](r))))))) : h("p", {class: "empty"}, t("empty"));
    const g = d.grouping || {};
    show(h("h2", {id: "s-id"}, s.ID),
      h("p", {}, h("a", {href: href("hospital", s.Hospital)}, s.Hospital, " ", d.hospital_name || ""), " · ",
        String(s.Admission || "").slice(0, 10), " → ", String(s.Discharge || "").slice(0, 10), " · ", t("los"), " ", String(s.LOS), " · ",
        g.DRG ? h("a", {href: href("drg", g.DRG)}, g.DRG, " ", g.DRGName || "") : "", " · ", t("total"), " ", h("b", {id: "s-total"}, yuan(s.Pay.Total)), lang === "en" ? " yuan" : " 元"),
      h("h3", {}, t("findings")), staticTable("sfind", d.findings),
      h("h3", {}, t("diagnoses")), rows(s.Diagnoses, [["code", r => r.Code], ["name", r => r.Name], ["principal", r => r.Principal ? t("yes") : t("no")]], {id: "sdx"}),
      h("h3", {}, t("procedures")), rows(s.Procedures, [["code", r => r.Code], ["name", r => r.Name], ["principal", r => r.Principal ? t("yes") : t("no")], ["operator", r => r.Operator]], {id: "spx"}),
      h("h3", {}, t("fees")), rows(s.Fees, [["serial", r => r.Serial], ["time", r => String(r.Time).slice(0, 16).replace("T", " ")], ["item", r => r.ListCode], ["name", r => r.Name],
        ["category", r => r.Category + " " + lab("charge_categories", r.Category)], ["qty", r => String(r.Qty / 1e6), 1], ["price", r => (r.Price / 1e6).toFixed(2), 1], ["amount", r => yuan(r.Amount), 1]],
        {id: "slines", row: r => viol.has(r.Serial) ? "violating" : rel.has(r.Serial) ? "related" : null}));
    app.append(await ledgerPanel("settlement", s.ID));
  },

  async linkage(arg, params) {
    const bureau = me.role !== "hospital";
    const adj = grid("adjust", "/api/linkage", params, {prefix: "a_"});
    const counts = h("div", {class: "tabs", id: "appeal-tabs"});
    const ap = grid("appeals", "/api/appeals", params, {pass: ["state"], prefix: "p_",
      actions: r => [bureau && r.pending ? h("button", {type: "button", "data-decide": r.id, onclick: () => decide(r)}, t("decide")) : null,
        h("button", {type: "button", "data-ledger": r.id, onclick: async () => {
          try { const old = document.getElementById("ledger"); if (old) old.remove(); const p = await ledgerPanel("appeal", String(r.id)); ap.after(p); p.scrollIntoView(); } catch (e) { showError(e); }
        }}, t("showLedger"))],
      onload: d => {
        const c = d.counts || {};
        const tab = (state, text) => h("a", {href: "#", class: (params.get("state") || "") === state ? "active" : null, "data-state": state,
          onclick: e => { e.preventDefault(); setParam("state", state); }}, text, ` (${int(state ? c[state] || 0 : Object.entries(c).filter(([k]) => k !== "pending").reduce((a, [, v]) => a + v, 0))})`);
        counts.replaceChildren(tab("", t("all")), tab("pending", t("pending")), ...["upheld", "rejected", "expired"].map(s => tab(s, lab("appeal_states", s))));
      }});
    async function decide(r) {
      const v = await dialog(t("decideTitle", {id: r.id}) + "：" + (lang === "en" ? r.target_en : r.target_zh), t("reason"), [["uphold", t("uphold")], ["reject", t("reject")]],
        `${r.hospital} ${r.hospital_name || ""}：${r.reason}`);
      if (!v) return;
      try {
        await api(`/api/appeals/${encodeURIComponent(r.id)}/decision`, {method: "POST", body: JSON.stringify({uphold: v.choice === "uphold", why: v.why})});
        await ap.load(); refreshQueues();
      } catch (e) { showError(e); }
    }
    const form = h("form", {id: "appeal-form", hidden: bureau ? true : null});
    show(h("h2", {}, t("nav.linkage")), h("h3", {}, t("adjustments")), adj, h("h3", {}, t("appeals")), counts, ap, form);
    const [la] = await Promise.all([adj.load(), ap.load()]);
    if (!bureau) {
      const runs = (la.rows || []).filter(r => r.hospital === me.hospital);
      const target = h("select", {id: "appeal-target"}, runs.map(r => h("option", {value: `adjustment:${r.run}:${r.hospital}`}, `${r.period} · ${r.run}`)));
      const reason = h("textarea", {id: "appeal-reason", rows: 2, placeholder: t("appealGrounds"), required: true, maxlength: 2000});
      const msg = h("span", {id: "appeal-msg", class: "error", role: "alert"});
      form.replaceChildren(h("h3", {}, t("fileAdj")), target, reason, h("button", {type: "submit"}, t("file")), msg);
      form.addEventListener("submit", async e => {
        e.preventDefault();
        try {
          await api("/api/appeals", {method: "POST", body: JSON.stringify({target: target.value, reason: reason.value})});
          reason.value = ""; msg.textContent = ""; await ap.load();
        } catch (err) { msg.textContent = err.message; }
      });
    }
  },

  async simulation() {
    const s = await api("/api/scenarios");
    const sel = h("select", {id: "scn"}, s.scenarios.map(x => h("option", {value: x}, x)));
    const out = h("div", {id: "sim"});
    show(h("h2", {}, t("nav.simulation")), h("label", {class: "selector"}, t("scenario"), " ", sel),
      h("button", {id: "run", type: "button", onclick: run}, t("run")), h("div", {id: "sim-total"}), h("div", {id: "c-sim", class: "chart"}), out);
    async function run() {
      const d = await api("/api/simulate?scenario=" + encodeURIComponent(sel.value));
      document.getElementById("sim-total").textContent = `${t("diff")}: ${bigYuan(d.total.fund_outlay_diff_fen || 0)}`;
      const hs = d.by_hospital || [];
      const name = c => c + " " + lab("hospitals", c);
      chart(document.getElementById("c-sim"), {tooltip: {trigger: "item"}, xAxis: {type: "category", data: hs.map(x => x.key), axisLabel: {rotate: 45}}, yAxis: {type: "value"},
        series: [{type: "bar", name: t("diff"), data: hs.map(x => ({value: (x.fund_outlay_diff_fen || 0) / 100, name: name(x.key)}))}]},
        p => { location.hash = href("hospital", hs[p.dataIndex].key); });
      out.replaceChildren(h("table", {id: "simhosp"}, h("thead", {}, h("tr", {}, [t("hospital"), t("baseCol"), t("scenCol"), t("diffCol")].map((x, i) => h("th", {class: i ? "num" : null}, x)))),
        h("tbody", {}, hs.map(x => h("tr", {}, h("td", {}, h("a", {href: href("hospital", x.key)}, name(x.key))),
          h("td", {class: "num"}, yuan(x.baseline_fund_outlay_fen || 0)), h("td", {class: "num"}, yuan(x.scenario_fund_outlay_fen || 0)),
          h("td", {class: "num"}, yuan(x.fund_outlay_diff_fen || 0)))))));
    }
  },
};

Object.assign(pages, morePages); // pages2.js

// findingPage shows one finding with its review history.
async function findingPage(id) {
  const d = await api("/api/findings/" + encodeURIComponent(id));
  const f = d.finding;
  show(h("h2", {id: "f-id"}, t("findings"), " #", String(f.id)),
    h("p", {}, h("a", {href: href("settlement", f.setl_id)}, f.setl_id), " · ", f.hospital, " ", f.hospital_name || "", " · ", pair([f.category_zh, f.category_en]),
      " · ", pair([f.status_zh, f.status_en]), " · ", yuan(f.amount_fen), lang === "en" ? " yuan" : " 元"),
    h("p", {}, lang === "en" ? f.evidence_en : f.evidence_zh),
    h("h3", {}, t("reviewed")), h("ul", {id: "f-history"}, d.history.map(x => h("li", {}, new Date(x.at * 1000).toISOString().slice(0, 16).replace("T", " "), " ",
      x.actor, "：", lab("statuses", x.from), " → ", lab("statuses", x.to), "（", x.why, "）"))));
  app.append(await ledgerPanel("finding", String(f.id)));
}

async function appealFinding(r) {
  const v = await dialog(t("appealFinding", {id: r.id}) + "：" + (lang === "en" ? r.evidence_en : r.evidence_zh), t("appealGrounds"));
  if (!v) return;
  try {
    await api("/api/appeals", {method: "POST", body: JSON.stringify({target: "finding:" + r.id, reason: v.why})});
    route();
  } catch (e) { showError(e); }
}

function loginForm(msg) {
  const u = h("input", {id: "u", placeholder: t("username"), autocomplete: "username", "aria-label": t("username")});
  const p = h("input", {id: "p", type: "password", placeholder: t("password"), autocomplete: "current-password", "aria-label": t("password")});
  const err = h("div", {class: "error", id: "login-msg", role: "alert"}, msg || "");
  const form = h("form", {class: "login", id: "login"}, h("h3", {}, t("login")), u, p, h("button", {type: "submit"}, t("login")), err);
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  app.dataset.page = "login";
  show(form);
  u.focus();
  form.addEventListener("submit", async e => {
    e.preventDefault();
    err.textContent = "";
    try {
      me = await api("/api/login", {method: "POST", body: JSON.stringify({username: u.value, password: p.value})});
      location.hash = me.role === "hospital" ? href("hospital", me.hospital) : "#/overview";
      route();
    } catch (x) {
      // Say what happened; keep the user name, clear only the password.
      p.value = "";
      err.textContent = loginMessage(x);
      err.dataset.code = x.code || (x.status === 429 ? "locked" : x.status === 401 ? "wrong_credentials" : "");
      p.focus();
    }
  });
}

function loginMessage(x) {
  const wait = s => s >= 90 ? t("minutes", {n: Math.ceil(s / 60)}) : t("seconds", {n: Math.max(1, Math.ceil(s))});
  switch (x.code || (x.status === 429 ? "locked" : x.status === 401 ? "wrong_credentials" : "")) {
    case "wrong_credentials": return t("wrong");
    case "locked": return t("locked", {t: wait(x.retryAfter || 300)});
    case "expired": return t("expired");
    case "disabled": return t("disabled");
    case "too_many_attempts": return t("tooMany", {t: wait(x.retryAfter || 900)});
  }
  return x.message;
}

// Routes run one after another: a page that is still loading never overwrites the page the
// user asked for next.
let routing = Promise.resolve();
function route() {
  routing = routing.then(renderRoute, renderRoute);
  return routing;
}

async function renderRoute() {
  if (!me) { try { const r = await fetch("/api/me"); me = r.ok ? await r.json() : null; if (me && !me.role) me = null; } catch { me = null; } }
  translate();
  if (!me) return loginForm();
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  // Pages a role may not open are not offered (the API refuses them anyway).
  document.querySelectorAll(".bureau").forEach(el => { el.hidden = me.role === "hospital"; });
  document.querySelectorAll(".admin").forEach(el => { el.hidden = me.role !== "admin"; });
  if (!labels || labels.lang !== lang) { labels = await api("/api/labels").catch(() => ({})); labels.lang = lang; }
  const role = {admin: ["医保局管理员", "bureau admin"], analyst: ["医保局分析员", "bureau analyst"], hospital: ["医院医保办", "hospital"]}[me.role];
  document.getElementById("who").textContent = `${me.username}（${pair(role) || me.role}${me.hospital ? " " + me.hospital + " " + lab("hospitals", me.hospital) : ""}）`;
  const [path, query] = (location.hash.slice(2) || "overview").split("?");
  const [name, arg] = path.split("/");
  const page = pages[name] ? name : "overview";
  document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.getAttribute("href") === "#/" + page));
  app.dataset.page = "loading";
  show(h("p", {class: "loading", role: "status"}, t("loading")));
  let shown = page;
  try {
    await pages[page](arg ? decodeURIComponent(arg) : "", new URLSearchParams(query || ""));
  } catch (e) {
    if (e.message === "login") return;
    shown = e.status === 404 ? "notfound" : "error";
    show(h("p", {class: e.status === 404 ? "error not-found" : "error"}, e.status === 404 ? t("notFound") + (arg ? decodeURIComponent(arg) : name) : e.message));
  }
  app.dataset.page = shown;
  refreshQueues();
}

document.getElementById("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("lang", lang); route(); });
document.getElementById("logout").addEventListener("click", async () => {
  try { await api("/api/logout", {method: "POST"}); } catch (e) { /* the session may have ended already */ }
  me = null; labels = null; history.replaceState(null, "", "#/"); route();
});
window.addEventListener("hashchange", route);
route();
