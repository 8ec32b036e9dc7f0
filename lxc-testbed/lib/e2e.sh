# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/e2e.sh -- helpers of the end-to-end scenarios: results, requirements, name
# resolution through the public resolver, probes, and checks observed inside the gateway.

E2E_RESULTS=${E2E_RESULTS:-$TB_STATE/e2e/results}
E2E_CUR=${E2E_CUR:-}

# result PASS|FAIL reason -- one line per scenario, also recorded for the totals.
result() {
	local kind=$1
	shift
	printf '%s %s: %s\n' "$kind" "$E2E_CUR" "$*"
	printf '%s %s\n' "$kind" "$E2E_CUR" >>"$E2E_RESULTS"
}
pass() { result PASS "$@"; }
fail() { result FAIL "$@"; }
# Detail lines, indented under the scenario.
note() { printf '    %s\n' "$*"; }

# require -- FAIL (and return 1) unless rgwd and rgwctl are built and rgwd is serving on gw.
# Every scenario needs them: there is no scenario that can be skipped.
require() {
	if [ ! -x "$TB_RGWD" ]; then
		fail "rgwd is not built ($TB_RGWD missing)"
		return 1
	fi
	if [ ! -x "$TB_RGWCTL" ]; then
		fail "rgwctl is not built ($TB_RGWCTL missing)"
		return 1
	fi
	if ! tb_daemon_alive gw rgwd; then
		fail "rgwd is not running on gw (see $TB_STATE/nodes/gw/rgwd.log)"
		return 1
	fi
	return 0
}

in_pool() {
	local a=$1
	[[ $a =~ ^100\.64\.1\.([0-9]+)$ ]] || return 1
	((BASH_REMATCH[1] >= 131 && BASH_REMATCH[1] <= 142))
}

# resolve NAME -- through the router's recursive resolver, from the public client, as any
# Internet client would (UDP first; the resolver follows TC to TCP and CNAMEs). Prints the
# last IPv4 address of the answer, or nothing.
resolve() {
	tb_exec public timeout 12 dig "@$TB_RESOLVER" +tries=1 +time=5 +short "$1" A </dev/null \
		2>/dev/null | grep -E '^[0-9]+(\.[0-9]+){3}$' | tail -n 1
}

# probe [--src A] [--send TEXT] [--timeout S] ADDR:PORT... from the public client.
probe() { tb_exec public timeout 20 "$TB_PY" "$TB_DIR/lib/probe.py" "$@" </dev/null 2>&1; }

# udp_echo ADDR PORT [SRC] -- one datagram "hello" from the public client; prints the reply.
udp_echo() {
	local bind=""
	[ -z "${3:-}" ] || bind=",bind=$3"
	echo hello | tb_exec public timeout 6 socat -T 3 - "UDP4:$1:$2$bind" 2>/dev/null
}

# The table rgwd owns in gw, as nft prints it without counters (stateless).
gw_table() { tb_exec gw timeout 10 nft -s list table inet "$TB_NAME" </dev/null 2>/dev/null; }

# gw_curl ARGS... -- curl inside gw, trusting the testbed CA (gw's API is HTTPS).
gw_curl() { tb_exec gw curl --cacert "$TB_CA" "$@"; }

# cert_seen_is ADDR SNI FQDN -- the certificate the public client sees at ADDR:443 for the
# server name SNI is the private host FQDN's own (TLS end to end through the ALG); notes it.
cert_seen_is() {
	local seen own
	seen=$(tb_sh public "openssl s_client -connect $1:443 -servername $2 \
		</dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256" 2>/dev/null)
	own=$(openssl x509 -in "$TB_STATE/pki/$3.pem" -noout -fingerprint -sha256)
	note "certificate seen: ${seen#*=}"
	[ -n "$seen" ] && [ "$seen" = "$own" ]
}

# The whole policy, as rgwd exports it (reads the database; works while rgwd runs).
gw_export() {
	tb_exec gw timeout 20 "$TB_RGWD" --config "$TB_STATE/nodes/gw/rgw.conf" --export \
		</dev/null 2>/dev/null
}

# conntrack entries of gw (the table of the gateway's namespace).
gw_conntrack() { tb_exec gw timeout 10 conntrack -L "$@" </dev/null 2>/dev/null; }

# Live bindings in rgwd (from its status), or nothing if the API does not answer.
gw_bindings() {
	tb_rgwctl --json status 2>/dev/null | jq -er '.subsystems.nat.bindings' 2>/dev/null
}
gw_no_binding() { [ "$(gw_bindings)" = 0 ]; }

# settle [any] -- wait (up to 10 s) until every binding handed out by an earlier step has
# ended (2 s binding timeout), unless "any" is given; then make the resolver forget the
# gateway's answers and its infrastructure state. A binding still live at the deadline is
# the scenario's FAIL (returns 1).
settle() {
	if [ "${1:-}" != any ] && ! tb_wait 10 gw_no_binding; then
		fail "bindings still live 10 s after the last step (rgwd status: $(gw_bindings || echo 'no answer'))"
		return 1
	fi
	tb_unbound_flush
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
