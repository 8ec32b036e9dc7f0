#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t75_tenants.sh -- tenants own their part of the policy, on loopback with real
# curl: a bank's token sees and changes only the hosts, services, groups and ALG routes under
# its domains (the ISP's and another tenant's do not exist for it: 404, in lists too), is
# refused writes across its domains or realm (403 with the reason), hits its quotas (403 with
# the reason) and reads only its own audit lines; the operator's token sees everything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

api_start || { cat "$T/rgwd.log"; fail "rgwd starts"; summary; }
BANK=$("$RGWD" -c "$T/rgw.conf" --new-token bank-ops --role rw 2>/dev/null)
OTHER=$("$RGWD" -c "$T/rgw.conf" --new-token other-ops --role rw 2>/dev/null)

api PUT /api/v1/bundle '{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward", "ttl": 60,
   "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "127.0.0.1"}]}],
 "service_addresses": ["127.0.0.1"],
 "pool": ["100.64.1.131-100.64.1.142"],
 "groups": [{"name": "isp.admins"}, {"name": "other.web"}],
 "hosts": [{"fqdn": "isp.gwa.demo", "ipv4": "127.0.0.3",
            "services": [{"fqdn": "www.isp.gwa.demo", "proxy_required": true}]},
           {"fqdn": "web.other.gwa.demo", "ipv4": "127.0.2.1"},
           {"fqdn": "web.bank.gwa.demo", "ipv4": "127.0.1.1",
            "services": [{"fqdn": "www.bank.gwa.demo", "proxy_required": true}]}],
 "alg_routes": [{"hostname": "www.isp.gwa.demo", "port": 80, "backend": "127.0.0.3:80"}]}'
expect 200 "the operator puts the policy in force"
api PUT /api/v1/tenants/bank '{"domains": ["bank.gwa.demo"], "tokens": ["bank-ops"],
 "realm": ["127.0.1.0/24"], "quotas": {"hosts": 3, "services": 2, "alg_routes": 1, "pool": 250}}'
expect 201 "PUT /tenants/bank: domains, realm and quotas"
jqtest '.realm == ["127.0.1.0/24"] and .quotas == {"hosts": 3, "services": 2, "alg_routes": 1, "pool": 250}' \
	"... shown back"
ctl() { "$RGWCTL" --url "$URL" --token "${AUTH:-$TOK}" "$@"; }
check "rgwctl tenant set: a second tenant" ctl tenant set other --domain other.gwa.demo \
	--token other-ops --realm 127.0.2.0/24 --quota hosts=5
api GET /api/v1/tenants/other
jqtest '.domains == ["other.gwa.demo"] and .tokens == ["other-ops"] and .realm == ["127.0.2.0/24"] and .quotas.hosts == 5' \
	"... as given"
out=$(ctl tenant list)
check "rgwctl tenant list shows both" \
	bash -c 'grep -q "^ *bank .*127.0.1.0/24" <<<"$1" && grep -q "^ *other .*127.0.2.0/24" <<<"$1"' _ "$out"
ctl tenant set other --domain other.gwa.demo --quota disks=1 2> "$T/ctl.err"
check "rgwctl tenant set refuses a bad quota with the reason" grep -q "'disks=1'" "$T/ctl.err"
api PUT /api/v1/tenants/bad '{"domains": ["bad.gwa.demo"], "realm": ["10.0.0.300/8"]}'
expect 400 "a realm that is no prefix is refused (400)"
api PUT /api/v1/tenants/bad '{"domains": ["bad.gwa.demo"], "quotas": {"hosts": -1}}'
expect 400 "a negative quota is refused (400)"
jqtest '.field == "quotas.hosts"' "... naming the field"
api PUT /api/v1/tenants/bad '{"domains": ["bad.gwa.demo"], "quotas": {"disks": 1}}'
expect 400 "an unknown quota is refused (400)"

api GET /api/v1/alg-routes
RID=$(printf '%s' "$BODY" | jq -r '.items[0].id')

