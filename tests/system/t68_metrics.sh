#!/usr/bin/env bash
# t68_metrics -- /metrics as Prometheus reads it: rgwd with DNS, NAT (NFQUEUE) and the API in
# three namespaces (public -- gateway -- private); after real traffic (a DNS query, a first
# packet admitted through NFQUEUE, an API write) a live scrape passes `promtool check
# metrics` (DNS, NAT, ALG, API families), its latency histograms (DNS answer, API request, policy commit, NFQUEUE verdict)
# have counted what happened, process_* metrics are there, names follow the conventions, and
# the optional token-free metrics listener serves the scrape and nothing else. Root needed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
command -v promtool > /dev/null || { echo "promtool missing (package prometheus)"; echo "0 passed, 1 failed"; exit 1; }

PUB=rgwm$$p
GW=rgwm$$g
PRIV=rgwm$$s
QNUM=$((4000 + ($$ + 3) % 30000))
TABLE=rgwm$$
RP=
SP=
at_exit "[ -n \"\$RP\" ] && kill -9 \$RP; [ -n \"\$SP\" ] && kill -9 \$SP; for n in $PUB $GW $PRIV; do ip netns pids \$n | xargs -r kill -9; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
ip netns exec $PRIV socat TCP-LISTEN:2222,bind=192.168.0.100,reuseaddr,fork SYSTEM:'echo ok' > /dev/null 2>&1 &
SP=$!
cat > "$T/bundle.json" <<'JSON'
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward", "ttl": 3600,
   "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}],
 "service_addresses": ["100.64.1.130"],
 "pool": ["100.64.1.131-100.64.1.133"],
 "hosts": [{"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
            "services": [{"fqdn": "test.gwa.demo"}],
            "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]}],
 "admission": {"dns_tcp": false, "dns_cname": false, "dns_tcpcname": false,
               "dns_cookies": false, "unknown_resolver_groups": true,
               "load_brackets": [{"load_min": 0, "load_max": 100, "fqdn_new": 0,
                                  "sfqdn_new": 0, "sfqdn_reuse": 0, "math": "max"}]}}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.1.130:53
[nat]
table = $TABLE
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
listen = 127.0.0.1:8081
workers = 1
[api]
listen = 127.0.0.1:8080
metrics_listen = 127.0.0.1:9100
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token prom 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/out" 2> "$T/log" &
RP=$!
check "rgwd with dns, nat and the API starts" wait_for 'rgwd: ready' "$T/log" 20
check "the metrics listener is announced" grep -q 'listening on 127.0.0.1:9100 (metrics only, no token)' "$T/log"
in_gw() { ip netns exec $GW "$@"; }
scrape() { in_gw curl -s -m 5 -H "Authorization: Bearer $TOK" http://127.0.0.1:8080/metrics; }
metric() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }

# --- traffic: a DNS answer with a binding, the first packet through NFQUEUE, an API write
addr=$(ip netns exec $PUB dig +short +time=2 +tries=2 @100.64.1.130 test.gwa.demo A)
check "DNS answers a pool address ($addr)" sh -c "echo '$addr' | grep -q '^100\\.64\\.1\\.13[1-3]$'"
out=$(ip netns exec $PUB timeout 5 socat -T 3 - "TCP:$addr:2222" < /dev/null 2>&1)
check "the first packet is admitted and the flow reaches the private host ($out)" test "$out" = ok
code=$(in_gw curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' --data-binary '{"name":"scraped"}' http://127.0.0.1:8080/api/v1/groups)
check "an API write ($code)" test "$code" = 201

# --- the scrape
check "the ALG's families are in the scrape" sh -c "scrape() { ip netns exec $GW curl -s -m 5 -H 'Authorization: Bearer $TOK' http://127.0.0.1:8080/metrics; }; scrape | grep -q '^rgw_alg_up_bytes_total '"
scrape > "$T/m1"
check "the IPv6 pool's families are in the scrape" grep -q '^rgw_pool6_addresses 0$' "$T/m1"
check "a live scrape is non-empty" test -s "$T/m1"
promtool check metrics < "$T/m1" > "$T/promtool.out" 2>&1
rc=$?
cat "$T/promtool.out" | head -20
check "promtool check metrics: no problem (exit $rc)" test "$rc" = 0
check "every family has HELP and TYPE" sh -c "[ \$(grep -c '^# HELP ' '$T/m1') = \$(grep -c '^# TYPE ' '$T/m1') ]"
for h in rgw_dns_answer_seconds rgw_api_request_seconds rgw_policy_commit_seconds rgw_nat_verdict_seconds; do
	check "histogram $h is a histogram" grep -q "^# TYPE $h histogram" "$T/m1"
	n=$(metric "${h}_count" "$T/m1")
	check "... it counted the traffic (count $n)" test "${n:-0}" -ge 1
	inf=$(metric "${h}_bucket{le=\"+Inf\"}" "$T/m1")
	check "... +Inf bucket equals the count" test "$inf" = "$n"
done
fds=$(metric process_open_fds "$T/m1")
check "process_open_fds is plausible ($fds)" test "${fds:-0}" -ge 5
start=$(metric process_start_time_seconds "$T/m1")
now=$(date +%s)
check "process_start_time_seconds is within the last hour ($start)" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if $now - 3600 < float('$start') <= $now + 5 else 1)"
rss=$(metric process_resident_memory_bytes "$T/m1")
check "process_resident_memory_bytes is plausible ($rss)" test "${rss:-0}" -gt 1000000
check "process_cpu_seconds_total is a counter" grep -q '^# TYPE process_cpu_seconds_total counter' "$T/m1"
check "counters end in _total, units before it" sh -c "! grep '^# TYPE' '$T/m1' | awk '\$4 == \"counter\" && \$3 !~ /_total\$/' | grep -q ."
check "no rgw_*_bytes_up/down_total names (unit before _total)" sh -c "! grep -q 'bytes_up_total\\|bytes_down_total' '$T/m1'"

# --- the metrics listener: the scrape without a token, nothing else
in_gw curl -s -m 5 -o "$T/m2" -w '%{http_code}' http://127.0.0.1:9100/metrics > "$T/code2"
check "metrics listener: /metrics without a token (200)" test "$(cat "$T/code2")" = 200
check "... passes promtool too" sh -c "promtool check metrics < '$T/m2' > /dev/null 2>&1"
code=$(in_gw curl -s -o /dev/null -w '%{http_code}' -m 5 http://127.0.0.1:9100/api/v1/status)
check "metrics listener: the API is not served there ($code)" test "$code" = 404
code=$(in_gw curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer $TOK" http://127.0.0.1:9100/api/v1/hosts)
check "... not even with a token ($code)" test "$code" = 404
code=$(in_gw curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST http://127.0.0.1:9100/metrics)
check "metrics listener: POST /metrics is 405 ($code)" test "$code" = 405
code=$(in_gw curl -s -o /dev/null -w '%{http_code}' -m 5 http://127.0.0.1:8080/metrics)
check "the API listener still wants a token for /metrics ($code)" test "$code" = 401

kill -TERM "$RP"
wait "$RP"
rc=$?
RP=
check "clean shutdown" test "$rc" = 0
summary
