// yibao cockpit, further pages: value-based care (价值医疗), the fund (基金监测) and its alert
// inbox, evaluation (绩效评价) and technology (技术评价), the DIP settlement, the ledger
// panel (账本) and user administration. Loaded before app.js, whose helpers (h, t, api,
// grid, chart, dialog, yuan, bigYuan, lab, …) these functions call when a page opens; app.js
// merges morePages and moreT into its tables.
//
// The same discipline as app.js: DOM from createElement/textContent only, never HTML from
// data; ids shown with their names; money from integer fen.
"use strict";

const moreT = {
  "nav.value": ["价值医疗", "Value-based care"], "nav.fund": ["基金监测", "Fund"], "nav.alerts": ["预警", "Alerts"],
  "nav.evaluation": ["绩效评价", "Evaluation"], "nav.technology": ["技术评价", "Technology"], "nav.users": ["用户管理", "Users"],
  institution: ["机构", "Institution"], persons: ["签约管理人数", "Persons"], capitation: ["按人头付费（元）", "Capitation (yuan)"],
  withheld: ["质量预留（元）", "Withhold (yuan)"], qscore: ["质量得分", "Quality score"], returnShare: ["返还比例", "Returned share"],
  withholdReturned: ["预留返还（元）", "Withhold returned (yuan)"], outcome: ["结果支付（元）", "Outcome payment (yuan)"],
  expected: ["预期费用（元）", "Expected spending (yuan)"], actual: ["实际费用（元）", "Actual spending (yuan)"], savings: ["结余（元）", "Savings (yuan)"],
  shared: ["结余分享（元）", "Shared savings (yuan)"], totalPay: ["合计支付（元）", "Total paid (yuan)"], notes: ["说明", "Notes"],
  kCapitation: ["按人头付费", "Capitation"], kReturned: ["预留返还", "Withhold returned"], kOutcome: ["结果支付", "Outcome payments"],
  kShared: ["结余分享", "Shared savings"], kTotal: ["合计支付", "Total paid"], measures: ["质量指标（达标率：分子/分母）", "Measures (rate: numerator/denominator)"],
  definitions: ["指标定义与来源", "Definitions and sources"], conditions: ["病种", "Conditions"], source: ["来源", "Source"], ages: ["年龄", "Ages"],
  gaps: ["照护缺口", "Care gaps"], allInstitutions: ["全部机构", "All institutions"], measure: ["指标", "Measure"], allMeasures: ["全部指标", "All measures"],
  settlementsTab: ["机构结算", "Settlement by institution"], noRun: ["尚无结算结果", "No settlement has been run"], run2: ["结算批次", "Run"], policy: ["政策版本", "Policy"],
  balance: ["基金累计结存", "Fund balance"], reserve: ["累计结存可支付月数", "Months of reserve"], incomeGrowth: ["收入增长（12 个月）", "Income growth (12 months)"],
  spendGrowth: ["支出增长（12 个月）", "Spending growth (12 months)"], insutype: ["险种", "Fund"], booksTitle: ["累计结存可支付月数（按月）", "Months of reserve by month"],
  bandRed: ["红色预警线", "Red band"], bandYellow: ["黄色预警线", "Yellow band"], bandExcess: ["结存过多线", "Excess band"],
  forecastTitle: ["统筹基金支出预测（万元）：实线为历史，虚线为预测，阴影为 80%/95% 区间", "Fund spending forecast (10,000 yuan): history, forecast, 80%/95% intervals"],
  history: ["历史", "History"], fc: ["预测", "Forecast"], i80: ["80% 区间", "80% interval"], i95: ["95% 区间", "95% interval"],
  model: ["模型", "Model"], backtest: ["滚动回测误差", "Rolling-origin backtest"], naive: ["季节朴素法", "Seasonal naive"],
  projection: ["基金收支预测（情景）", "Projection under scenarios"], scenario2: ["情景", "Scenario"], endBalance: ["期末结存", "Closing balance"],
  endReserve: ["期末可支付月数", "Months of reserve at the end"], minReserve: ["最低可支付月数", "Lowest months of reserve"], months2: ["个月", "months"],
  lastMonth: ["最近月份", "Latest month"], noLedger: ["尚无基金收支账（运行 yibao monitor run）", "No fund ledger yet (run yibao monitor run)"],
  inbox: ["预警收件箱", "Alert inbox"], stateNew: ["新预警", "New"], stateAck: ["已确认", "Acknowledged"], stateRes: ["已处理", "Resolved"],
  acknowledge: ["确认收到", "Acknowledge"], resolve: ["标记已处理", "Resolve"], note: ["备注（必填）", "Note (required)"],
  alertTitle: ["{act}预警：{msg}", "{act} alert: {msg}"], rule: ["规则", "Rule"], level: ["级别", "Level"], value2: ["数值", "Value"], threshold: ["阈值", "Threshold"],
  seen: ["最近出现", "Last seen"], changes: ["处理记录", "History"], noAlerts: ["没有预警", "No alerts"],
  indDefs: ["评价指标（定义、分子、分母、排除、来源）", "Indicators (definition, numerator, denominator, exclusions, source)"],
  weight: ["权重", "Weight"], direction: ["方向", "Direction"], minCases: ["最少病例", "Min. cases"], definition: ["定义", "Definition"],
  numerator: ["分子", "Numerator"], denominator: ["分母", "Denominator"], exclusions: ["排除", "Exclusions"],
  runEval: ["运行评价", "Run an evaluation"], periodHint: ["期间：YYYY 或 YYYY-MM:YYYY-MM", "Period: YYYY or YYYY-MM:YYYY-MM"], running: ["正在计算评价，请稍候…", "Computing the evaluation…"],
  evalDone: ["评价完成：批次 {run}，{n} 家医院", "Evaluation done: run {run}, {n} hospitals"], composite: ["综合得分", "Composite score"],
  decomposition: ["综合得分分解（指标得分 × 权重 = 贡献）", "Composite decomposition (score × weight = contribution)"], contribution: ["贡献", "Contribution"],
  indScore: ["指标得分", "Score"], peerMedian: ["同组中位数", "Peer median"], cases2: ["病例数", "Cases"], noDataV: ["无数据", "no data"],
  facts: ["指标事实（分子、分母与病例）", "Facts (numerators, denominators, cases)"], factsOf: ["{h} 的指标事实（{p}）", "Facts of {h} ({p})"],
  role: ["角色", "Role"], roleNum: ["分子", "numerator"], roleDen: ["分母", "denominator"], roleExcl: ["排除", "excluded"],
  linkage2: ["绩效联动结果（含申诉后）", "Linkage after appeals"], coefBefore: ["原系数", "Coefficient before"], coefAfter: ["调整后系数", "Coefficient after"],
  budgetAfter: ["调整后预算（元）", "Budget after (yuan)"], why: ["理由", "Reason"], showFacts: ["查看事实", "Facts"], casesOf: ["病例（{i}）", "Cases ({i})"],
  technology: ["技术", "Technology"], region: ["全区", "Region"], alt: ["对照", "Alternatives"], techCases: ["技术病例", "Cases"], altCases: ["对照病例", "Alt. cases"],
  mlos: ["平均住院日", "Mean LOS"], mcost: ["次均费用（元）", "Mean cost (yuan)"], compl: ["并发症 %", "Complications %"], readm: ["再入院 %", "Readmission %"],
  mort: ["死亡 %", "Mortality %"], flags: ["评价", "Flags"], coefficient: ["系数", "Coefficient"], overlay: ["将写入的系数", "Coefficient overlay"],
  skipped: ["未写入", "Not written"], dipTitle: ["DIP 结算（按病种分值付费）", "DIP settlement"], pointValue: ["点值", "Point value"],
  points: ["点数", "Points"], dipAmount: ["病种分值金额（元）", "Amount (yuan)"], fundPaid: ["统筹基金支付（元）", "Fund paid (yuan)"],
  prepaid: ["预付（元）", "Prepaid (yuan)"], clearing: ["清算应付（元）", "Clearing due (yuan)"], kinds: ["病例类型", "Case kinds"], routes: ["病种类型", "Groups"],
  ledger: ["账本留痕（防篡改）", "Ledger (tamper-evident)"], verified: ["包含证明已验证", "Inclusion proof verified"], notVerified: ["包含证明未通过", "Inclusion proof FAILED"],
  keyId: ["签名密钥", "Key id"], lineage: ["数据来源（文件、SHA-256、记录、操作人）", "Lineage (file, SHA-256, record, operator)"], seq: ["序号", "Seq"],
  action: ["操作", "Action"], loadedBy: ["操作人", "Operator"], kind2: ["类型", "Kind"], ref: ["对象", "Ref"], fileCol: ["文件", "File"], record: ["记录", "Record"], loaded: ["载入时间", "Loaded"],
  noLedgerEntry: ["账本中没有此对象", "Not in the ledger"], showLedger: ["留痕", "Ledger"], version: ["版本", "Version"], batch: ["批次", "Batch"],
  users: ["用户", "Users"], role2: ["角色", "Role"], state2: ["状态", "State"], failed: ["失败次数", "Failed logins"], lockedUntil: ["锁定至", "Locked until"],
  addUser: ["新建用户", "Add a user"], create: ["创建", "Create"], pwOptional: ["密码（留空则自动生成）", "Password (empty: generated)"],
  disable: ["停用", "Disable"], enable: ["启用", "Enable"], unlock: ["解锁", "Unlock"], del: ["删除", "Delete"], setPw: ["重置密码", "Reset password"],
  changeRole: ["修改角色", "Change role"], enabled: ["正常", "active"], disabledS: ["已停用", "disabled"], newPw: ["新密码（只显示一次）：{p}", "New password (shown once): {p}"],
  confirmDel: ["删除用户 {u}？请填写理由以确认", "Delete user {u}? Give a reason to confirm"], done2: ["已完成", "Done"],
};

