#!/usr/bin/env bash
# t72_rep_persist -- reputation evidence survives a restart: rgwd in a gateway namespace with
# the nftables data plane and a 3-address pool; legitimate clients behind the SLA resolver
# group `isp` (initial 0.9: OK evidence), noise from an unknown resolver (NOK evidence for its
# auto group and the host), a learned requestor subnet. Shows:
#   1. state with period transitions behind it (period 1 s) is restored after SIGTERM: period
#      counts, values, priors (a group's from the policy, neutral for learned entities);
#   2. SIGTERM then start: GET /api/v1/reputation gives identical values (save_interval and
#      period long: only the save at shutdown can carry the last evidence);
#   3. SIGKILL: with save_interval 2 s a save follows the last evidence on its own, and after
#      the kill the restored values are identical to those that save held: at most what
#      happened after the last save (one save interval) is lost.
# No phase or timing luck: periods are long where values are compared, conditions are polled
# with deadlines (bindings drained, saves counted by /api/v1/status). Root needed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
DRIVE="$TOP/tests/system/pbra_drive.py"

PUB=rgwrep$$p
GW=rgwrep$$g
PRIV=rgwrep$$s
QNUM=$((3000 + ($$ + 7) % 30000))
TABLE=rgwrep$$
RP=
SP=
# RP is timeout(1), rgwd its child: on the way out both are killed by pid
at_exit "[ -n \"\$RP\" ] && { pkill -9 -P \$RP; kill -9 \$RP; }; [ -n \"\$SP\" ] && kill \$SP; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
# public side: the SLA resolver .53, the idle SLA resolver .54, the noisy resolver .66, a client
ip -n $PUB addr add 100.64.0.53/32 dev eth0
ip -n $PUB addr add 100.64.0.54/32 dev eth0
ip -n $PUB addr add 100.64.0.66/32 dev eth0
ip -n $PUB addr add 10.10.0.5/32 dev eth0
ip -n $GW route add 10.10.0.0/24 via 100.64.0.10
ip netns exec $GW sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec $PUB sysctl -qw net.ipv4.conf.all.rp_filter=0
ip netns exec $PRIV timeout 300 socat TCP-LISTEN:80,bind=192.168.0.100,reuseaddr,fork \
	SYSTEM:'echo ok' >/dev/null 2>&1 &
SP=$!