# reads: the bank sees its own rows only
AUTH=$BANK api GET /api/v1/hosts
expect 200 "the bank lists hosts"
jqtest '[.items[].fqdn] == ["web.bank.gwa.demo"] and .total == 1' "... and sees only its own"
AUTH=$BANK api GET /api/v1/hosts/web.bank.gwa.demo/services
jqtest '[.items[].fqdn] == ["www.bank.gwa.demo"]' "... and its services"
for p in /api/v1/hosts/isp.gwa.demo /api/v1/hosts/web.other.gwa.demo \
	/api/v1/hosts/isp.gwa.demo/services /api/v1/hosts/isp.gwa.demo/services/www.isp.gwa.demo \
	/api/v1/groups/isp.admins /api/v1/groups/other.web /api/v1/alg-routes/$RID /api/v1/zones \
	/api/v1/pool-addresses /api/v1/tokens /api/v1/hosts/web.bank.gwa.demo/groups; do
	AUTH=$BANK api GET "$p"
	expect 404 "the bank does not see $p (404)"
done
AUTH=$BANK api GET /api/v1/alg-routes
jqtest '.items == [] and .total == 0' "the ISP's ALG route is not in the bank's list"
AUTH=$BANK api GET /api/v1/groups
jqtest '.items == [] and .total == 0' "... nor the ISP's and the other tenant's groups"
AUTH=$BANK api GET '/api/v1/hosts?name=isp.gwa.demo'
jqtest '.items == [] and .total == 0' "... nor a filtered list naming the ISP's host"
AUTH=$OTHER api GET /api/v1/hosts/web.bank.gwa.demo
expect 404 "the other tenant does not see the bank's host (404)"
AUTH=$OTHER api GET /api/v1/hosts
jqtest '[.items[].fqdn] == ["web.other.gwa.demo"]' "... and lists only its own"
out=$(AUTH=$BANK ctl host list)
check "rgwctl host list with the bank's token: its host only" \
	bash -c 'grep -q web.bank.gwa.demo <<<"$1" && ! grep -q "isp\.gwa\|other\.gwa" <<<"$1"' _ "$out"
api GET /api/v1/hosts
jqtest '.total == 3' "the operator sees every host"

# writes on others' rows: they do not exist (404), and stay
AUTH=$BANK api DELETE /api/v1/hosts/web.other.gwa.demo
expect 404 "the bank cannot delete the other tenant's host (404)"
AUTH=$BANK api PATCH /api/v1/hosts/isp.gwa.demo '{"ipv4": "127.0.1.9"}'
expect 404 "... nor change the ISP's host (404)"
AUTH=$BANK api POST /api/v1/hosts/isp.gwa.demo/services '{"fqdn": "x.bank.gwa.demo"}'
expect 404 "... nor add a service to it (404)"
AUTH=$BANK api DELETE /api/v1/alg-routes/$RID
expect 404 "... nor delete the ISP's ALG route (404)"
api GET /api/v1/hosts/web.other.gwa.demo
expect 200 "the other tenant's host is still there"

