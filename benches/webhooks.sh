#!/usr/bin/env bash
# Webhook delivery delay under call load (issue 13): how long a call event
# takes from the edge (the event's `at_ms`, set when the edge saw the call
# change) to an integrator's endpoint, while calls are set up at a fixed
# rate through a release `office`.
#
# A small receiver (Python's http.server, HTTP/1.1 keep-alive, one thread a
# connection) listens on 127.0.0.1, answers 200, and notes for every POSTed
# event when it arrived. It is registered with the demo tenant's API key
# (POST /v1/webhooks, events `call.*`). Then sipp places calls at RATE call
# setups per second for SECONDS seconds (the calls.sh scenario: INVITE,
# 407 digest, 200, ACK, BYE at once) from each seeded user in turn (see
# BENCH_USERS in sip-lib.sh) to a registered sipp callee (`-sn uas`, which
# answers with 180 then 200). After the load, the receiver is watched until
# nothing more arrives for QUIET seconds (default 10).
#
#   ./benches/webhooks.sh [RATE] [SECONDS]
#
# Prints calls placed, events received (by type, duplicates, calls with
# all three of ringing/answered/ended), events missing against 3 a call,
# and the delivery delay (receive time - at_ms) p50 / p99 / max. Target
# (issue 13): p99 < 1 s at 200 call setups/s. KEEP=1 keeps the work
# directory (the receiver's log is hooks.tsv there). WEBHOOK=0 registers
# no webhook: the same load without deliveries, for office's CPU alone.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-200}"
SECS="${2:-20}"
QUIET="${QUIET:-10}"
N=$((RATE * SECS))
. benches/sip-lib.sh

start_office error
seed_users
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
b = d["users"][1]
line = lambda u: f"{u['sip_username']};[authentication username={u['sip_username']} password={u['sip_password']}]\n"
callers = [u for i, u in enumerate(d["users"]) if i != 1]
open(f"{w}/caller.csv", "w").write("SEQUENTIAL\n" + "".join(line(u) for u in callers))
open(f"{w}/callee.csv", "w").write("SEQUENTIAL\n" + line(b))
open(f"{w}/callee.ext", "w").write(b["extension"])
PY

# The receiver: one line per POST (received ms, at_ms, type, call, event id).
cat >"$work/receiver.py" <<'PY'
import http.server, json, sys, threading, time
log, port_file = sys.argv[1], sys.argv[2]
out = open(log, "a", buffering=1)
lock = threading.Lock()
class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        received = time.time() * 1000
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
        try:
            e = json.loads(body)
            line = f"{received:.1f}\t{e['at_ms']}\t{e['type']}\t{e['subject']}\t{e['id']}\n"
        except (ValueError, KeyError) as err:
            line = f"{received:.1f}\t-\tunreadable\t-\t{err}\n"
        with lock:
            out.write(line)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
s = Server(("127.0.0.1", 0), Hook)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
: >"$work/hooks.tsv"
python3 "$work/receiver.py" "$work/hooks.tsv" "$work/receiver.port" &
recv_pid=$!
pids+=("$recv_pid")
for _ in $(seq 50); do [ -s "$work/receiver.port" ] && break; sleep 0.1; done
hook_port=$(cat "$work/receiver.port")

[ "${WEBHOOK:-1}" = 0 ] || python3 - "$work" "$hook_port" <<'PY'
import json, sys, urllib.request
w, port = sys.argv[1], sys.argv[2]
d = json.load(open(f"{w}/demo.json"))
base = json.load(open(f"{w}/office.json"))["portal_url"].rstrip("/")
body = {"url": f"http://127.0.0.1:{port}/hook", "events": ["call.*"]}
req = urllib.request.Request(f"{base}/v1/webhooks", json.dumps(body).encode(), method="POST",
    headers={"Authorization": f"Bearer {d['api_key']}", "Content-Type": "application/json"})
r = json.load(urllib.request.urlopen(req, timeout=30))
print(f"webhook {r['webhook']['id'] if 'webhook' in r else r.get('id')} -> {body['url']} ({', '.join(body['events'])})")
PY

sed 's/\[\$expect\]/200/' tests/sipp/register.xml >"$work/register.xml"
uas_port=$(free_port)
sipp "127.0.0.1:$edge_port" -sf "$work/register.xml" -inf "$work/callee.csv" -m 1 -i 127.0.0.1 -p "$uas_port" \
  -timeout 20 -nostdin >"$work/register.log" 2>&1
