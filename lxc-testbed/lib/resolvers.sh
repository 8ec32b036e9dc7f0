# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/resolvers.sh -- the four recursive resolvers of the resolver matrix, each on a
# node of its own and each in the configuration Debian installs, with only what running it here
# needs (listen address, files in the state directory) and the gateway's two zones sent to the
# gateway. Every line that is not Debian's default is marked "testbed:" (what the node needs to
# run at all) or "added:" (what an operator adds to send gwa.demo to the gateway); docs/testbed.md
# lists them. Sourced by lib/services.sh.

# The zones the gateway serves (the service zone and the one-time CNAME alias zone).
TB_GW_ZONES="gwa.demo cname-gwa.demo"

# tb_resolver_start NODE KIND -- KIND: unbound, bind9, kresd, pdns.
tb_resolver_start() {
	local n=$1 kind=$2 d=$TB_STATE/nodes/$1 a
	a=$(tb_node_addr "$n")
	mkdir -p "$d"
	case $kind in
	unbound) tb_res_unbound "$n" "$d" "$a" ;;
	bind9) tb_res_bind9 "$n" "$d" "$a" ;;
	kresd) tb_res_kresd "$n" "$d" "$a" ;;
	pdns) tb_res_pdns "$n" "$d" "$a" ;;
	*) tb_die "node $n: unknown resolver $kind" ;;
	esac
	tb_wait 15 tb_exec "$n" dig +time=1 +tries=1 "@$a" localhost A ||
		tb_die "$kind did not start on $n (see $d/$kind.log)"
}

# unbound 1.17: Debian's unbound.conf includes unbound.conf.d/*.conf, which holds the root trust
# anchor (auto-trust-anchor-file) and remote control on a UNIX socket. Everything else is
# unbound's compiled-in default (QNAME minimisation on, TTL 0 passed through, no prefetch).
tb_res_unbound() {
	local n=$1 d=$2 a=$3 z
	cp /usr/share/dns/root.key "$d/root.key"
	{
		cat <<EOF
# unbound on testbed node $n (written by lxc-testbed/up)
server:
	# testbed: run as root in the node, files in the state directory, listen on the node's
	# address and answer the public segment (Debian: 127.0.0.1 only)
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	logfile: "$d/unbound.log"
	use-syslog: no
	interface: $a
	access-control: 100.64.0.0/24 allow
	# Debian (root-auto-trust-anchor-file.conf): DNSSEC validation with the root trust anchor
	auto-trust-anchor-file: "$d/root.key"
EOF
		for z in $TB_GW_ZONES; do
			printf '\t# added: %s has no DS in the (unreachable) root: do not validate it\n' "$z"
			printf '\tdomain-insecure: "%s"\n' "$z"
		done
		for z in $TB_GW_ZONES; do
			printf '# added: %s is served by the gateway\nstub-zone:\n' "$z"
			printf '\tname: "%s"\n\tstub-addr: %s\n' "$z" "$TB_GW_WAN"
		done
		cat <<EOF
# Debian (remote-control.conf): control on a UNIX socket (testbed: in the state directory)
remote-control:
	control-enable: yes
	control-interface: "$d/unbound.ctl"
EOF
	} >"$d/unbound.conf"
	unbound-checkconf "$d/unbound.conf" >"$d/unbound-checkconf.log" 2>&1 ||
		tb_die "unbound configuration rejected: $(cat "$d/unbound-checkconf.log")"
	tb_daemon "$n" unbound unbound -d -c "$d/unbound.conf"
}