# writes across the boundary: 403 with the reason
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "x.isp.gwa.demo", "ipv4": "127.0.1.5"}'
expect 403 "a host named outside the bank's domains is refused (403)"
jqtest '.message | test("outside the domains of tenant bank")' "... with the reason"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "x.bank.gwa.demo", "ipv4": "127.0.0.9"}'
expect 403 "a host addressed outside the bank's realm is refused (403)"
jqtest '.message | test("127.0.0.9 is outside the realm of tenant bank")' "... with the reason"
AUTH=$BANK api PATCH /api/v1/hosts/web.bank.gwa.demo '{"fqdn": "web.isp.gwa.demo"}'
expect 403 "renaming its host out of its domains is refused (403)"
AUTH=$BANK api POST /api/v1/alg-routes '{"hostname": "www.bank.gwa.demo", "port": 80, "backend": "127.0.0.3:80"}'
expect 403 "an ALG route to the ISP's address is refused (403)"
jqtest '.field == "backend" and (.message | test("outside the realm"))' "... with the reason"
AUTH=$BANK api POST /api/v1/alg-routes '{"hostname": "www.isp.gwa.demo", "port": 8443, "backend": "127.0.1.1:80"}'
expect 403 "an ALG route for the ISP's name is refused (403)"
AUTH=$BANK api POST /api/v1/groups '{"name": "isp.bank"}'
expect 403 "a group not named bank.<name> is refused (403)"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "isp.gwa.demo", "ipv4": "127.0.1.5"}'
expect 403 "the ISP's existing host name: 403 as for any name outside, not 409"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "y.bank.gwa.demo", "ipv4": "127.0.0.3"}'
expect 403 "the ISP's host address: 403 (outside the realm), not 409"
AUTH=$BANK api POST /api/v1/groups '{"name": "isp.admins"}'
expect 403 "the ISP's existing group name: 403, not 409"
AUTH=$BANK api PATCH /api/v1/hosts/web.bank.gwa.demo '{"groups": ["isp.admins"]}'
expect 400 "putting its host in the ISP's group is refused: no such group for it (400)"
ISPGROUP=$BODY
AUTH=$BANK api PATCH /api/v1/hosts/web.bank.gwa.demo '{"groups": ["isp.nothing"]}'
check "... the same answer as for a group that does not exist" [ "$BODY" = "$ISPGROUP" ]
AUTH=$BANK api PUT /api/v1/bundle '{"version": 1, "zones": []}'
expect 403 "the bank's bundle may hold no zones (403)"
api GET /api/v1/hosts
jqtest '.total == 3' "no refused write changed the policy"

# a membership the operator gave its host in the ISP's group: the bank neither leaves it nor
# breaks on it when it writes back what it read
api POST /api/v1/hosts/web.bank.gwa.demo/groups '{"group": "isp.admins"}'
expect 201 "the operator puts the bank's host in the ISP's group"
AUTH=$BANK api GET /api/v1/hosts/web.bank.gwa.demo
rep=$(printf '%s' "$BODY" | jq -c 'del(.id) | .comment = "edited"')
AUTH=$BANK api PUT /api/v1/hosts/web.bank.gwa.demo "$rep"
expect 200 "the bank writes its host back as it read it (200)"
AUTH=$BANK api PATCH /api/v1/hosts/web.bank.gwa.demo '{"groups": []}'
expect 200 "... and may write its groups"
api GET /api/v1/hosts/web.bank.gwa.demo
jqtest '.groups == ["isp.admins"] and .comment == "edited"' "... but the ISP's membership stays"

# its own writes, up to its quotas
AUTH=$BANK api POST /api/v1/groups '{"name": "bank.web"}'
expect 201 "the bank creates its group"
AUTH=$BANK api POST /api/v1/alg-routes '{"hostname": "www.bank.gwa.demo", "port": 80, "backend": "127.0.1.1:80"}'
expect 201 "the bank routes its name to its server"
AUTH=$BANK api POST /api/v1/alg-routes '{"hostname": "api.bank.gwa.demo", "port": 80, "backend": "127.0.1.1:81"}'
expect 403 "a second ALG route is over its quota of 1 (403)"
jqtest '.field == "quota" and (.message | test("quota of ALG routes: 1 of 1"))' "... with the reason"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "a.bank.gwa.demo", "ipv4": "127.0.1.2"}'
expect 201 "the bank adds a host (pool 200 of 250)"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "b.bank.gwa.demo", "ipv4": "127.0.1.3"}'
expect 403 "a host holding 100 more pool addresses is over its quota of 250 (403)"
jqtest '.message | test("quota of pool addresses: 200 of 250")' "... with the reason"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "b.bank.gwa.demo", "ipv4": "127.0.1.3", "pool_limit": 50}'
expect 201 "with pool_limit 50 it fits (250 of 250)"
AUTH=$BANK api POST /api/v1/hosts '{"fqdn": "c.bank.gwa.demo", "ipv4": "127.0.1.4", "pool_limit": 1}'
expect 403 "a fourth host is over its quota of 3 hosts (403)"
jqtest '.message | test("quota of hosts: 3 of 3")' "... with the reason"
AUTH=$BANK api POST /api/v1/hosts/a.bank.gwa.demo/services '{"fqdn": "tcp22.a.bank.gwa.demo"}'
expect 201 "a second service fits its quota of 2"
AUTH=$BANK api POST /api/v1/hosts/a.bank.gwa.demo/services '{"fqdn": "tcp23.a.bank.gwa.demo"}'
expect 403 "a third service is over its quota (403)"
AUTH=$BANK api DELETE /api/v1/hosts/b.bank.gwa.demo
expect 204 "the bank deletes its own host"

