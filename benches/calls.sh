#!/usr/bin/env bash
# Call setups per second through the edge as a B2BUA with media anchored
# (each call gets its relay port pairs, its two dialogs and its call
# record), against Kamailio as a bare stateful proxy (digest on INVITE,
# location lookup, t_relay; no media, no record-route) in the same run.
# One sipp places calls (INVITE, 407 digest, 200, ACK, BYE at once) from
# each of the tenant's users in turn (10,000 more than the demo's, see
# BENCH_USERS in sip-lib.sh) to a registered sipp callee (`-sn uas`).
#
#   ./benches/calls.sh [CALLS] [CONCURRENCY]
#
# Prints one line per server: calls, failed, seconds, calls/s.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
CONC="${2:-100}"
. benches/sip-lib.sh

start_office error
seed_users
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
b = d["users"][1]
line = lambda u: f"{u['sip_username']};[authentication username={u['sip_username']} password={u['sip_password']}]\n"
# Every user but the callee places calls in turn (one when BENCH_USERS=0).
callers = [u for i, u in enumerate(d["users"]) if i != 1]
open(f"{w}/caller.csv", "w").write("SEQUENTIAL\n" + "".join(line(u) for u in callers))
open(f"{w}/callee.csv", "w").write("SEQUENTIAL\n" + line(b))
open(f"{w}/callee.ext", "w").write(b["extension"])
open(f"{w}/callee.user", "w").write(b["sip_username"])
PY

# Kamailio as a bare stateful proxy: digest on INVITE, location lookup, t_relay.
start_kamailio '    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (is_method("REGISTER")) {
        if (!pv_www_authenticate("$td", "$sht(auth=>$au)", "0")) { www_challenge("$td", "1"); exit; }
        save("location"); exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    if (has_totag()) { t_relay(); exit; }
    if (is_method("INVITE")) {
        if (!pv_proxy_authenticate("$fd", "$sht(auth=>$au)", "0")) { proxy_challenge("$fd", "1"); exit; }
        consume_credentials();
    }
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    t_relay();
    exit;'

sed 's/\[\$expect\]/200/' tests/sipp/register.xml >"$work/register.xml"
run() {
  local name=$1 port=$2 dial=$3 pid=$4
  local uas_port uas_media
  uas_port=$(free_port)
  uas_media=$(free_port)
  sipp "127.0.0.1:$port" -sf "$work/register.xml" -inf "$work/callee.csv" -m 1 -i 127.0.0.1 -p "$uas_port" \
    -timeout 20 -nostdin >"$work/register-$name.log" 2>&1
  sipp -sn uas -i 127.0.0.1 -p "$uas_port" -mp "$uas_media" -nostdin -max_recv_loops 10000 -buff_size 4194304 >/dev/null 2>&1 &
  local uas_pid=$!
  pids+=("$uas_pid")
  sleep 0.5
  local start end rc=0 cpu0 cpu1
  cpu0=$(cpu "$pid")
  start=$(date +%s.%N)
  sipp "127.0.0.1:$port" -sf benches/sipp/call_uac.xml -inf "$work/caller.csv" -set dial "$dial" \
    -m "$N" -l "$CONC" -r 100000 -i 127.0.0.1 -p "$(free_port)" -mp "$(free_port)" -timeout 300 -recv_timeout 10000 -nostdin \
    -trace_err -error_file "$work/errors-$name.log" \
    -default_behaviors all,-abortunexp -max_recv_loops 10000 -buff_size 4194304 \
    -trace_stat -stf "$work/stat-$name.csv" >"$work/sipp-$name.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  cpu1=$(cpu "$pid")
  cpu_per "$name" "$cpu0" "$cpu1" "$N" call
  kill "$uas_pid" 2>/dev/null || true
  python3 - "$work/stat-$name.csv" "$name" "$N" "$start" "$end" <<'PY'
import csv, sys
path, name, n, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rows = list(csv.reader(open(path), delimiter=";"))
head, last = rows[0], rows[-1]
ok = int(last[head.index("SuccessfulCall(C)")])
failed = int(last[head.index("FailedCall(C)")])
t = end - start
print(f"{name}: {ok} calls set up and torn down ({failed} failed) in {t:.2f} s = {ok / t:,.0f} calls/s")
PY
}
run office-edge "$edge_port" "$(cat "$work/callee.ext")" "$office_pid"
run kamailio-proxy "$kam_port" "$(cat "$work/callee.user")" "$kam_pid"