// Errors of the users API in words (the server's code; its own sentence as a fallback).
const userErrors = {
  bad_username: ["用户名不合规（字母、数字、._-，3–64 位）", "Bad user name (letters, digits, ._-, 3–64)"], bad_role: ["角色无效", "Unknown role"],
  bad_hospital: ["医院编码无效（医院用户必须绑定已登记的医院）", "Unknown hospital (hospital users need a registered hospital)"],
  weak_password: ["密码不符合策略", "The password does not meet the policy"], exists: ["用户名已存在", "A user of that name exists"],
  self: ["不能停用、删除或降级自己的账户", "You cannot disable, delete or demote your own account"], forbidden: ["只有管理员可以管理用户", "Only administrators manage users"],
};
function userError(e) {
  const w = userErrors[e.code];
  if (!w) return e.status === 404 ? t("notFound") : e.message;
  return pair(w) + (e.code === "weak_password" && e.message ? "：" + e.message : "");
}

const pct = v => (v === null || v === undefined || !isFinite(v)) ? null : (v * 100).toFixed(1) + "%";
const yuanU = fen => yuan(fen) + (lang === "en" ? " yuan" : " 元");
const when = s => { const d = typeof s === "number" ? new Date(s * 1000) : new Date(s); return isNaN(d) ? "" : d.toISOString().slice(0, 16).replace("T", " "); };
// nameOf reads a label that is a plain name (hospitals, DRGs) or a (zh, en) pair.
const nameOf = (table, id) => { const v = labels && labels[table] ? labels[table][id] : ""; return Array.isArray(v) ? pair(v) : (v || ""); };
const hospName = c => (c + " " + nameOf("hospitals", c)).trim();
// noData shows a missing value grey, never as best or worst.
const noData = () => h("span", {class: "nodata"}, t("noDataV"));
const kpi2 = (label, id, v, title, cls) => h("div", {class: "card " + (cls || "")}, h("div", {}, label), h("div", {class: "v", id: id, title: title || null}, v));