# bundle: each tenant exports its own part
AUTH=$BANK api GET /api/v1/bundle
expect 200 "the bank exports its part of the policy"
jqtest '[.hosts[].fqdn] == ["web.bank.gwa.demo", "a.bank.gwa.demo"] and [.alg_routes[].hostname] == ["www.bank.gwa.demo"] and [.groups[].name] == ["bank.web"] and has("zones") == false and has("pool") == false' \
	"... its hosts, routes and groups only"
jqtest '[.hosts[].services[].fqdn] | sort == ["tcp22.a.bank.gwa.demo", "www.bank.gwa.demo"]' "... with their services"
AUTH=$OTHER api GET /api/v1/bundle
jqtest '[.hosts[].fqdn] == ["web.other.gwa.demo"] and .groups == [{"name": "other.web", "comment": "", "firewall": []}] and .alg_routes == []' \
	"the other tenant exports only its own"
api GET /api/v1/bundle
jqtest '(.hosts | length) == 4 and (.zones | length) == 1' "the operator exports the whole policy"

# audit: each tenant reads its own lines
AUTH=$BANK api GET '/api/v1/audit?limit=1000'
expect 200 "the bank reads the audit log"
jqtest '(.items | length) == 8 and all(.items[]; .tenant == "bank" and .actor == "bank-ops")' \
	"... only its 8 writes"
AUTH=$OTHER api GET '/api/v1/audit?limit=1000'
jqtest '.items == []' "the other tenant sees none of them"
api GET '/api/v1/audit?limit=1000'
jqtest '([.items[] | select(.tenant == "bank")] | length) == 8 and ([.items[] | select(.tenant == null)] | length) >= 3' \
	"the operator sees every line, the bank's marked with its tenant"

# metrics: per tenant, what it holds and its quotas (the operator's view only)
api GET /metrics
printf '%s\n' "$BODY" > "$T/metrics"
check "rgw_tenant_held: the bank holds 2 hosts, 2 services, 1 ALG route, 200 pool addresses" \
	bash -c 'grep -qx "rgw_tenant_held{tenant=\"bank\",kind=\"hosts\"} 2" "$1" &&
		grep -qx "rgw_tenant_held{tenant=\"bank\",kind=\"services\"} 2" "$1" &&
		grep -qx "rgw_tenant_held{tenant=\"bank\",kind=\"alg_routes\"} 1" "$1" &&
		grep -qx "rgw_tenant_held{tenant=\"bank\",kind=\"pool\"} 200" "$1"' _ "$T/metrics"
check "rgw_tenant_quota: its quotas" \
	grep -qx 'rgw_tenant_quota{tenant="bank",kind="pool"} 250' "$T/metrics"
check "... and the other tenant's" grep -qx 'rgw_tenant_held{tenant="other",kind="hosts"} 1' "$T/metrics"
check "the metrics pass promtool" bash -c 'promtool check metrics < "$1"' _ "$T/metrics"
AUTH=$BANK api GET /metrics
expect 404 "the bank's token does not read the gateway's metrics (404)"

