#!/usr/bin/env bash
# REGISTER with digest authentication per second: our edge (inside `office`)
# against Kamailio (Debian `kamailio`, usrloc in memory, auth_db on a text
# subscriber table), both driven by the same sipp scenario in the same run.
#
#   ./benches/register.sh [REGISTERS] [CONCURRENCY]
#
# Prints one line per server: registrations, seconds, registrations/s.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
CONC="${2:-200}"
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

# --- our edge: demo users, served on free ports --------------------------------
"$office_bin" --data-dir "$work/data" --json demo >"$work/demo.json"
edge_port=$(free_port)
"$office_bin" --data-dir "$work/data" --port 0 --sip-port "$edge_port" --no-demo --json >"$work/office.json" 2>"$work/office.log" &
pids+=($!)
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
with open(f"{w}/users.csv", "w") as f:
    f.write("SEQUENTIAL\n")
    for u in d["users"]:
        f.write(f"{u['sip_username']};[authentication username={u['sip_username']} password={u['sip_password']}]\n")
# Kamailio's subscriber table (db_text), same users and passwords.
import os
os.makedirs(f"{w}/db", exist_ok=True)
open(f"{w}/db/version", "w").write("table_name(str) table_version(int)\nsubscriber:7\nlocation:9\n")
with open(f"{w}/db/subscriber", "w") as f:
    f.write("id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)\n")
    for i, u in enumerate(d["users"], 1):
        f.write(f"{i}:{u['sip_username']}:127.0.0.1:{u['sip_password']}:::\n")
PY

# --- Kamailio -------------------------------------------------------------------
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
    if (!is_method("REGISTER")) { sl_send_reply("501", "Not Implemented"); exit; }
    if (!www_authenticate("\$td", "subscriber")) { www_challenge("\$td", "1"); exit; }
    if (!save("location")) { sl_reply_error(); }
    exit;
}
CFG
kamailio -f "$work/kamailio.cfg" -m 1024 -DD -E >"$work/kamailio.log" 2>&1 &
pids+=($!)
sleep 2

scenario="$work/register.xml"
sed 's/\[\$expect\]/200/' tests/sipp/register.xml >"$scenario"
run() {
  local name=$1 port=$2
  local start end
  start=$(date +%s.%N)
  if ! sipp "127.0.0.1:$port" -sf "$scenario" -inf "$work/users.csv" -m "$N" -l "$CONC" -r 100000 \
      -i 127.0.0.1 -p "$(free_port)" -timeout 300 -nostdin -max_recv_loops 10000 >"$work/sipp-$name.log" 2>&1; then
    echo "$name: sipp reported failed registrations (see $work/sipp-$name.log)"; tail -20 "$work/sipp-$name.log"; exit 1
  fi
  end=$(date +%s.%N)
  python3 -c "n=$N; t=$end-$start; print(f'$name: {n} REGISTER transactions with digest in {t:.2f} s = {n/t:,.0f}/s')"
}
run office-edge "$edge_port"
run kamailio "$kam_port"
