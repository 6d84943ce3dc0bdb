// 모니터링: keeps the snapshot's tables current from the tenant's event
// stream (server-sent events; the browser reconnects and resumes by itself).
(function () {
  "use strict";
  var calls = document.querySelector("#live-calls tbody");
  var devices = document.querySelector("#devices tbody");
  var since = Number(document.getElementById("live-calls").dataset.since || 0);
  var people = {};
  try { people = JSON.parse(document.getElementById("people").textContent); } catch (x) { people = {}; }
  var STATE = { ringing: "연결 중", ivr: "ARS", queued: "대기 중", talking: "통화 중", held: "보류" };
  var DIRECTION = { outgoing: "발신", incoming: "수신", missed: "수신", voicemail: "음성사서함", internal: "내선" };

  function text(el, value) { el.textContent = value == null ? "" : String(value); }
  function party(td, p) {
    td.textContent = "";
    var n = document.createElement("span");
    n.className = "num";
    text(n, p.number);
    td.appendChild(n);
    if (p.name) td.appendChild(document.createTextNode(" " + p.name));
  }
  function counts() {
    text(document.getElementById("call-count"), calls.rows.length);
    text(document.getElementById("device-count"), devices.rows.length);
    document.getElementById("no-calls").hidden = calls.rows.length > 0;
  }
  function row(id) { return calls.querySelector('tr[data-call="' + CSS.escape(id) + '"]'); }
  function upsert(call, state) {
    var tr = row(call.call_id);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.call = call.call_id;
      ["direction", "caller", "callee", "state", "duration", "quality"].forEach(function (c) {
        var td = document.createElement("td");
        td.className = c;
        tr.appendChild(td);
      });
      text(tr.querySelector(".quality"), "-");
      calls.appendChild(tr);
    }
    tr.dataset.started = call.started_ms;
    if (call.answered_ms) tr.dataset.answered = call.answered_ms;
    text(tr.querySelector(".direction"), DIRECTION[call.direction] || call.direction);
    party(tr.querySelector(".caller"), call.caller || {});
    party(tr.querySelector(".callee"), call.callee || {});
    if (state) text(tr.querySelector(".state"), STATE[state]);
    counts();
  }
  function stateOf(call) {
    if (call.answered_ms && !call.hunt_group && !call.ivr) return "talking";
    if (call.ivr && !call.hunt_group) return "ivr";
    if (call.hunt_group && call.answered_ms) return "queued";
    return "ringing";
  }
  function device(d, on) {
    var tr = devices.querySelector('tr[data-account="' + CSS.escape(d.account) + '"][data-address="' + CSS.escape(d.source) + '"]');
    if (!on) { if (tr) tr.remove(); counts(); return; }
    if (tr) return;
    tr = document.createElement("tr");
    tr.dataset.account = d.account;
    tr.dataset.address = d.source;
    var who = people[d.account] || [d.account.slice(0, 8), "-"];
    [who[0], who[1], d.user_agent || "-", d.source + " (" + d.transport.toUpperCase() + ")", d.edge,
     new Date().toLocaleString("ko-KR")].forEach(function (v) {
      var td = document.createElement("td");
      text(td, v);
      tr.appendChild(td);
    });
    devices.appendChild(tr);
    counts();
  }
  function on(type, f) {
    source.addEventListener(type, function (m) {
      var e;
      try { e = JSON.parse(m.data); } catch (x) { return; }
      if (e.at_ms < since - 2000) return;
      f(e.data, e);
    });
  }
  var source = new EventSource("/admin/monitoring/stream");
  source.onopen = function () { text(document.getElementById("live-state"), "실시간 연결됨"); };
  source.onerror = function () { text(document.getElementById("live-state"), "다시 연결 중…"); };
  on("call.ringing", function (c) { upsert(c, stateOf(c)); });
  on("call.transferred", function (c) { upsert(c, stateOf(c)); });
  on("call.answered", function (c) { upsert(c, "talking"); });
  on("call.ivr_option", function (d) { upsert(d.call, "ivr"); });
  on("call.queued", function (d) { upsert(d.call, "queued"); });
  on("call.held", function (d) { upsert(d.call, "held"); });
  on("call.resumed", function (d) { upsert(d.call, "talking"); });
  // The worse party's audio, graded as the snapshot does (app::monitoring).
  function leg(q) {
    if (!q) return null;
    var expected = q.packets + q.lost;
    var loss = expected > 0 ? Math.round(q.lost * 1000 / expected) / 10 : 0;
    var jitter = q.jitter_tenth_ms / 10;
    var grade = loss < 1 && jitter < 30 ? 0 : (loss < 5 && jitter < 60 ? 1 : 2);
    return { loss: loss, jitter: jitter, grade: grade };
  }
  on("call.quality", function (d) {
    var tr = row(d.call.call_id);
    if (!tr) return;
    var w = [leg(d.caller), leg(d.callee)].filter(Boolean).sort(function (a, b) {
      return (b.grade - a.grade) || (b.loss - a.loss);
    })[0];
    var td = tr.querySelector(".quality");
    if (!w) { text(td, "-"); return; }
    td.textContent = "";
    var g = document.createElement("span");
    g.className = ["q-good", "q-fair", "q-poor"][w.grade];
    text(g, ["좋음", "보통", "나쁨"][w.grade]);
    td.appendChild(g);
    td.appendChild(document.createTextNode(" (손실 " + w.loss.toFixed(1) + "%, 지터 " + Math.round(w.jitter) + "ms)"));
  });
  on("call.ended", function (d) {
    var tr = row(d.call.call_id);
    if (tr) tr.remove();
    counts();
  });
  on("device.registered", function (d) { device(d, true); });
  on("device.unregistered", function (d) { device(d, false); });
  function mmss(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }
  setInterval(function () {
    Array.prototype.forEach.call(calls.rows, function (tr) {
      var from = Number(tr.dataset.answered || tr.dataset.started || 0);
      if (from) text(tr.querySelector(".duration"), mmss(Date.now() - from));
    });
  }, 1000);
})();