// table builds a small client-side table from columns [label, cell(row), numeric?].
function table(id, cols, rows, opts = {}) {
  if (!rows || !rows.length) return h("p", {class: "empty", id: id + "-empty"}, t("empty"));
  return h("table", {id: id}, h("thead", {}, h("tr", {}, cols.map(c => h("th", {class: c[2] ? "num" : null}, c[0])))),
    h("tbody", {}, rows.map(r => h("tr", {class: opts.rowClass ? opts.rowClass(r) : null, "data-key": opts.key ? opts.key(r) : null},
      cols.map(c => { const v = c[1](r); return h("td", {class: c[2] ? "num" : null}, v === null || v === undefined ? noData() : v); })))));
}

// ledgerPanel shows an object's ledger history, whether its inclusion proof verifies
// against the signed checkpoint (with the key id), and a settlement's lineage.
async function ledgerPanel(kind, ref) {
  const box = h("section", {class: "ledger", id: "ledger", "data-kind": kind}, h("h3", {}, t("ledger")));
  let d;
  try { d = await api("/api/ledger?kind=" + encodeURIComponent(kind) + "&ref=" + encodeURIComponent(ref)); } catch (e) {
    if (e.message === "login") throw e;
    box.append(h("p", {class: "empty"}, e.status === 404 ? t("noLedgerEntry") : e.message));
    return box;
  }
  if (d.proof) {
    box.append(h("p", {id: "ledger-verified", class: d.verified ? "verified" : "error", "data-verified": d.verified ? "1" : "0"},
      d.verified ? "✔ " + t("verified") : "✘ " + t("notVerified") + "：" + (d.verify_error || ""), " · ", t("keyId"), " ", h("span", {class: "code", id: "ledger-key"}, d.key_id || ""),
      " · ", t("seq"), " ", String(d.proof.entry ? d.proof.entry.seq : "")));
  }
  // Settlements are entered in batches: the batch's entry (the proof's) is the history then.
  const hist = d.history && d.history.length ? d.history : d.proof && d.proof.entry ? [d.proof.entry] : [];
  box.append(table("ledger-history", [[t("seq"), r => String(r.seq)], [t("time"), r => when(r.at)], [t("kind2"), r => r.kind], [t("action"), r => r.action],
    [t("ref"), r => r.ref]], hist));
  if (d.lineage) {
    box.append(h("h4", {}, t("lineage")), table("ledger-lineage", [[t("version"), r => String(r.version)], [t("batch"), r => String(r.batch)],
      [t("fileCol"), r => r.file], ["SHA-256", r => h("span", {class: "code hash"}, r.sha256)], [t("record"), r => String(r.record)],
      [t("loadedBy"), r => r.operator], [t("loaded"), r => when(r.loaded_at)]], d.lineage));
  }
  return box;
}

// alertInbox is the monitor's alert inbox with acknowledge/resolve (a note is required).
function alertInbox(params) {
  const box = h("div", {id: "inbox"});
  const states = [["new", t("stateNew")], ["acknowledged", t("stateAck")], ["resolved", t("stateRes")]];
  const stateName = s => (states.find(x => x[0] === s) || [s, s])[1];
  async function load() {
    const state = params.get("astate") || "";
    const d = await api("/api/alerts" + (state ? "?state=" + encodeURIComponent(state) : ""));
    const tabs = h("div", {class: "tabs", id: "alert-tabs"}, [["", t("all")]].concat(states).map(([k, v]) =>
      h("a", {href: "#", "data-state": k, class: state === k ? "active" : null, onclick: e => { e.preventDefault(); setParam("astate", k); }}, v)));
    const as = d.alerts || [];
    const act = async (a, to) => {
      const v = await dialog(t("alertTitle", {act: t(to === "acknowledged" ? "acknowledge" : "resolve"), msg: lang === "en" ? a.message_en : a.message_zh}), t("note"));
      if (!v) return;
      try {
        await api("/api/alerts/state", {method: "POST", body: JSON.stringify({key: a.key, state: to, note: v.why})});
        await load();
      } catch (e) { showError(e); }
    };
    box.replaceChildren(tabs, as.length ? h("table", {id: "alerts-table"}, h("thead", {}, h("tr", {}, [t("level"), t("period"), t("alerts"), t("value2"), t("threshold"), t("state2"), t("changes"), ""].map(x => h("th", {}, x)))),
      h("tbody", {}, as.map(a => h("tr", {"data-key": a.key, class: "alert-" + a.state},
        h("td", {}, dot(a.severity)), h("td", {}, a.period), h("td", {class: "c-evidence"}, lang === "en" ? a.message_en : a.message_zh, a.hospital ? h("div", {}, h("a", {href: href("hospital", a.hospital)}, hospName(a.hospital))) : null),
        h("td", {class: "num"}, alertValue(a, a.value)), h("td", {class: "num"}, alertValue(a, a.threshold)),
        h("td", {class: "c-state"}, stateName(a.state)),
        h("td", {class: "c-history"}, (a.history || []).map(c => h("div", {class: "small"}, when(c.at), " ", c.by, "：", stateName(c.state), c.note ? "（" + c.note + "）" : ""))),
        h("td", {class: "actions"}, a.state === "new" ? h("button", {type: "button", "data-ack": a.key, onclick: () => act(a, "acknowledged")}, t("acknowledge")) : null,
          a.state !== "resolved" ? h("button", {type: "button", "data-resolve": a.key, onclick: () => act(a, "resolved")}, t("resolve")) : null))))) :
      h("p", {class: "empty"}, t("noAlerts")));
    return d;
  }
  box.load = load;
  return box;
}

