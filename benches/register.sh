#!/usr/bin/env bash
# REGISTER with digest authentication per second: our edge (inside `office`)
# against Kamailio (Debian `kamailio`, usrloc in memory, passwords in an
# htable), both driven by the same sipp scenario in the same run, over
# $BENCH_USERS (default 10,000) more users than the demo's.
#
#   ./benches/register.sh [REGISTERS] [CONCURRENCY]
#
# Prints per server: registrations, seconds, registrations/s, and the
# server's CPU per registration. `OFFICE_BIN=path` runs a prebuilt office.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-20000}"
CONC="${2:-200}"
. benches/sip-lib.sh

# --- our edge: demo users, served on free ports --------------------------------
start_office
seed_users
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
with open(f"{w}/users.csv", "w") as f:
    f.write("SEQUENTIAL\n")
    for u in d["users"]:
        f.write(f"{u['sip_username']};[authentication username={u['sip_username']} password={u['sip_password']}]\n")
PY

# --- Kamailio: registrar only ----------------------------------------------------
start_kamailio '    if (!is_method("REGISTER")) { sl_send_reply("501", "Not Implemented"); exit; }
    if (!pv_www_authenticate("$td", "$sht(auth=>$au)", "0")) { www_challenge("$td", "1"); exit; }
    if (!save("location")) { sl_reply_error(); }
    exit;'

scenario="$work/register.xml"
sed 's/\[\$expect\]/200/' tests/sipp/register.xml >"$scenario"
run() {
  local name=$1 port=$2 pid=$3
  local start end cpu0 cpu1
  cpu0=$(cpu "$pid")
  start=$(date +%s.%N)
  if ! sipp "127.0.0.1:$port" -sf "$scenario" -inf "$work/users.csv" -m "$N" -l "$CONC" -r 100000 \
      -i 127.0.0.1 -p "$(free_port)" -timeout 300 -nostdin -max_recv_loops 10000 >"$work/sipp-$name.log" 2>&1; then
    echo "$name: sipp reported failed registrations (see $work/sipp-$name.log)"; tail -20 "$work/sipp-$name.log"; exit 1
  fi
  end=$(date +%s.%N)
  cpu1=$(cpu "$pid")
  python3 -c "n=$N; t=$end-$start; print(f'$name: {n} REGISTER transactions with digest in {t:.2f} s = {n/t:,.0f}/s')"
  cpu_per "$name" "$cpu0" "$cpu1" "$N" registration
}
run office-edge "$edge_port" "$office_pid"
run kamailio "$kam_port" "$kam_pid"
