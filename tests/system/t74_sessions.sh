#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t74_sessions.sh -- tenants and one-time session names on loopback, with real
# peers: issued over the REST API (curl), resolved by dig, fetched through the ALG (curl ->
# nginx), ended by DELETE, by their deadline and by their resolution budget; queries for ended
# names are NXDOMAIN and lower the asker's reputation; other tenants see none and cannot issue
# outside their domains (403); a tenant's quota answers 429; a restart keeps the names;
# issuing a name never rebuilds the policy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

read -r PD PA PW PS <<<"$(python3 "$TOP/tests/system/free_ports.py" 4)"
# the bank's web server certificate covers its session names
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=*.bank.gwa.demo" \
	-addext "subjectAltName=DNS:*.bank.gwa.demo" -keyout "$T/bank.key" -out "$T/bank.crt" \
	>/dev/null 2>&1
URL="http://127.0.0.1:$PA"

mkdir -p "$T/nginx"
cat > "$T/nginx.conf" <<NGX
user root;
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server { listen 127.0.0.2:$PW; location / { return 200 "bank \$host\n"; } }
	server { listen 127.0.0.2:$PS ssl; ssl_certificate $T/bank.crt;
		ssl_certificate_key $T/bank.key; location / { return 200 "bank tls \$host\n"; } }
}
NGX
nginx -p "$T/nginx" -c "$T/nginx.conf" &
at_exit "kill $!"
poll 10 test -s "$T/nginx.pid" || fail "nginx starts"

cat > "$T/bundle.json" <<JSON
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward", "ttl": 60,
   "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "127.0.0.1"}]}],
 "service_addresses": ["127.0.0.1"],
 "pool": ["100.64.1.131-100.64.1.142"],
 "hosts": [{"fqdn": "bank.gwa.demo", "ipv4": "127.0.0.2",
   "services": [{"fqdn": "www.bank.gwa.demo", "proxy_required": true},
                {"fqdn": "tcp22.bank.gwa.demo"}]},
           {"fqdn": "isp.gwa.demo", "ipv4": "127.0.0.3",
   "services": [{"fqdn": "www.isp.gwa.demo", "proxy_required": true}]}],
 "admission": {"unknown_resolver_groups": true}}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 127.0.0.1:$PD
[nat]
enable = no
[alg]
listen = 127.0.0.1:$PW, 127.0.0.1:$PS
[api]
listen = 127.0.0.1:$PA
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token bank --role rw 2>/dev/null)
RO=$("$RGWD" -c "$T/rgw.conf" --new-token viewer --role ro 2>/dev/null)
BANK=$("$RGWD" -c "$T/rgw.conf" --new-token bank-backend --role rw 2>/dev/null)
OTHER=$("$RGWD" -c "$T/rgw.conf" --new-token other-backend --role rw 2>/dev/null)
start() {
	"$RGWD" -c "$T/rgw.conf" >> "$T/rgwd.log" 2>&1 &
	PID=$!
	at_exit "kill $PID"
	poll 10 more_than "${1:-0}" 'rgwd: ready' "$T/rgwd.log"
}
start || { cat "$T/rgwd.log"; fail "rgwd starts"; summary; }

D="dig +time=2 +tries=2 @127.0.0.1 -p $PD"
S=/api/v1/tenants/bank/sessions
issue() { # issue BODY: NAME = the name issued
	api POST $S "$1"
	NAME=$(printf '%s' "$BODY" | jq -r .name)
}
api POST $S '{"service": "www.bank.gwa.demo"}'
expect 404 "no session names for a tenant that does not exist (404)"
api PUT /api/v1/tenants/bank '{"domains": ["bank.gwa.demo"], "tokens": ["bank-backend"]}'
expect 201 "PUT /tenants/bank defines the tenant and its token"
api PUT /api/v1/tenants/other '{"domains": ["isp.gwa.demo"], "tokens": ["other-backend"]}'
expect 201 "PUT /tenants/other defines a second tenant"
api PUT /api/v1/tenants/bad '{"domains": ["example.com"]}'
expect 400 "a tenant domain outside every zone is refused (400)"
reloads=$(grep -c 'rgwd: policy:' "$T/rgwd.log")