// alertValue shows a reserve rule's figures in months and the others as percentages.
const alertValue = (a, v) => /reserve/.test(a.rule) ? Number(v).toFixed(1) + (lang === "en" ? " months" : " 个月") : (Number(v) * 100).toFixed(1) + "%";

// fanChart draws history, the forecast mean and its 80%/95% intervals as stacked bands.
function fanChart(el, d) {
  const r = d.result || {}, f = r.forecast || {};
  const hist = d.history || [], per = r.periods || [];
  const x = hist.map(p => p.period).concat(per);
  const w = v => +(v / 1e6).toFixed(2); // fen → 万元
  const pad = n => new Array(n).fill(null);
  const lo95 = (f.lo95 || []).map(w), hi95 = (f.hi95 || []).map(w), lo80 = (f.lo80 || []).map(w), hi80 = (f.hi80 || []).map(w);
  const base = pad(hist.length);
  // Bands painted from the top down, each area filled to the axis: 95% high (light), 80% high
  // (dark), 80% low (light again), 95% low (white) — robust where stacked areas are not.
  const area = (name, data, color) => ({name: name, type: "line", symbol: "none", lineStyle: {width: 0}, itemStyle: {color: color}, areaStyle: {color: color, opacity: 1, origin: "start"}, data: base.concat(data), z: 1});
  return chart(el, {title: {text: t("forecastTitle")}, legend: {top: 25, data: [t("history"), t("fc"), t("i80"), t("i95")]}, xAxis: {type: "category", data: x},
    yAxis: {type: "value", scale: true}, color: ["#0d47a1", "#2e7d32", "#64b5f6", "#d6eaf8"],
    series: [
      area(t("i95"), hi95, "#d6eaf8"), area(t("i80"), hi80, "#64b5f6"), area(t("i80") + " ", lo80, "#d6eaf8"), area(t("i95") + " ", lo95, "#ffffff"),
      {name: t("history"), type: "line", z: 3, data: hist.map(p => w(p.value)).concat(pad(per.length))},
      {name: t("fc"), type: "line", z: 3, lineStyle: {type: "dashed"}, data: pad(hist.length - 1).concat(hist.length ? [w(hist[hist.length - 1].value)] : [], (f.mean || []).map(w))},
    ]});
}