# BIND 9.18: Debian's named.conf.options (directory, dnssec-validation auto, listen-on-v6 any)
# and named.conf.default-zones; named.conf.local is where an operator adds zones.
tb_res_bind9() {
	local n=$1 d=$2 a=$3 z
	mkdir -p "$d/cache"
	{
		cat <<EOF
// named.conf on testbed node $n (written by lxc-testbed/up)
options {
	// Debian: directory "/var/cache/bind" (testbed: in the state directory)
	directory "$d/cache";
	// Debian
	dnssec-validation auto;
	listen-on-v6 { any; };
	// testbed: listen on the node's address, files in the state directory
	listen-on { $a; 127.0.0.1; };
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d/cache";
EOF
		printf '\t// added: the gateway'"'"'s zones have no DS in the (unreachable) root\n'
		printf '\tvalidate-except {'
		for z in $TB_GW_ZONES; do printf ' "%s";' "$z"; done
		printf ' };\n};\n'
		cat <<EOF
// testbed: log to a file in the state directory
logging {
	channel tb { file "$d/named.log"; severity info; print-time yes; };
	category default { tb; };
	category lame-servers { null; };
};
// Debian: named.conf.default-zones
include "/etc/bind/named.conf.default-zones";
EOF
		for z in $TB_GW_ZONES; do
			printf '// added (named.conf.local): %s is served by the gateway\n' "$z"
			printf 'zone "%s" { type static-stub; server-addresses { %s; }; };\n' "$z" \
				"$TB_GW_WAN"
		done
	} >"$d/named.conf"
	named-checkconf "$d/named.conf" >"$d/named-checkconf.log" 2>&1 ||
		tb_die "named configuration rejected: $(cat "$d/named-checkconf.log")"
	tb_daemon "$n" bind9 named -f -c "$d/named.conf"
}

# Knot Resolver 5.6: Debian's kresd.conf (modules hints, stats, predict; cache 100 MB) after
# distro-preconfig.lua (cache and control socket locations; testbed: in the state directory).
tb_res_kresd() {
	local n=$1 d=$2 a=$3 z names=""
	mkdir -p "$d/cache"
	for z in $TB_GW_ZONES; do names+="'$z', "; done
	cat >"$d/kresd.conf" <<EOF
-- kresd.conf on testbed node $n (written by lxc-testbed/up)
-- testbed: log to stderr (the node's log file), control socket and cache in the state directory
log_target('stderr')
net.listen('$d/kresd.ctl', nil, { kind = 'control' })
rawset(cache, 'current_storage', 'lmdb://$d/cache')
-- testbed: listen on the node's address (Debian: 127.0.0.1 and ::1, ports 53 and 853)
net.listen('$a', 53, { kind = 'dns' })
-- Debian
modules = {
	'hints > iterate',
	'stats',
	'predict',
}
cache.size = 100 * MB
-- added: the gateway's zones are served by the gateway (Knot Resolver's documented way to
-- "replace part of the DNS tree": STUB, which does not validate what it gets)
policy.add(policy.suffix(policy.STUB({'$TB_GW_WAN'}), policy.todnames({$names})))
EOF
	tb_daemon "$n" kresd kresd -n -c "$d/kresd.conf" "$d"
}

# PowerDNS Recursor 4.8: Debian's recursor.conf (hint file, recursor.lua with the root trust
# anchors, public suffix list, quiet, security polling off).
tb_res_pdns() {
	local n=$1 d=$2 a=$3 z fz=""
	for z in $TB_GW_ZONES; do fz+="${fz:+, }$z=$TB_GW_WAN"; done
	cat >"$d/recursor.lua" <<EOF
-- recursor.lua on testbed node $n (written by lxc-testbed/up)
-- Debian
dofile("/usr/share/pdns-recursor/lua-config/rootkeys.lua")
EOF
	for z in $TB_GW_ZONES; do
		printf -- "-- added: %s has no DS in the (unreachable) root: a negative trust anchor\n" \
			"$z" >>"$d/recursor.lua"
		printf 'addNTA("%s", "served by the Realm Gateway")\n' "$z" >>"$d/recursor.lua"
	done
	cat >"$d/recursor.conf" <<EOF
# recursor.conf on testbed node $n (written by lxc-testbed/up)
# Debian
hint-file=/usr/share/dns/root.hints
public-suffix-list-file=/usr/share/publicsuffix/public_suffix_list.dat
quiet=yes
security-poll-suffix=
# Debian: lua-config-file=/etc/powerdns/recursor.lua (testbed: a copy with the additions)
lua-config-file=$d/recursor.lua
# testbed: listen on the node's address (Debian: 127.0.0.1), files in the state directory
local-address=$a
socket-dir=$d
config-dir=$d
# added: the gateway's zones are served by the gateway
forward-zones=$fz
EOF
	tb_daemon "$n" pdns pdns_recursor --config-dir="$d" --daemon=no --write-pid=no \
		--disable-syslog --log-timestamp=no
}