issue '{"service": "www.bank.gwa.demo", "ttl": 600}'
expect 201 "POST issues a session name"
check "the name is s-<26 base32>.bank.gwa.demo" grep -Eqx 's-[a-z2-7]{26}\.bank\.gwa\.demo' <<<"$NAME"
WEB=$NAME
issue '{"service": "www.bank.gwa.demo"}'
check "a second name differs from the first" [ "$NAME" != "$WEB" ]
check "resolvable at once: A is the service address" \
	bash -c "$D $WEB A +short | grep -qx 127.0.0.1"
out=$(curl -s --max-time 5 -H "Host: $WEB" "http://127.0.0.1:$PW/")
check "the ALG routes the session name to the service's backend" [ "$out" = "bank $WEB" ]
https() { curl -s --max-time 5 --cacert "$T/bank.crt" --resolve "$1:$PS:127.0.0.1" "https://$1:$PS/"; }
out=$(https "$WEB")
check "HTTPS by SNI through the ALG, the bank's certificate verified" [ "$out" = "bank tls $WEB" ]
check "issuing names did not rebuild the policy (no new 'rgwd: policy:' line)" \
	[ "$(grep -c 'rgwd: policy:' "$T/rgwd.log")" = "$reloads" ]
api GET "$S/$WEB"
expect 200 "GET shows the session"
jqtest '.state == "live" and .service == "www.bank.gwa.demo" and .tenant == "bank"' \
	"its state, service and tenant"

api GET "/api/v1/tenants/other/sessions/$WEB"
expect 404 "another tenant does not see it (404)"
api DELETE "/api/v1/tenants/other/sessions/$WEB"
expect 404 "another tenant cannot end it (404)"

# tenant tokens: their own tenant's resources only
AUTH=$BANK api POST $S '{"service": "www.bank.gwa.demo"}'
expect 201 "the bank's token issues a session name"
BANKNAME=$(printf '%s' "$BODY" | jq -r .name)
AUTH=$BANK api GET "$S/$WEB"
expect 200 "the bank's token reads its session names"
AUTH=$OTHER api GET "$S/$BANKNAME"
expect 404 "the other tenant's token does not see the bank's names (404)"
AUTH=$OTHER api GET "/api/v1/tenants/other/sessions/$BANKNAME"
expect 404 "... not even under its own path (404)"
AUTH=$BANK api GET /api/v1/hosts/isp.gwa.demo
expect 404 "the bank's token cannot read the ISP's hosts (404)"
AUTH=$BANK api GET /api/v1/hosts
jqtest '[.items[].fqdn] == ["bank.gwa.demo"]' "... nor list them (only its own host)"
AUTH=$BANK api GET /api/v1/tenants
expect 404 "... nor list the tenants (404)"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "x.isp.gwa.demo", "ipv4": "127.0.0.9"}'
expect 403 "... nor write a host outside its domains (403)"
AUTH=$BANK api POST /api/v1/tenants/other/sessions '{"service": "www.isp.gwa.demo"}'
expect 404 "... nor issue for another tenant (404)"
AUTH=$BANK api PUT /api/v1/tenants/bank '{"domains": ["gwa.demo"]}'
expect 403 "... nor widen its own tenant (403)"
jqtest '.message | test("acts for tenant bank")' "... and is told why"
AUTH=$BANK api GET /api/v1/tenants/bank
expect 200 "the bank's token reads its tenant"
api POST $S '{"service": "www.nope.bank.gwa.demo"}'
expect 400 "an unknown service is refused (400)"
api POST /api/v1/tenants/other/sessions '{"service": "www.bank.gwa.demo"}'
expect 403 "another tenant cannot bind a name to the bank's service (403)"
jqtest '.field == "service" and (.message | test("outside the domains of tenant other"))' \
	"... and is told why"