const morePages = {
  async value(arg, params) {
    const d = await api("/api/value");
    if (!d.run) { show(h("h2", {}, t("nav.value")), h("p", {class: "empty", id: "v-none"}, t("noRun"))); return; }
    const insts = d.institutions || [];
    const sum = k => insts.reduce((a, x) => a + (x[k] || 0), 0);
    const defs = d.definitions || [];
    const mname = id => { const m = defs.find(x => x.id === id); return m ? (lang === "en" ? m.name_en : m.name) : id; };
    const cname = id => { const c = (d.conditions || []).find(x => x.id === id); return c ? (lang === "en" ? c.name_en : c.name) : id; };
    // Measures: institutions × measures, rate with numerator/denominator; no denominator is grey.
    const ids = defs.map(m => m.id).filter(id => (d.measures || []).some(x => x.measure === id));
    const defOf = id => defs.find(m => m.id === id) || {};
    // Rates are shares, except admissions per 1,000 persons (the engine's rate is per 1,000).
    const rateText = (id, r) => defOf(id).kind === "admissions_per_1000" ? Number(r).toFixed(1) + "‰" : pct(r);
    const byInst = {};
    for (const x of d.measures || []) (byInst[x.institution] = byInst[x.institution] || {})[x.measure] = x;
    const mrows = Object.keys(byInst).sort();
    const measureTable = mrows.length ? h("table", {id: "v-measures"}, h("thead", {}, h("tr", {}, h("th", {}, t("institution")), ids.map(id => h("th", {class: "num", title: id}, mname(id), defOf(id).inverse ? h("span", {class: "inverse", title: lang === "en" ? "lower is better" : "越低越好"}, " ↓") : "")))),
      h("tbody", {}, mrows.map(inst => h("tr", {"data-key": inst}, h("td", {}, h("a", {href: href("hospital", inst)}, hospName(inst))),
        ids.map(id => { const x = byInst[inst][id]; return !x || !x.denominator ? h("td", {class: "num"}, noData()) :
          h("td", {class: "num", title: `${x.numerator}/${x.denominator}`}, rateText(id, x.rate), h("small", {}, ` ${int(x.numerator)}/${int(x.denominator)}`)); }))))) : h("p", {class: "empty"}, t("empty"));
    const instOptions = insts.map(x => [x.institution, hospName(x.institution)]);
    const g = grid("gaps", "/api/value/gaps/table", params, {pass: ["institution", "measure"], prefix: "g_", limit: 25, file: "care-gaps", onload: (gd, extra) => {
      if (extra.childElementCount) return;
      extra.append(me.role !== "hospital" ? selector("sel-inst", "institution", "institution", params, instOptions, "allInstitutions") : "",
        selector("sel-measure", "measure", "measure", params, defs.map(m => [m.id, lang === "en" ? m.name_en : m.name]), "allMeasures"));
    }});
    show(h("h2", {}, t("nav.value"), h("small", {id: "v-period"}, ` ${d.period} · ${t("run2")} ${d.run} · ${t("policy")} ${d.policy || ""}`)),
      h("div", {class: "cards"}, kpi2(t("kCapitation"), "v-capitation", bigYuan(sum("capitation_fen")), yuanU(sum("capitation_fen"))),
        kpi2(t("kReturned"), "v-returned", bigYuan(sum("withhold_returned_fen")), yuanU(sum("withhold_returned_fen"))),
        kpi2(t("kOutcome"), "v-outcome", bigYuan(sum("outcome_payment_fen")), yuanU(sum("outcome_payment_fen"))),
        kpi2(t("kShared"), "v-shared", bigYuan(sum("shared_savings_fen")), yuanU(sum("shared_savings_fen"))),
        kpi2(t("kTotal"), "v-total", bigYuan(sum("total_fen")), yuanU(sum("total_fen")))),
      h("h3", {}, t("settlementsTab")),
      table("v-inst", [[t("institution"), r => h("a", {href: href("hospital", r.institution)}, hospName(r.institution))], [t("persons"), r => int(r.persons), 1],
        [t("capitation"), r => yuan(r.capitation_fen), 1], [t("withheld"), r => yuan(r.withheld_fen), 1], [t("qscore"), r => r.quality_score == null ? null : r.quality_score.toFixed(4), 1],
        [t("returnShare"), r => pct(r.return_share), 1], [t("withholdReturned"), r => yuan(r.withhold_returned_fen), 1], [t("outcome"), r => yuan(r.outcome_payment_fen), 1],
        [t("expected"), r => yuan(r.expected_spending_fen), 1], [t("actual"), r => yuan(r.actual_spending_fen), 1], [t("savings"), r => yuan(r.savings_fen), 1],
        [t("shared"), r => yuan(r.shared_savings_fen), 1], [t("totalPay"), r => h("b", {}, yuan(r.total_fen)), 1], [t("notes"), r => (r.notes || []).join("；")]],
        insts, {key: r => r.institution}),
      h("h3", {}, t("measures")), measureTable, h("div", {id: "c-value", class: "chart"}),
      h("h3", {}, t("gaps")), g,
      h("h3", {}, t("definitions")), table("v-defs", [[t("measure"), r => h("span", {}, h("span", {class: "code"}, r.id), " ", lang === "en" ? r.name_en : r.name)],
        [t("conditions"), r => (r.conditions || []).map(cname).join("、")], [t("ages"), r => r.min_age || r.max_age ? `${r.min_age || 0}–${r.max_age || ""}` : ""],
        [t("source"), r => r.source]], defs));
    // Rates by institution for the first measures, as bars (no denominator: left out).
    const top = ids.filter(id => defOf(id).kind !== "admissions_per_1000").slice(0, 4);
    chart(document.getElementById("c-value"), {title: {text: t("measures")}, legend: {top: 25, type: "scroll"}, tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: mrows, axisLabel: {rotate: 30}}, yAxis: {type: "value", max: 100},
      series: top.map(id => ({name: mname(id), type: "bar", data: mrows.map(i => { const x = byInst[i][id]; return x && x.denominator ? +(x.rate * 100).toFixed(1) : null; })}))});
    await g.load();
  },

  async fund(arg, params) {
    const type = params.get("insutype") || "all";
    const [b, fc, pj] = await Promise.all([api("/api/fund/books"), api("/api/forecast?horizon=12"), api("/api/fund/projection?years=3&insutype=" + encodeURIComponent(type))]);
    const inbox = alertInbox(params);
    const books = b.books || [];
    if (!books.length) { show(h("h2", {}, t("nav.fund")), h("p", {class: "empty"}, t("noLedger")), h("h3", {}, t("inbox")), inbox); await inbox.load(); return; }
    const types = [...new Set(books.map(x => x.insutype))];
    const mine = books.filter(x => x.insutype === type);
    const last = mine[mine.length - 1] || books[books.length - 1];
    const bandName = x => x.band_zh && lang !== "en" ? x.band_zh : x.band;
    const bandClass = {red: "red", yellow: "yellow", normal: "green", excess: "yellow"}[last.band] || "";
    const gr = v => v === null || v === undefined ? noData() : (v * 100).toFixed(1) + "%";
    const bk = fc.result && fc.result.backtest;
    show(h("h2", {}, t("nav.fund")),
      h("div", {class: "selectors"}, selector("sel-insutype", "insutype", "insutype", params, types.filter(x => x !== "all").map(x => [x, x + " " + ((books.find(y => y.insutype === x) || {}).name_zh || "")]), "all")),
      h("p", {class: "period"}, t("lastMonth"), "：", last.period, " · ", last.name_zh || last.insutype),
      h("div", {class: "cards"}, kpi2(t("balance"), "f-balance", bigYuan(last.closing_fen), yuanU(last.closing_fen)),
        kpi2(t("reserve"), "f-reserve", h("span", {}, last.months_of_reserve == null ? "-" : last.months_of_reserve.toFixed(1), " ", t("months2"), " ", h("span", {class: "light " + bandClass}, h("span", {class: "dot " + bandClass}), bandName(last)))),
        kpi2(t("incomeGrowth"), "f-income", gr(last.income_growth)), kpi2(t("spendGrowth"), "f-spend", gr(last.expenditure_growth), null, last.spending_outpaces_income ? "warn" : "")),
      h("div", {id: "c-reserve", class: "chart"}), h("div", {id: "c-fan", class: "chart"}),
      bk ? h("p", {id: "f-backtest", class: "period"}, t("model"), "：", fc.result.model, " · ", t("backtest"), `（${bk.origins} × ${bk.horizon}）MASE ${bk.mase.toFixed(3)}，sMAPE ${bk.smape.toFixed(1)}% · `,
        t("naive"), ` MASE ${bk.naive_mase.toFixed(3)}，sMAPE ${bk.naive_smape.toFixed(1)}%`) : null,
      h("h3", {}, t("projection")),
      table("f-proj", [[t("scenario2"), p => lang === "en" ? p.scenario.name : p.scenario.name_zh], [t("model"), p => p.model],
        [t("endBalance"), p => { const m = p.months || []; return m.length ? bigYuan(m[m.length - 1].closing_fen) : null; }, 1],
        [t("endReserve"), p => { const m = p.months || []; return m.length && m[m.length - 1].months_of_reserve != null ? m[m.length - 1].months_of_reserve.toFixed(1) : null; }, 1],
        [t("minReserve"), p => { const v = (p.months || []).map(m => m.months_of_reserve).filter(x => x != null); return v.length ? Math.min(...v).toFixed(1) : null; }, 1]],
        pj.projections || []),
      h("h3", {}, t("inbox")), inbox);
    const bands = b.bands || {};
    chart(document.getElementById("c-reserve"), {title: {text: t("booksTitle")}, legend: {top: 25}, xAxis: {type: "category", data: mine.map(x => x.period)}, yAxis: {type: "value"},
      series: [{name: t("reserve"), type: "line", data: mine.map(x => x.months_of_reserve == null ? null : +x.months_of_reserve.toFixed(2)),
        markLine: {symbol: "none", data: [{yAxis: bands.red, name: t("bandRed"), lineStyle: {color: "#c62828"}}, {yAxis: bands.yellow, name: t("bandYellow"), lineStyle: {color: "#f9a825"}},
          {yAxis: bands.excess, name: t("bandExcess"), lineStyle: {color: "#7b8794"}}]}}]});
    if (fc.found) fanChart(document.getElementById("c-fan"), fc);
    await inbox.load();
  },

  async alerts(arg, params) {
    const inbox = alertInbox(params);
    show(h("h2", {}, t("inbox")), inbox);
    await inbox.load();
  },

  async evaluation(arg, params) {
    const bureau = me.role !== "hospital";
    const period = params.get("period") || "2025";
    const [ind, lk] = await Promise.all([api("/api/evaluate/indicators"), api("/api/evaluate/linkage?period=" + encodeURIComponent(period)).catch(e => { if (e.message === "login") throw e; return {adjustments: []}; })]);
    const inds = ind.indicators || [];
    const iname = id => lab("indicators", id);
    const out = h("div", {id: "eval-result"});
    const facts = h("div", {id: "eval-facts"});
    const pin = h("input", {id: "eval-period", value: period, size: 18, "aria-label": t("periodHint"), title: t("periodHint")});
    const status = h("span", {id: "eval-status", role: "status"});
    const runBtn = h("button", {type: "button", id: "eval-run", onclick: runEval}, t("runEval"));
    async function runEval() {
      runBtn.disabled = true; status.className = "loading"; status.textContent = t("running");
      try {
        const r = await api("/api/evaluate/runs", {method: "POST", body: JSON.stringify({period: pin.value.trim()})});
        status.className = "notice"; status.textContent = t("evalDone", {run: r.run, n: (r.results || []).length});
        renderResults(r);
      } catch (e) { status.className = "error"; status.textContent = e.message === "login" ? "" : e.message; } finally { runBtn.disabled = false; }
    }
    function renderResults(r) {
      const res = r.results || [];
      const sel = h("select", {id: "eval-hospital", "aria-label": t("hospital")}, res.map(x => h("option", {value: x.hospital}, hospName(x.hospital))));
      const dec = h("div", {id: "eval-decomp"});
      const draw = () => {
        const x = res.find(y => y.hospital === sel.value) || res[0];
        if (!x) return;
        const rows = (x.indicators || []);
        const total = rows.reduce((a, i) => a + (i.contribution || 0), 0);
        dec.replaceChildren(h("p", {}, t("composite"), "：", h("b", {id: "eval-score"}, x.score != null ? x.score.toFixed(2) : "-"), " · ", t("grade"), " ", lab("grades", x.grade),
          " · ", t("rank"), ` ${x.rank || "-"} / ${x.peer_size || "-"}`, " · Σ ", total.toFixed(2)),
          table("eval-ind", [[t("indicators"), i => h("span", {}, h("span", {class: "code"}, i.id), " ", iname(i.id))], [t("value2"), i => i.value == null ? null : Number(i.value).toFixed(3), 1],
            [t("cases2"), i => i.n == null ? "-" : int(i.n), 1], [t("peerMedian"), i => i.value == null ? null : Number(i.peer_median).toFixed(3), 1], [t("indScore"), i => i.score == null ? null : i.score.toFixed(2), 1],
            [t("weight"), i => i.value == null ? null : i.weight.toFixed(4), 1], [t("contribution"), i => i.value == null ? null : (i.contribution != null ? i.contribution : i.score * i.weight).toFixed(2), 1],
            ["", i => i.light === "grey" || i.value == null ? noData() : dot(i.light)]],
            rows, {rowClass: i => i.value == null ? "grey" : null, key: i => i.id}),
          h("button", {type: "button", id: "eval-show-facts", onclick: () => showFacts(r.period || pin.value.trim(), x.hospital, "")}, t("showFacts")));
      };
      sel.addEventListener("change", draw);
      out.replaceChildren(h("h3", {}, t("decomposition")), h("label", {class: "selector"}, t("hospital"), " ", sel), dec);
      draw();
    }
    async function showFacts(p, hosp, indicator) {
      const q = new URLSearchParams({period: p, hospital: hosp});
      if (indicator) q.set("indicator", indicator);
      const d = await api("/api/evaluate/facts?" + q.toString());
      const vals = d.values || [];
      facts.replaceChildren(h("h3", {}, t("factsOf", {h: hospName(hosp), p: p})),
        table("facts-values", [[t("indicators"), v => h("a", {href: "#", "data-indicator": v.id, onclick: e => { e.preventDefault(); showFacts(p, hosp, v.id).catch(showError); }}, h("span", {class: "code"}, v.id), " ", iname(v.id))],
          [t("value2"), v => v.value == null ? null : Number(v.value).toFixed(3), 1], [t("cases2"), v => int(v.n), 1]], vals, {rowClass: v => v.value == null ? "grey" : null}),
        indicator ? h("h4", {}, t("casesOf", {i: iname(indicator)}), ` (${int(d.total || 0)})`) : null,
        indicator ? table("facts-cases", [[t("settlements"), c => h("a", {href: href("settlement", c.setl_id)}, c.setl_id)],
          [t("role"), c => ({numerator: t("roleNum"), denominator: t("roleDen"), excluded: t("roleExcl")})[c.role] || c.role], [t("notes"), c => c.note || ""]], d.cases || []) : null);
      facts.scrollIntoView();
    }
    const adj = lk.adjustments || [];
    // A hospital user sees its own stored evaluation decomposed (it does not run evaluations).
    if (!bureau) {
      const hd = await api("/api/hospitals/" + encodeURIComponent(me.hospital));
      if (hd.evaluation) { renderResults({period: hd.evaluation_period, results: [hd.evaluation]}); status.textContent = `${t("evalPeriod")}：${hd.evaluation_period}`; }
    }
    show(h("h2", {}, t("nav.evaluation")),
      h("div", {class: "selectors"}, h("label", {class: "selector"}, t("period"), " ", pin), bureau ? runBtn : h("button", {type: "button", id: "eval-facts-own", onclick: () => showFacts(pin.value.trim(), me.hospital, "").catch(showError)}, t("showFacts")), status),
      out, facts,
      h("h3", {}, t("linkage2"), adj.length ? ` （${adj[0].period}）` : ""),
      table("eval-linkage", [[t("hospital"), a => h("a", {href: href("hospital", a.hospital)}, hospName(a.hospital))], [t("grade"), a => lab("grades", a.adjustment && a.adjustment.grade)],
        [t("rank"), a => a.adjustment ? `${a.adjustment.rank} / ${a.adjustment.peer_size}` : null], [t("coefBefore"), a => a.adjustment ? a.adjustment.coef_before.toFixed(4) : null, 1],
        [t("coefAfter"), a => Number(a.coef_after).toFixed(4), 1], [t("budgetAfter"), a => yuan(a.budget_after_fen), 1], [t("why"), a => a.adjustment ? a.adjustment.reason : ""]], adj),
      h("h3", {}, t("indDefs")),
      table("eval-defs", [[t("indicators"), i => h("span", {}, h("span", {class: "code"}, i.id), " ", lang === "en" ? i.name_en : i.name_zh)], [t("weight"), i => (i.weight || 0).toFixed(2), 1],
        [t("direction"), i => i.direction === "max" ? (lang === "en" ? "higher is better" : "越高越好") : i.direction === "min" ? (lang === "en" ? "lower is better" : "越低越好") : i.direction],
        [t("minCases"), i => String(i.min_cases || ""), 1], [t("definition"), i => (i.definition || {}).definition], [t("numerator"), i => (i.definition || {}).numerator],
        [t("denominator"), i => (i.definition || {}).denominator], [t("exclusions"), i => (i.definition || {}).exclusions], [t("source"), i => (i.definition || {}).source]], inds));
  },

  async technology(arg, params) {
    const period = params.get("period") || "2025";
    const d = await api("/api/evaluate/technology?period=" + encodeURIComponent(period));
    const res = d.results || [];
    const num2 = (v, k) => v == null ? null : Number(v).toFixed(k);
    const money2 = v => v == null ? "-" : yuan(Math.round(Number(v) * 100)); // mean cost in yuan, shown with separators
    show(h("h2", {}, t("nav.technology"), h("small", {}, ` ${d.period || period} · ${d.catalogue || ""}`)),
      table("tech", [[t("technology"), r => h("span", {}, h("span", {class: "code"}, r.technology), " ", r.name)],
        [t("hospital"), r => r.hospital ? h("a", {href: href("hospital", r.hospital)}, hospName(r.hospital)) : h("b", {}, t("region"))], ["DRG", r => (r.drgs || []).map(x => h("span", {class: "code drg", title: nameOf("drgs", x)}, x))],
        [t("techCases"), r => int(r.tech.cases), 1], [t("altCases"), r => int(r.alternatives.cases), 1],
        [t("mlos"), r => `${num2(r.tech.mean_los, 2)} / ${num2(r.alternatives.mean_los, 2)}`, 1], [t("mcost"), r => `${money2(r.tech.mean_cost)} / ${money2(r.alternatives.mean_cost)}`, 1],
        [t("compl"), r => `${num2(r.tech.complication_pct, 1)} / ${num2(r.alternatives.complication_pct, 1)}`, 1], [t("readm"), r => `${num2(r.tech.readmission_pct, 1)} / ${num2(r.alternatives.readmission_pct, 1)}`, 1],
        [t("mort"), r => `${num2(r.tech.mortality_pct, 1)} / ${num2(r.alternatives.mortality_pct, 1)}`, 1], [t("flags"), r => (r.flags || []).map(f => h("span", {class: "flag"}, f))],
        [t("coefficient"), r => num2(r.coefficient, 2), 1]], res, {rowClass: r => r.hospital ? null : "region"}),
      h("p", {class: "incomplete"}, lang === "en" ? "Cells: technology / alternatives in the same DRGs." : "单元格：本技术 / 同病组对照病例。"),
      h("h3", {}, t("overlay")), table("tech-overlay", [[t("technology"), o => h("span", {}, h("span", {class: "code"}, o.id), " ", o.name)],
        ["DRG", o => (o.drgs || []).map(x => (x + " " + nameOf("drgs", x)).trim()).join("、")], [t("coefficient"), o => num2(o.coefficient, 2), 1]], d.overlay || []),
      (d.overlay_skipped || []).length ? h("div", {}, h("h4", {}, t("skipped")), h("ul", {id: "tech-skipped"}, d.overlay_skipped.map(s => h("li", {}, s)))) : null);
  },

  async users() {
    const d = await api("/api/users");
    const msg = h("div", {id: "users-msg", role: "status"});
    const say = (text, bad) => { msg.className = bad ? "notice error" : "notice"; msg.textContent = text; };
    const call = async (path, method, body, ok) => {
      try { const r = await api(path, {method: method, body: body ? JSON.stringify(body) : undefined}); say(ok ? ok(r) : t("done2")); await reload(); } catch (e) { if (e.message !== "login") say(userError(e), true); }
    };
    const roles = {admin: ["医保局管理员", "bureau admin"], analyst: ["医保局分析员", "bureau analyst"], hospital: ["医院医保办", "hospital"]};
    const roleSel = (id, v) => h("select", {id: id, "aria-label": t("role2")}, Object.entries(roles).map(([k, l]) => h("option", {value: k, selected: k === v}, pair(l))));
    const hospSel = (id, v) => h("select", {id: id, "aria-label": t("hospital")}, h("option", {value: ""}, "—"), hospitalOptions().map(o => h("option", {value: o[0], selected: o[0] === v}, o[1])));
    const u = h("input", {id: "nu-name", placeholder: t("username"), autocomplete: "off"});
    const pw = h("input", {id: "nu-pw", type: "password", placeholder: t("pwOptional"), autocomplete: "new-password"});
    const rs = roleSel("nu-role", "analyst"), hs = hospSel("nu-hospital", "");
    const pwShown = r => r.password ? t("newPw", {p: r.password}) : t("done2");
    const form = h("form", {id: "user-form", class: "selectors"}, h("b", {}, t("addUser")), u, rs, hs, pw, h("button", {type: "submit"}, t("create")));
    form.addEventListener("submit", e => { e.preventDefault(); call("/api/users", "POST", {username: u.value.trim(), role: rs.value, hospital: hs.value, password: pw.value}, pwShown); });
    const list = h("div", {id: "users-list"});
    const N = x => encodeURIComponent(x);
    function render(users) {
      list.replaceChildren(table("users", [[t("username"), x => x.username], [t("role2"), x => pair(roles[x.role]) || x.role],
        [t("hospital"), x => x.hospital ? hospName(x.hospital) : ""], [t("state2"), x => x.disabled ? t("disabledS") : t("enabled")],
        [t("failed"), x => String(x.failed_logins), 1], [t("lockedUntil"), x => x.locked_until ? when(x.locked_until) : ""],
        ["", x => h("span", {class: "actions"},
          x.disabled ? h("button", {type: "button", "data-enable": x.username, onclick: () => call(`/api/users/${N(x.username)}/enable`, "POST")}, t("enable")) :
            h("button", {type: "button", "data-disable": x.username, onclick: () => call(`/api/users/${N(x.username)}/disable`, "POST")}, t("disable")),
          x.locked_until || x.failed_logins ? h("button", {type: "button", "data-unlock": x.username, onclick: () => call(`/api/users/${N(x.username)}/unlock`, "POST")}, t("unlock")) : null,
          h("button", {type: "button", "data-password": x.username, onclick: () => call(`/api/users/${N(x.username)}/password`, "POST", {}, pwShown)}, t("setPw")),
          h("button", {type: "button", "data-role": x.username, onclick: async () => {
            const r = roleSel("dlg-role", x.role), hh = hospSel("dlg-hosp", x.hospital);
            const v = await dialog(t("changeRole") + "：" + x.username, t("reason"), null, null, [r, hh]);
            if (v) call(`/api/users/${N(x.username)}/role`, "POST", {role: r.value, hospital: hh.value});
          }}, t("changeRole")),
          h("button", {type: "button", "data-delete": x.username, onclick: async () => {
            const v = await dialog(t("confirmDel", {u: x.username}), t("reason"));
            if (v) call(`/api/users/${N(x.username)}`, "DELETE");
          }}, t("del")))]], users, {key: x => x.username, rowClass: x => x.disabled ? "disabled" : null}));
    }
    async function reload() { render((await api("/api/users")).users || []); }
    show(h("h2", {}, t("nav.users")), msg, form, list);
    render(d.users || []);
  },
};