# No TC, no CNAME, one bracket admitting everything: every query gets a binding, so the
# evidence is exactly "used" (legitimate) or "expired" (noise).
cat >"$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.133"],
  "hosts": [{"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100", "pool_limit": 100,
             "services": [{"fqdn": "test.gwa.demo"}],
             "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]}],
  "resolver_groups": [{"name": "isp", "initial_reputation": 0.9, "sla": true,
                       "nodes": ["100.64.0.53"]},
                      {"name": "isp-b", "initial_reputation": 0.9, "sla": true,
                       "nodes": ["100.64.0.54"]}],
  "admission": {"dns_tcp": false, "dns_cname": false, "dns_tcpcname": false,
                "dns_cookies": false, "log_untrusted": false,
                "unknown_resolver_groups": true,
                "load_brackets": [
                  {"load_min": 0, "load_max": 100, "fqdn_new": 0, "sfqdn_new": 0,
                   "sfqdn_reuse": 0, "math": "max"}]}
}
JSON
APORT=$((20000 + ($$ + 7) % 20000))
# conf PERIOD SAVE_INTERVAL: the same daemon and database, other reputation timers
conf() {
	cat >"$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.1.130:53
[nat]
enable = yes
table = $TABLE
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
[reputation]
period = $1
save_interval = $2
CONF
}

# start NAME: rgwd on the existing database (created and seeded on the first start)
start() {
	ip netns exec $GW timeout 300 "$RGWD" -c "$T/rgw.conf" >"$T/log.$1" 2>&1 &
	RP=$!
	wait_for 'rgwd: ready' "$T/log.$1" 20
}
# stop NAME: clean shutdown (the state is saved); the log must hold no sanitizer report
stop() {
	kill -TERM $RP 2>/dev/null
	wait $RP 2>/dev/null
	RP=
	check "$1: clean shutdown, no sanitizer report" \
		bash -c "grep -q 'rgwd: stopped' '$T/log.$1' && ! grep -qiE 'sanitizer|runtime error' '$T/log.$1'"
}
api() { ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APORT/api/v1/$1"; }
drive() { ip netns exec $PUB timeout 120 /usr/bin/python3 "$DRIVE" "$@"; }
# traffic SECONDS: legitimate clients and noise at 1:1, 4 per second each
traffic() {
	drive run 100.64.1.130 test.gwa.demo 100.64.0.53 10.10.0.5 10.10.0.0/24 100.64.0.66 \
		50 "$1" 4 >"$T/run.json" 2>"$T/run.err"
	echo "# traffic: $(cat "$T/run.json") $(head -3 "$T/run.err")"
}
# no binding left: every unused one has expired and counted
drained() { api status | jq -e '.subsystems.nat.bindings == 0' >/dev/null; }
# view FILE: what a restart must preserve, per entity (trusted/untrusted are not persisted)
view() {
	api reputation |
		jq -S '[.items[] | {kind, key, value, prior, ok, nok, periods, override, live}] |
			sort_by(.kind, .key)' >"$1"
}
ent() { jq -e --arg k "$2" ".[] | select(.key == \$k) | $3" "$1" >/dev/null; }
saves() { api status | jq '.subsystems.reputation.saves'; }
saves_above() { [ "$(saves)" -gt "$1" ] 2>/dev/null; }
# every live entity has seen at least N period transitions
all_periods_at_least() {
	api reputation | jq -e "(.items | length) == 5 and all(.items[]; .periods >= $1)" >/dev/null
}

rm -f "$T/rgw.db"
conf 1 3600
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t72 --role rw 2>/dev/null)

# ------------------------------------------------- 1. evidence with transitions, SIGTERM
check "rgwd starts (period 1 s, fresh database)" start a
traffic 3
lc=$(jq '.legit.connected' "$T/run.json")
nr=$(jq '.noise.resolved' "$T/run.json")
check "evidence: legitimate connections ($lc) and unused noise bindings ($nr)" \
	test "${lc:-0}" -gt 0 -a "${nr:-0}" -gt 0
check "every binding used or expired" poll 10 drained
check "three period transitions behind every entity" poll 10 all_periods_at_least 3
view "$T/a.json"
echo "# before SIGTERM: $(jq -c '[.[] | {key, value, periods}]' "$T/a.json")"
stop a

conf 3600 3600
check "rgwd restarts (period and save_interval 3600 s: no transition, no periodic save)" start b
view "$T/b0.json"
echo "# restored: $(jq -c '[.[] | {key, value, prior, periods}]' "$T/b0.json")"
check "restored: the five entities, live" \
	jq -e 'length == 5 and all(.[]; .live)' "$T/b0.json"
check "restored: period counts (>= 3; a fresh engine has 0 and this one transitions no more)" \
	jq -e 'all(.[]; .periods >= 3)' "$T/b0.json"
check "restored: isp above its prior 0.9 (OK evidence only)" ent "$T/b0.json" isp \
	'.value > 0.9 and .prior == 0.9'
check "restored: idle isp-b exactly at its prior 0.9" ent "$T/b0.json" isp-b \
	'.value == 0.9 and .prior == 0.9'
check "restored: the noisy auto group below neutral, prior neutral" \
	ent "$T/b0.json" resolver:100.64.0.66 '.value < 0.45 and .prior == 0.45'
check "restored: the host's view below neutral" ent "$T/b0.json" test.gwa.demo '.value < 0.45'
check "restored: the requestor above neutral" ent "$T/b0.json" 10.10.0.0/24 \
	'.value > 0.45 and .prior == 0.45'

# ------------------------------------------------- 2. SIGTERM then start: identical values
traffic 3
check "every binding used or expired" poll 10 drained
view "$T/b1.json"
check "new evidence on top of the restored state" bash -c "! cmp -s '$T/b0.json' '$T/b1.json'"
check "no periodic save ran (save_interval 3600 s)" test "$(saves)" = 0
stop b
check "rgwd restarts" start c
view "$T/c.json"
check "SIGTERM + start: GET /api/v1/reputation gives identical values" cmp "$T/b1.json" "$T/c.json"
diff "$T/b1.json" "$T/c.json" | head -20 | sed 's/^/# /'
stop c

# ------------------------------------------------- 3. SIGKILL: a save interval at most
conf 3600 2
check "rgwd starts (save_interval 2 s)" start d
traffic 3
check "every binding used or expired" poll 10 drained
view "$T/d.json"
n=$(saves)
t0=$SECONDS
# the next save starts after the view was read and nothing has happened since: it holds it
check "a periodic save follows within the deadline (saves > $n)" poll 10 saves_above "$n"
echo "# save observed within $((SECONDS - t0)) s of the last evidence (save_interval 2 s)"
view "$T/d2.json"
check "the state did not change while waiting" cmp "$T/d.json" "$T/d2.json"
check "new evidence since the last start (only a periodic save can keep it now)" \
	bash -c "! cmp -s '$T/c.json' '$T/d.json'"
RGWD_PID=$(pgrep -P $RP)
check "rgwd killed with SIGKILL (pid ${RGWD_PID:-none})" kill -9 ${RGWD_PID:-0}
wait $RP 2>/dev/null
RP=
check "rgwd restarts after SIGKILL" start e
view "$T/e.json"
check "SIGKILL + start: identical to the last save" cmp "$T/d.json" "$T/e.json"
diff "$T/d.json" "$T/e.json" | head -20 | sed 's/^/# /'
stop e
summary