sipp -sn uas -i 127.0.0.1 -p "$uas_port" -mp "$(free_port)" -nostdin -max_recv_loops 10000 -buff_size 4194304 \
  >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

cpu0=$(cpu "$office_pid")
rcpu0=$(cpu "$recv_pid")
start=$(date +%s.%N)
rc=0
sipp "127.0.0.1:$edge_port" -sf benches/sipp/call_uac.xml -inf "$work/caller.csv" -set dial "$(cat "$work/callee.ext")" \
  -m "$N" -r "$RATE" -rp 1000 -l $((RATE * 10)) -i 127.0.0.1 -p "$(free_port)" -mp "$(free_port)" \
  -timeout $((SECS + 120)) -recv_timeout 10000 -nostdin \
  -trace_err -error_file "$work/errors.log" \
  -default_behaviors all,-abortunexp -max_recv_loops 10000 -buff_size 4194304 \
  -trace_stat -stf "$work/stat.csv" >"$work/sipp.log" 2>&1 || rc=$?
end=$(date +%s.%N)
cpu1=$(cpu "$office_pid")
[ "$rc" = 0 ] || echo "sipp exited with $rc (see $work/sipp.log, errors.log)"

# Until nothing more arrives for QUIET seconds (at most 5 minutes).
last=-1 still=0 waited=0
while [ "$still" -lt "$QUIET" ] && [ "$waited" -lt 300 ]; do
  sleep 1
  waited=$((waited + 1))
  now=$(wc -l <"$work/hooks.tsv")
  if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; last=$now; fi
done
drained=$((waited - still))
cpu2=$(cpu "$office_pid")
rcpu1=$(cpu "$recv_pid")

cpu_per "office during the load" "$cpu0" "$cpu1" "$N" call
cpu_per "office until the last delivery" "$cpu0" "$cpu2" "$N" call
echo "receiver (Python): $(python3 -c "print(f'{$rcpu1 - $rcpu0:.2f}')") s CPU"
python3 - "$work/stat.csv" "$work/hooks.tsv" "$N" "$RATE" "$start" "$end" "$drained" <<'PY'
import csv, os, sys
from collections import Counter, defaultdict
stat, hooks, n, rate, start, end, drained = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
rows = list(csv.reader(open(stat), delimiter=";"))
head, last = rows[0], rows[-1]
ok = int(last[head.index("SuccessfulCall(C)")])
failed = int(last[head.index("FailedCall(C)")])
t = end - start
print(f"calls: {ok} set up and torn down ({failed} failed) of {n} placed at {rate}/s, in {t:.1f} s = {ok / t:,.0f} calls/s")
if os.environ.get("WEBHOOK", "1") == "0":
    sys.exit()
seen, dup, delays, types = set(), 0, [], Counter()
by_call = defaultdict(set)
unreadable = 0
for line in open(hooks):
    received, at, typ, call, eid = line.rstrip("\n").split("\t")
    if at == "-":
        unreadable += 1
        continue
    if eid in seen:
        dup += 1
        continue
    seen.add(eid)
    types[typ] += 1
    by_call[call].add(typ)
    delays.append(float(received) - int(at))
delays.sort()
pct = lambda p: delays[min(len(delays) - 1, len(delays) * p // 100)] if delays else float("nan")
full = sum(1 for s in by_call.values() if {"call.ringing", "call.answered", "call.ended"} <= s)
print(f"events received: {len(seen)} distinct ({', '.join(f'{k} {v}' for k, v in sorted(types.items()))}), "
      f"{dup} duplicates, {unreadable} unreadable; {len(by_call)} calls seen, {full} with ringing+answered+ended")
expected = 3 * (ok + failed)
print(f"events lost: {max(0, expected - len(seen))} of {expected} expected (3 a call)")
print(f"delivery delay (receive - at_ms): p50 {pct(50):,.0f} ms, p99 {pct(99):,.0f} ms, max {delays[-1] if delays else float('nan'):,.0f} ms; "
      f"the last delivery came {drained} s after the load ended")
PY
[ -z "${KEEP:-}" ] || echo "kept $work"
