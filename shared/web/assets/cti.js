/*
 * Office CTI screen pop. Include it on your page:
 *
 *   <script src="https://<office>/cti.js"></script>
 *   <script>
 *     const cti = OfficeCti.connect({
 *       token: "<a stream token your server got from POST /v1/cti/tokens>",
 *       onRinging(call)  { ... call.caller.number, call.caller.name, call.callId ... },
 *       onAnswered(call) { ... },
 *       onEnded(call)    { ... call.disposition, call.talkMs ... },
 *       onEvent(event)   { ... every event, as the webhooks get it ... },
 *       onState(state)   { ... "open" or "reconnecting" ... },
 *     });
 *     // cti.close() stops it.
 *   </script>
 *
 * The browser reconnects by itself after a drop and resumes after the last
 * event it had (Last-Event-ID); an event seen twice is passed on once.
 */
(function (global) {
  "use strict";
  var scriptBase = (function () {
    var s = document.currentScript;
    return s && s.src ? s.src.replace(/\/cti\.js(\?.*)?$/, "") : "";
  })();

  function callOf(event) {
    var d = event.data || {};
    var c = d.call || d;
    return {
      event: event.type,
      eventId: event.id,
      callId: c.call_id,
      direction: c.direction,
      caller: c.caller || {},
      callee: c.callee || {},
      previous: c.previous || null,
      huntGroup: c.hunt_group || null,
      startedMs: c.started_ms,
      answeredMs: c.answered_ms || null,
      disposition: d.disposition || null,
      talkMs: d.talk_ms || 0,
      at: new Date(event.at_ms),
    };
  }

  var HANDLERS = {
    "call.ringing": "onRinging",
    "call.transferred": "onRinging",
    "call.answered": "onAnswered",
    "call.ended": "onEnded",
  };

  function connect(options) {
    if (!options || !options.token) {
      throw new Error("OfficeCti.connect needs { token }");
    }
    var base = (options.base || scriptBase).replace(/\/$/, "");
    var url = base + "/v1/cti/stream?token=" + encodeURIComponent(options.token);
    var seen = {};
    var order = [];
    var source = new EventSource(url);
    function state(s) {
      if (options.onState) options.onState(s);
    }
    source.onopen = function () { state("open"); };
    source.onerror = function () { state("reconnecting"); };
    Object.keys(HANDLERS).concat([
      "call.held", "call.resumed", "call.ivr_option", "call.queued",
      "call.left_queue", "recording.ready", "device.registered", "device.unregistered",
    ]).forEach(function (type) {
      source.addEventListener(type, function (m) {
        var event;
        try { event = JSON.parse(m.data); } catch (e) { return; }
        if (seen[event.id]) return;
        seen[event.id] = true;
        order.push(event.id);
        if (order.length > 1000) delete seen[order.shift()];
        if (options.onEvent) options.onEvent(event);
        var h = HANDLERS[event.type];
        if (h && options[h]) options[h](callOf(event));
      });
    });
    return {
      close: function () { source.close(); state("closed"); },
    };
  }

  global.OfficeCti = { connect: connect };
})(window);