# bundle import: the bank restores its own part, all or nothing, nothing else touched
AUTH=$BANK api GET /api/v1/bundle
SAVED=$BODY
api GET /api/v1/bundle
OPERATOR=$(printf '%s' "$BODY" | jq -c '[.zones, .pool, (.groups[] | select(.name | startswith("bank.") | not))]')
AUTH=$BANK api DELETE /api/v1/hosts/a.bank.gwa.demo
expect 204 "the bank deletes a host of its backup"
AUTH=$BANK api GET /api/v1/bundle "" -D "$T/h"
TAG=$(sed -n 's/^etag: *//Ip' "$T/h" | tr -d '\r')
AUTH=$BANK api PUT /api/v1/bundle "$SAVED" -H 'If-Match: "0000"'
expect 412 "a restore with a stale If-Match is refused (412)"
AUTH=$BANK api PUT /api/v1/bundle "$(printf '%s' "$SAVED" |
	jq -c '.hosts += [{"fqdn": "x.isp.gwa.demo", "ipv4": "127.0.1.7"}] | .hosts |= map(select(.fqdn != "web.bank.gwa.demo"))')"
expect 403 "a bundle with a host outside the bank's domains is refused (403)"
jqtest '.message | test("x.isp.gwa.demo.* outside the domains of tenant bank")' "... naming the host"
AUTH=$BANK api PUT /api/v1/bundle "$(printf '%s' "$SAVED" |
	jq -c '.hosts += [{"fqdn": "c.bank.gwa.demo", "ipv4": "127.0.1.4", "pool_limit": 1},
		{"fqdn": "d.bank.gwa.demo", "ipv4": "127.0.1.5", "pool_limit": 1}]')"
expect 403 "a bundle of 4 hosts is over the bank's quota of 3 (403)"
jqtest '.field == "quota"' "... for its quota"
api GET /api/v1/hosts
jqtest '[.items[].fqdn] | sort == ["isp.gwa.demo", "web.bank.gwa.demo", "web.other.gwa.demo"]' \
	"the refused bundles changed nothing (no host added, none removed)"
AUTH=$BANK api PUT /api/v1/bundle "$SAVED" -H "If-Match: $TAG"
expect 200 "the bank restores its backup (200)"
jqtest "$(printf '. == %s' "$SAVED")" "... and reads it back as saved"
api GET /api/v1/hosts/a.bank.gwa.demo/services
jqtest '[.items[].fqdn] == ["tcp22.a.bank.gwa.demo"]' "its host is back with its service"
api GET /api/v1/hosts/web.bank.gwa.demo
jqtest '.groups == ["isp.admins"]' "the membership the operator gave its host stays"
api GET /api/v1/bundle
jqtest "$(printf '[.zones, .pool, (.groups[] | select(.name | startswith("bank.") | not))] == %s' "$OPERATOR")" \
	"the operator's zones, pool and groups are untouched"
jqtest '[.hosts[].fqdn] | sort == ["a.bank.gwa.demo", "isp.gwa.demo", "web.bank.gwa.demo", "web.other.gwa.demo"]' \
	"... and the ISP's and the other tenant's hosts too"
AUTH=$OTHER api PUT /api/v1/bundle '{"version": 1, "hosts": [{"fqdn": "web2.other.gwa.demo", "ipv4": "127.0.2.2"}]}'
expect 200 "the other tenant replaces its part with another host"
api GET /api/v1/hosts
jqtest '[.items[].fqdn] | sort == ["a.bank.gwa.demo", "isp.gwa.demo", "web.bank.gwa.demo", "web2.other.gwa.demo"]' \
	"... the bank's and the ISP's hosts stay"
AUTH=$OTHER api GET /api/v1/bundle
jqtest '.groups == [] and [.hosts[].fqdn] == ["web2.other.gwa.demo"]' "... its group other.web is gone with it"

# the quota holds for the tenant, not for the operator
api POST /api/v1/hosts '{"fqdn": "c.bank.gwa.demo", "ipv4": "127.0.1.4"}'
expect 201 "the operator may add a host in the bank's domain beyond its quota"
check "daemon alive" kill -0 "$PID"
summary
