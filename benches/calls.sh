#!/usr/bin/env bash
# Call setups per second through the edge as a B2BUA with media anchored
# (each call gets its relay port pairs, its two dialogs and its call
# record), against Kamailio as a bare stateful proxy (digest on INVITE,
# location lookup, t_relay; no media, no record-route) in the same run.
# One sipp places calls (INVITE, 407 digest, 200, ACK, BYE at once) from a
# registered user to a registered sipp callee (`-sn uas`).
#
#   ./benches/calls.sh [CALLS] [CONCURRENCY]
#
# Prints one line per server: calls, failed, seconds, calls/s.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
CONC="${2:-100}"
command -v kamailio >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio; }
command -v sipp >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester; }
OFFICE_BUILD_PROFILE="${OFFICE_BUILD_PROFILE:-release}"
cargo build --profile "$OFFICE_BUILD_PROFILE" -p office >/dev/null
office_bin="target/$OFFICE_BUILD_PROFILE/office"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

"$office_bin" --data-dir "$work/data" --json demo >"$work/demo.json"
edge_port=$(free_port)
RUST_LOG=error "$office_bin" --data-dir "$work/data" --port 0 --sip-port "$edge_port" --no-demo --json >"$work/office.json" 2>"$work/office.log" &
office_pid=$!
pids+=("$office_pid")
# CPU seconds a process (and its threads) used so far.
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
a, b = d["users"][0], d["users"][1]
line = lambda u: f"{u['sip_username']};[authentication username={u['sip_username']} password={u['sip_password']}]\n"
open(f"{w}/caller.csv", "w").write("SEQUENTIAL\n" + line(a))
open(f"{w}/callee.csv", "w").write("SEQUENTIAL\n" + line(b))
open(f"{w}/callee.ext", "w").write(b["extension"])
open(f"{w}/callee.user", "w").write(b["sip_username"])
os.makedirs(f"{w}/db", exist_ok=True)
open(f"{w}/db/version", "w").write("table_name(str) table_version(int)\nsubscriber:7\nlocation:9\n")
with open(f"{w}/db/subscriber", "w") as f:
    f.write("id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)\n")
    for i, u in enumerate(d["users"], 1):
        f.write(f"{i}:{u['sip_username']}:127.0.0.1:{u['sip_password']}:::\n")
PY

kam_port=$(free_port)
cat >"$work/kamailio.cfg" <<CFG
#!KAMAILIO
listen=udp:127.0.0.1:$kam_port
children=2
log_stderror=yes
debug=0
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "db_text.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "text://$work/db")
modparam("auth_db", "calculate_ha1", 1)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "use_domain", 0)
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (is_method("REGISTER")) {
        if (!www_authenticate("\$td", "subscriber")) { www_challenge("\$td", "1"); exit; }
        save("location"); exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    if (has_totag()) { t_relay(); exit; }
    if (is_method("INVITE")) {
        if (!proxy_authenticate("\$fd", "subscriber")) { proxy_challenge("\$fd", "1"); exit; }
        consume_credentials();
    }
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    t_relay();
    exit;
}
CFG
kamailio -f "$work/kamailio.cfg" -m 1024 -DD -E >"$work/kamailio.log" 2>&1 &
pids+=($!)
sleep 2

sed 's/\[\$expect\]/200/' tests/sipp/register.xml >"$work/register.xml"
run() {
  local name=$1 port=$2 dial=$3
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
  cpu0=$(cpu "$office_pid")
  start=$(date +%s.%N)
  sipp "127.0.0.1:$port" -sf benches/sipp/call_uac.xml -inf "$work/caller.csv" -set dial "$dial" \
    -m "$N" -l "$CONC" -r 100000 -i 127.0.0.1 -p "$(free_port)" -mp "$(free_port)" -timeout 300 -recv_timeout 10000 -nostdin \
    -trace_err -error_file "$work/errors-$name.log" \
    -default_behaviors all,-abortunexp -max_recv_loops 10000 -buff_size 4194304 \
    -trace_stat -stf "$work/stat-$name.csv" >"$work/sipp-$name.log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  cpu1=$(cpu "$office_pid")
  [ "$name" = office-edge ] && echo "office-edge: $(python3 -c "print(f'{$cpu1 - $cpu0:.2f}')") s CPU in the office process"
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
run office-edge "$edge_port" "$(cat "$work/callee.ext")"
run kamailio-proxy "$kam_port" "$(cat "$work/callee.user")"
