# Shared by benches/register.sh and benches/calls.sh (source it from the
# repository root): the tools, a release `office` with demo users on free
# loopback ports, and Kamailio against the same users.
#
#   start_office [RUST_LOG]    office on $edge_port (its pid in $office_pid);
#                              demo users in $work/demo.json
#   seed_users [N]             N more active users in the demo tenant
#                              ($BENCH_USERS, default 10000), created
#                              through the API and added to demo.json, so
#                              both servers know them all
#   cpu PID / cpu_per ...      CPU seconds of a server, and per operation
#   start_kamailio ROUTE       Kamailio on $kam_port ($kam_pid): usrloc in memory,
#                              the users' passwords in an htable (digest
#                              with pv_*_authenticate), ROUTE as its
#                              request_route body
# Everything started is stopped, and $work removed (unless KEEP=1), on exit.

command -v kamailio >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio; }
command -v sipp >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester; }
OFFICE_BUILD_PROFILE="${OFFICE_BUILD_PROFILE:-release}"
if [ -n "${OFFICE_BIN:-}" ]; then
  office_bin="$OFFICE_BIN" # a prebuilt binary (say, an older commit's) to compare
else
  cargo build --profile "$OFFICE_BUILD_PROFILE" -p office >/dev/null
  office_bin="${CARGO_TARGET_DIR:-target}/$OFFICE_BUILD_PROFILE/office"
fi

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
# CPU seconds used so far by a process (all its threads) and its children
# (Kamailio's workers are child processes).
cpu() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$(awk -v t="$total" '{ printf "%.2f", t + ($14 + $15) / 100 }' "/proc/$p/stat" 2>/dev/null || echo "$total")
  done
  echo "$total"
}
# "<name>: <s> s CPU, <µs> µs per <what>" between two cpu readings.
cpu_per() { python3 -c "c=$3-$2; print(f'$1: {c:.2f} s CPU, {c * 1e6 / $4:,.0f} µs per $5')"; }
free_port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

start_office() {
  "$office_bin" --data-dir "$work/data" --json demo >"$work/demo.json"
  edge_port=$(free_port)
  if [ -n "${1:-}" ]; then export RUST_LOG="$1"; fi
  "$office_bin" --data-dir "$work/data" --port 0 --sip-port "$edge_port" --sip-tls-port 0 --no-demo --json \
    >"$work/office.json" 2>"$work/office.log" &
  office_pid=$!
  pids+=("$office_pid")
}

seed_users() {
  local n=${1:-${BENCH_USERS:-10000}}
  [ "$n" -gt 0 ] || return 0
  python3 - "$work" "$n" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
w, n = sys.argv[1], int(sys.argv[2])
d = json.load(open(f"{w}/demo.json"))
for _ in range(600):
    try:
        base = json.load(open(f"{w}/office.json"))["portal_url"].rstrip("/")
        break
    except (OSError, ValueError, KeyError):
        time.sleep(0.1)
def create(i):
    body = {"name": f"부하{i:05d}", "status": "active"}
    if i < 8000:
        body["extension"] = str(2000 + i)
    req = urllib.request.Request(f"{base}/v1/accounts", json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {d['api_key']}", "Content-Type": "application/json",
                 "Idempotency-Key": f"bench-user-{i}"})
    a = json.load(urllib.request.urlopen(req, timeout=60))
    return {"sip_username": a["sip_username"], "sip_password": a["sip_password"], "extension": a.get("extension") or ""}
t = time.time()
with ThreadPoolExecutor(16) as pool:
    d["users"] += list(pool.map(create, range(n)))
json.dump(d, open(f"{w}/demo.json", "w"))
print(f"seeded {n} more users through the API in {time.time() - t:.1f} s ({len(d['users'])} in all)")
PY
}

start_kamailio() {
  local route=$1
  python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
d = json.load(open(f"{w}/demo.json"))
os.makedirs(f"{w}/db", exist_ok=True)
open(f"{w}/db/version", "w").write("table_name(str) table_version(int)\nhtable:2\nlocation:9\n")
# Passwords in a hash table in shared memory (htable, loaded from db_text
# at start): an O(1) lookup per request, as a tuned Kamailio has. auth_db
# on db_text scans its rows, which is slow with 10,000 users.
with open(f"{w}/db/htable", "w") as f:
    f.write("id(int,auto) key_name(str) key_type(int) value_type(int) key_value(str) expires(int)\n")
    for i, u in enumerate(d["users"], 1):
        f.write(f"{i}:{u['sip_username']}:0:0:{u['sip_password']}:0\n")
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
loadmodule "htable.so"
modparam("usrloc", "db_mode", 0)
modparam("htable", "db_url", "text://$work/db")
modparam("htable", "htable", "auth=>size=14;dbtable=htable;")
request_route {
$route
}
CFG
  kamailio -f "$work/kamailio.cfg" -m 1024 -DD -E >"$work/kamailio.log" 2>&1 &
  kam_pid=$!
  pids+=("$kam_pid")
  sleep 2
}
