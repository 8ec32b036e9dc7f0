#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t53_alg_policy.sh -- ALG driven by policy alone: listeners on the service
# addresses x alg.ports (no alg.listen), routes from proxy_required services (backend = the
# host's private address on the listener's port), listeners following policy changes live.
# Loopback only: service addresses 127.0.0.1 / 127.0.0.3, private hosts 127.0.0.2.
. "$(dirname "$0")/alg_lib.sh"

read -r P <<<"$(free_ports 1)"
cat > "$T/nginx.body" <<NGX
	server { listen 127.0.0.2:$P; location / { return 200 "www-backend \$server_port\n"; } }
NGX
start_nginx || exit 1

bundle() { # $1 = service addresses (JSON list body)
	cat > "$T/bundle.json" <<JSON
{"version": 1,
 "zones": [{"name": "alg.test", "kind": "forward", "ttl": 60,
   "soa": {"mname": "ns1.alg.test", "rname": "hostmaster.alg.test", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.alg.test", "ipv4": "192.0.2.53"}]}],
 "service_addresses": [$1],
 "hosts": [{"fqdn": "h.alg.test", "ipv4": "127.0.0.2",
   "services": [{"fqdn": "www.h.alg.test", "proxy_required": true},
                {"fqdn": "plain.h.alg.test"}]}]}
JSON
}
bundle '"127.0.0.1"'
start_rgwd "ports = $P
workers = 2" || { cat "$T/import.log"; exit 1; }

C="curl -s --max-time 5"
check "listener on the service address x alg.ports" \
	[ "$($C -H 'Host: www.h.alg.test' http://127.0.0.1:$P/)" = "www-backend $P" ]
check "a service without proxy_required is not routed (421)" \
	[ "$($C -o /dev/null -w '%{http_code}' -H 'Host: plain.h.alg.test' http://127.0.0.1:$P/)" = 421 ]
check "no listener on an address that is not a service address" \
	not $C -H 'Host: www.h.alg.test' http://127.0.0.3:$P/

# policy change: the service address moves from 127.0.0.1 to 127.0.0.3
bundle '"127.0.0.3"'
"$RGWD" -c "$T/rgw.conf" --import "$T/bundle.json" >> "$T/import.log" 2>&1
check "SIGHUP: the changed policy is in force (logged)" reload_rgwd
check "new service address gets a listener live" \
	[ "$($C -H 'Host: www.h.alg.test' http://127.0.0.3:$P/)" = "www-backend $P" ]
check "removed service address: listener closed" \
	not $C -H 'Host: www.h.alg.test' http://127.0.0.1:$P/
check "log shows the listener changes" grep -q "alg: closing listener 127.0.0.1:$P" "$T/rgwd.log"
check "daemon alive" alive
finish