// dipPanel shows the newest DIP settlement per hospital (a hospital user: its own line).
async function dipPanel() {
  let d;
  try { d = await api("/api/dip"); } catch (e) {
    if (e.message === "login") throw e;
    return e.status === 404 ? null : h("p", {class: "error"}, e.message);
  }
  const kinds = {normal: ["正常", "normal"], low: ["低倍率", "low"], high: ["高倍率", "high"], special_review: ["特殊病例评议", "special review"]};
  const routes = {core: ["核心病种", "core"], comprehensive: ["综合病种", "comprehensive"], "catch-all": ["兜底病种", "catch-all"]};
  const parts = (m, names) => Object.entries(m || {}).map(([k, v]) => `${pair(names[k]) || k} ${int(v)}`).join("、");
  const hs = d.hospitals || [];
  return h("section", {id: "dip"}, h("h3", {}, t("dipTitle"), ` （${d.period} · ${d.catalogue || ""} · ${d.policy || ""}）`),
    h("p", {class: "period"}, t("pointValue"), "：", h("b", {id: "dip-point"}, String(d.point_value)), lang === "en" ? " yuan per point · budget " : " 元/分 · 预算 ", bigYuan(d.budget_fen)),
    table("dip-hosp", [[t("hospital"), r => h("a", {href: href("hospital", r.hospital)}, hospName(r.hospital))], [t("cases"), r => int(r.cases), 1],
      [t("points"), r => String(r.points), 1], [t("dipAmount"), r => yuan(r.amount_fen), 1], [t("fundPaid"), r => yuan(r.fund_paid_fen), 1],
      [t("prepaid"), r => yuan(r.prepaid_fen), 1], [t("clearing"), r => yuan(r.clearing_due_fen), 1], [t("kinds"), r => parts(r.kinds, kinds)],
      [t("routes"), r => parts(r.routes, routes)], [t("grade"), r => r.grade || ""]], hs, {key: r => r.hospital}));
}
