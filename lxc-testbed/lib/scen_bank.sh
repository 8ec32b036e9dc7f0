# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/scen_bank.sh -- the end-to-end scenarios of the bank, a tenant of gw
# (docs/testbed.md, "The bank"): its backend on apihost issues one-time session names through
# gw's API on the LAN (HTTPS) with its client certificate, which names the bank's token; a
# public client reaches the bank's nginx through them. Sourced by scenarios.sh; same conventions
# (one PASS/FAIL line, never skipped).

BANK_API=https://$TB_GW_LAN:$TB_API_LAN_PORT
BANK_SESSIONS=/api/v1/tenants/bank/sessions

# lan_api AUTH METHOD PATH [JSON] -- a REST call from apihost (the bank's backend) to gw's API
# on the LAN over HTTPS; AUTH is a token's secret, or @NAME for the client certificate NAME of
# the testbed CA (mutual TLS, no token sent). Prints the body, then "HTTP <code>" on the last
# line.
lan_api() {
	local auth=$1 m=$2 p=$3 body=${4:-} pki=$TB_STATE/pki
	local args=(-sS --cacert "$TB_CA" -X "$m" -w '\nHTTP %{http_code}\n')
	if [[ $auth == @* ]]; then
		args+=(--cert "$pki/${auth#@}.pem" --key "$pki/${auth#@}.key")
	else
		args+=(-H "Authorization: Bearer $auth")
	fi
	[ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
	tb_exec apihost timeout 10 curl "${args[@]}" "$BANK_API$p" </dev/null 2>&1
}
code_of() { tail -n 1 <<<"$1" | sed 's/^HTTP //'; }
body_of() { sed '$d' <<<"$1"; }

# bank_token NAME -- (re)make the rw API token NAME with gw's operator token; prints its secret.
bank_token() {
	tb_api DELETE "/api/v1/tokens/$1" >/dev/null 2>&1
	tb_api POST /api/v1/tokens "{\"name\": \"$1\", \"role\": \"rw\"}" 2>/dev/null | sed '$d' |
		jq -er .secret 2>/dev/null
}

# bank_setup -- the tenants, as the ISP's operator defines them: "bank" (bank.gwa.demo, its
# node's address and the next as its realm, one host at most) and "shop" (shop.gwa.demo),
# each with a fresh token of its own; BANK_TOK and SHOP_TOK are their secrets. FAILs (returns
# 1) on any error.
bank_setup() {
	local out
	if ! BANK_TOK=$(bank_token bank-backend) || ! SHOP_TOK=$(bank_token shop-backend); then
		fail "the operator could not make the tenants' tokens"
		return 1
	fi
	# the backend's machine certificate names the bank's token (mutual TLS)
	tb_pki_cert bank-backend bank-backend 1001 'extendedKeyUsage=clientAuth' || {
		fail "openssl could not make the bank backend's client certificate"
		return 1
	}
	out=$(tb_api PUT /api/v1/tenants/bank "{\"domains\": [\"$TB_BANK_FQDN\"],
		\"tokens\": [\"bank-backend\"], \"realm\": [\"192.168.0.70/31\"],
		\"quotas\": {\"hosts\": 1}}" 2>&1)
	[[ $(code_of "$out") == 20[01] ]] || {
		fail "PUT /api/v1/tenants/bank: $(tr '\n' ' ' <<<"$out")"
		return 1
	}
	out=$(tb_api PUT /api/v1/tenants/shop '{"domains": ["shop.gwa.demo"],
		"tokens": ["shop-backend"]}' 2>&1)
	[[ $(code_of "$out") == 20[01] ]] || {
		fail "PUT /api/v1/tenants/shop: $(tr '\n' ' ' <<<"$out")"
		return 1
	}
}

# bank_issue -- the backend issues a session name for www.bank.gwa.demo, authenticated by its
# client certificate; prints it.
bank_issue() {
	lan_api @bank-backend POST "$BANK_SESSIONS" \
		"{\"service\": \"www.$TB_BANK_FQDN\", \"ttl\": 120}" | sed '$d' | jq -er .name 2>/dev/null
}

# router_nok -- the NOK events counted against the resolver group "router" (unbound).
router_nok() {
	tb_api GET /api/v1/reputation/resolver_group/router 2>/dev/null | sed '$d' |
		jq -er '.nok' 2>/dev/null
}
nok_above() { [ "$(router_nok)" -gt "$1" ] 2>/dev/null; }
# nxdomain NAME -- the router's unbound answers NAME with NXDOMAIN (asked from public).
nxdomain() {
	tb_exec public timeout 12 dig "@$TB_RESOLVER" +tries=1 +time=5 "$1" A </dev/null 2>/dev/null |
		grep -q 'status: NXDOMAIN'
}

# 1. A session name from the bank's backend reaches the bank's nginx through the ALG, with the
#    bank's certificate; after DELETE it is NXDOMAIN and asking for it is evidence against the
#    resolver.
s_bank_session_web() {
	require || return 0
	settle || return
	bank_setup || return
	local name ip out nok0 nok ca=$TB_CA
	name=$(bank_issue)
	note "apihost (bank-backend's client certificate, $BANK_API) issued: ${name:-nothing}"
	[[ $name == s-*".$TB_BANK_FQDN" ]] || {
		out=$(lan_api @bank-backend POST "$BANK_SESSIONS" \
			"{\"service\": \"www.$TB_BANK_FQDN\"}")
		fail "the bank's backend could not issue a session name: $(tr '\n' ' ' <<<"$out")"
		return
	}
	ip=$(resolve "$name")
	note "$name -> ${ip:-nothing} (through unbound)"
	[ "$ip" = "$TB_GW_WAN" ] || {
		fail "the session name resolved to '${ip:-nothing}', not the service address $TB_GW_WAN"
		return
	}
	out=$(tb_exec public timeout 10 curl -sS --max-time 8 --cacert "$ca" \
		"https://$name/whoami" </dev/null 2>&1)
	note "https://$name/whoami -> $out"
	[ "$out" = "$TB_BANK_FQDN" ] || {
		fail "HTTPS to the session name did not reach the bank's nginx: $out"
		return
	}
	if ! cert_seen_is "$ip" "$name" "$TB_BANK_FQDN"; then
		fail "the client did not see the bank's own certificate"
		return
	fi
	# another tenant does not see the bank's names
	out=$(lan_api "$SHOP_TOK" GET "$BANK_SESSIONS/$name")
	note "shop-backend's token: GET the bank's session -> $(code_of "$out")"
	[ "$(code_of "$out")" = 404 ] || {
		fail "another tenant's token saw the bank's session: $(tr '\n' ' ' <<<"$out")"
		return
	}
	out=$(lan_api @bank-backend DELETE "$BANK_SESSIONS/$name")
	[ "$(code_of "$out")" = 204 ] || {
		fail "DELETE of the session name: $(tr '\n' ' ' <<<"$out")"
		return
	}
	# The resolver's evidence starts from nothing (a reset), so that no older evidence can
	# leave its two periods' window (20 s each) while the scenario counts.
	tb_api DELETE /api/v1/reputation/resolver_group/router >/dev/null 2>&1
	nok0=$(router_nok)
	# unbound may hold the answer: it is made to forget it, then asked again
	tb_unbound_flush
	if ! nxdomain "$name"; then
		fail "after DELETE the session name is not NXDOMAIN through unbound"
		return
	fi
	tb_wait 5 nok_above "${nok0:-0}"
	nok=$(router_nok)
	note "after DELETE: NXDOMAIN; NOK events of the resolver group router: $nok0 -> $nok"
	# the evidence is lifted again: the later scenarios expect the resolver as it started
	tb_api DELETE /api/v1/reputation/resolver_group/router >/dev/null 2>&1
	if ! [ "$nok" -gt "$nok0" ] 2>/dev/null; then
		fail "asking for the ended name did not count against the resolver ($nok0 -> $nok)"
		return
	fi
	pass "session name issued from apihost, fetched over HTTPS with the bank's certificate," \
		"NXDOMAIN after DELETE with evidence against the resolver"
}

# 2. The bank's token stays inside the bank: 404 for the ISP's hosts, 403 with the reason for a
#    host outside its zone and over its quota; a session rate used up is 429 with the reason.
s_bank_tenant_bounds() {
	require || return 0
	bank_setup || return
	local out t_end
	out=$(lan_api "$BANK_TOK" GET /api/v1/hosts/test.gwa.demo)
	note "bank's token: GET /hosts/test.gwa.demo -> $(code_of "$out")"
	[ "$(code_of "$out")" = 404 ] || {
		fail "the bank's token read the ISP's host test.gwa.demo: $(tr '\n' ' ' <<<"$out")"
		return
	}
	out=$(lan_api "$BANK_TOK" GET "/api/v1/hosts/$TB_BANK_FQDN")
	[ "$(code_of "$out")" = 200 ] || {
		fail "the bank's token cannot read its own host: $(tr '\n' ' ' <<<"$out")"
		return
	}
	out=$(lan_api "$BANK_TOK" POST /api/v1/hosts \
		'{"fqdn": "evil.test.gwa.demo", "ipv4": "192.168.0.71"}')
	note "bank's token: POST a host outside its zone -> $(code_of "$out")" \
		"$(body_of "$out" | jq -r .message 2>/dev/null)"
	if [ "$(code_of "$out")" != 403 ] ||
		! body_of "$out" | jq -e '.message | test("outside the domains of tenant bank")' \
			>/dev/null 2>&1; then
		fail "a host outside the bank's zone was not refused with 403 and the reason:" \
			"$(tr '\n' ' ' <<<"$out")"
		tb_api DELETE /api/v1/hosts/evil.test.gwa.demo >/dev/null 2>&1
		return
	fi
	out=$(lan_api "$BANK_TOK" POST /api/v1/hosts \
		"{\"fqdn\": \"web2.$TB_BANK_FQDN\", \"ipv4\": \"192.168.0.71\"}")
	note "bank's token: a second host (quota 1) -> $(code_of "$out")" \
		"$(body_of "$out" | jq -r .message 2>/dev/null)"
	if [ "$(code_of "$out")" != 403 ] || ! body_of "$out" | jq -e '.field == "quota" and
			(.message | test("over its quota of hosts"))' >/dev/null 2>&1; then
		fail "a host over the bank's quota was not refused with 403 and the reason:" \
			"$(tr '\n' ' ' <<<"$out")"
		tb_api DELETE "/api/v1/hosts/web2.$TB_BANK_FQDN" >/dev/null 2>&1
		return
	fi
	# the session rate: one name per second; the backend issues until it is refused
	out=$(tb_api PUT /api/v1/tenants/bank "{\"domains\": [\"$TB_BANK_FQDN\"],
		\"tokens\": [\"bank-backend\"], \"realm\": [\"192.168.0.70/31\"],
		\"session_rate\": 1, \"quotas\": {\"hosts\": 1}}")
	[ "$(code_of "$out")" = 200 ] || {
		fail "PUT /api/v1/tenants/bank with session_rate 1: $(tr '\n' ' ' <<<"$out")"
		return
	}
	t_end=$((SECONDS + 10))
	while ((SECONDS < t_end)); do
		out=$(lan_api "$BANK_TOK" POST "$BANK_SESSIONS" \
			"{\"service\": \"www.$TB_BANK_FQDN\", \"ttl\": 5}")
		[ "$(code_of "$out")" != 429 ] || break
	done
	note "over the session rate -> $(code_of "$out") $(body_of "$out" | jq -r .message 2>/dev/null)"
	if [ "$(code_of "$out")" != 429 ] || ! body_of "$out" |
		jq -e '.message | test("over its quota of 1 session names per second")' \
			>/dev/null 2>&1; then
		fail "the bank over its session rate was not refused with 429 and the reason:" \
			"$(tr '\n' ' ' <<<"$out")"
		return
	fi
	pass "bank's token: 404 for the ISP's host, 403 with the reason outside its zone and" \
		"over its host quota, 429 with the reason over its session rate"
}