api POST $S '{"service": "www.bank.gwa.demo", "domain": "isp.gwa.demo"}'
expect 403 "a session domain outside the tenant's domains is refused (403)"
api POST $S '{"service": "www.bank.gwa.demo", "ttl": 0}'
expect 400 "ttl 0 is refused (400)"
AUTH=$RO api POST $S '{"service": "www.bank.gwa.demo"}'
expect 403 "a read-only token cannot issue (403)"

# the resolution budget: one A answer, then NXDOMAIN
issue '{"service": "tcp22.bank.gwa.demo", "max_resolutions": 1}'
ONCE=$NAME
check "a pooled service: the first A is a pool address" \
	bash -c "$D $ONCE A +short | grep -Eqx '100\.64\.1\.(13[1-9]|14[0-2])'"
check "max_resolutions 1: the second query is NXDOMAIN" \
	bash -c "$D $ONCE A | grep -q 'status: NXDOMAIN'"

# logout: NXDOMAIN, evidence against resolver and requestor, ALG refusal
api DELETE "$S/$WEB"
expect 204 "DELETE ends the session"
out=$($D "$WEB" A +subnet=198.51.100.0/24)
check "an ended name is NXDOMAIN with the SOA" \
	bash -c 'grep -q "status: NXDOMAIN" <<<"$1" && grep -q "AUTHORITY: 1" <<<"$1"' _ "$out"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Host: $WEB" "http://127.0.0.1:$PW/")
check "the ALG refuses an ended name (421)" [ "$code" = 421 ]
err=$(curl -sS --max-time 5 --cacert "$T/bank.crt" --resolve "$WEB:$PS:127.0.0.1" \
	"https://$WEB:$PS/" 2>&1)
check "... and over TLS with the alert unrecognized_name" grep -qi 'unrecognized name' <<<"$err"
api GET "/api/v1/reputation"
jqtest '[.items[]? // .[] | select(.kind == "requestor" and (.key | startswith("198.51.100.")) and .nok >= 1)] | length == 1' \
	"the requestor that asked for the ended name has NOK evidence"
jqtest '[.items[]? // .[] | select(.kind == "resolver_group" and .key == "resolver:127.0.0.1" and .nok >= 1)] | length == 1' \
	"the resolver that asked for it has NOK evidence"
api DELETE "$S/$WEB"
expect 404 "ending it twice: 404"

issue '{"service": "www.bank.gwa.demo", "ttl": 1}'
SHORT=$NAME
nx() { $D "$1" A | grep -q 'status: NXDOMAIN'; }
check "a name past its deadline is NXDOMAIN" poll 10 nx "$SHORT"

# the tenant's quota: one name per second
api PUT /api/v1/tenants/other '{"domains": ["isp.gwa.demo"], "session_rate": 1}'
expect 200 "PUT replaces a tenant (quota of 1 session name per second)"
over() {
	api POST /api/v1/tenants/other/sessions '{"service": "www.isp.gwa.demo"}' -D "$T/hdr"
	[ "$CODE" = 429 ]
}
check "over its quota a tenant gets 429" poll 20 over
jqtest '.message | test("over its quota of 1 session names per second")' "... with the reason"
check "... and Retry-After" grep -qi '^Retry-After: 1' "$T/hdr"

# a restart keeps the sessions
issue '{"service": "www.bank.gwa.demo", "ttl": 600}'
KEEP=$NAME
kill -TERM "$PID"
poll 10 bash -c "! kill -0 $PID 2>/dev/null"
start 1 || fail "rgwd restarts"
check "after a restart a live name still resolves" \
	bash -c "$D $KEEP A +short | grep -qx 127.0.0.1"
out=$($D "$WEB" A +subnet=203.0.113.0/24)
check "after a restart an ended name is still NXDOMAIN" grep -q 'status: NXDOMAIN' <<<"$out"
api GET "/api/v1/reputation?kind=requestor"
jqtest '[.items[] | select(.key == "203.0.113.0/24" and .nok >= 1)] | length == 1' \
	"after a restart asking for an ended name is still evidence"
check "the restart restored the names from the store" grep -q 'sessions: .* session names restored' "$T/rgwd.log"
check "daemon alive" kill -0 "$PID"
summary
