#!/bin/bash
# tests/system/t41_dns_resolver.sh -- a real recursive resolver (unbound, strict QNAME
# minimisation) resolving through rgwd; with the dns_tcp policy, UDP answers for services are
# truncated and unbound must complete them over TCP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

if ! command -v unbound >/dev/null; then
	echo "unbound missing"
	fail "unbound installed"
	summary
fi
P=$(free_port)
UP=$(free_port)
dns_bundle "$T/bundle.json" true false
dns_conf "$T/rgw.conf" <<CONF
wan = 127.0.0.1:$P
CONF
dns_start "$T/rgw.conf" -d || { fail "rgwd starts"; summary; }

mkdir -p "$T/unbound"
cat >"$T/unbound/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $UP
  do-not-query-localhost: no
  qname-minimisation: yes
  qname-minimisation-strict: yes
  username: ""
  chroot: ""
  directory: "$T/unbound"
  pidfile: "$T/unbound/unbound.pid"
  use-syslog: no
  logfile: "$T/unbound/unbound.log"
  verbosity: 1
  module-config: "iterator"
  do-ip6: no
remote-control:
  control-enable: no
stub-zone:
  name: "gwa.demo"
  stub-addr: 127.0.0.1@$P
CONF
timeout 300 unbound -d -c "$T/unbound/unbound.conf" >"$T/unbound/stdout" 2>&1 &
UB=$!
at_exit "kill $UB"
unbound_up() { dig +time=1 +tries=1 @127.0.0.1 -p "$UP" . NS >/dev/null 2>&1; }
poll 10 unbound_up ||
	echo "# unbound does not answer yet; the checks below will say what fails"

R="dig +time=5 +tries=1 @127.0.0.1 -p $UP"
out=$($R www.deep.a.b.gwa.demo A)
check "strict QNAME minimisation through empty non-terminals (b, a.b)" \
	grep -Eq '^www.deep.a.b.gwa.demo.[[:space:]]+0[[:space:]]+IN[[:space:]]+A[[:space:]]+100.64.1.130' <<<"$out"
check "TC from rgwd made unbound retry over TCP" grep -q "TCP connection from 127.0.0.1" "$T/rgwd.log"
out=$($R WWW.test.GWA.demo A)
check "service name through the resolver" grep -q "100.64.1.130" <<<"$out"
out=$($R deep.a.b.gwa.demo A)
check "pool service through the resolver (TC, then TCP)" \
	grep -Eq '^deep.a.b.gwa.demo.[[:space:]]+0[[:space:]]+IN[[:space:]]+A[[:space:]]+100.64.1.' <<<"$out"
out=$($R nope.gwa.demo A)
check "NXDOMAIN through the resolver" grep -q "status: NXDOMAIN" <<<"$out"
out=$($R a.b.gwa.demo A)
check "empty non-terminal through the resolver: NOERROR, no data" \
	bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "ANSWER: 0" <<<"$1"' _ "$out"
out=$($R gwa.demo SOA)
check "apex SOA through the resolver" grep -q "hostmaster.gwa.demo. 7 " <<<"$out"
dns_stop
check "rgwd counted truncated answers" bash -c "grep -Eq 'truncated [1-9]' '$T/rgwd.log'"
summary
