# Shared by benches/register.sh and benches/calls.sh (source it from the
# repository root): the tools, a release `office` with demo users on free
# loopback ports, and Kamailio against the same users.
#
#   start_office [RUST_LOG]    office on $edge_port (its pid in $office_pid);
#                              demo users in $work/demo.json
#   start_kamailio ROUTE       Kamailio on $kam_port: usrloc in memory,
#                              auth_db on a db_text subscriber table of the
#                              demo users, ROUTE as its request_route body
# Everything started is stopped, and $work removed (unless KEEP=1), on exit.

command -v kamailio >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio; }
command -v sipp >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester; }
OFFICE_BUILD_PROFILE="${OFFICE_BUILD_PROFILE:-release}"
cargo build --profile "$OFFICE_BUILD_PROFILE" -p office >/dev/null
office_bin="${CARGO_TARGET_DIR:-target}/$OFFICE_BUILD_PROFILE/office"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

start_office() {
  "$office_bin" --data-dir "$work/data" --json demo >"$work/demo.json"
  edge_port=$(free_port)
  if [ -n "${1:-}" ]; then export RUST_LOG="$1"; fi
  "$office_bin" --data-dir "$work/data" --port 0 --sip-port "$edge_port" --no-demo --json \
    >"$work/office.json" 2>"$work/office.log" &
  office_pid=$!
  pids+=("$office_pid")
}

start_kamailio() {
  local route=$1
  python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
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
$route
}
CFG
  kamailio -f "$work/kamailio.cfg" -m 1024 -DD -E >"$work/kamailio.log" 2>&1 &
  pids+=($!)
  sleep 2
}
