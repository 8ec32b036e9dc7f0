# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/services.sh -- the real servers of each node role: certificates (openssl),
# unbound on the router, nginx and socat echo servers on private hosts, a peer-printing
# listener on the public client, and rgwd (from the build tree) on the gateway.
# Every configuration file is written under $TB_STATE; nothing is written anywhere else.

# ---------------------------------------------------------------------------------------------
# PKI: one testbed CA; each private host gets its own key and certificate for FQDN, www.FQDN
# and *.FQDN (the bank's session names, s-....bank.gwa.demo); gw's API has one for its
# addresses, and the bank's backend a client certificate (lib/scen_bank.sh).
tb_pki_init() {
	local p=$TB_STATE/pki
	mkdir -p "$p"
	[ -s "$p/ca.pem" ] && return 0
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=rgw testbed CA ($TB_NAME)" -days 30 -keyout "$p/ca.key" -out "$p/ca.pem" \
		>/dev/null 2>&1 || tb_die "openssl: cannot create the testbed CA"
}

# tb_pki_host FQDN SERIAL
tb_pki_host() {
	tb_pki_cert "$1" "$1" "$2" "$(printf 'subjectAltName=DNS:%s,DNS:www.%s,DNS:*.%s
extendedKeyUsage=serverAuth' "$1" "$1" "$1")" ||
		tb_die "openssl: cannot make the certificate of $1"
}

# tb_pki_cert NAME SUBJECT_CN SERIAL EXT -- a key and a certificate NAME.{key,pem} of the
# testbed CA (extensions EXT, an openssl extfile's text); kept when it exists.
tb_pki_cert() {
	local p=$TB_STATE/pki
	[ -s "$p/$1.pem" ] && return 0
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
		-keyout "$p/$1.key" -out "$p/$1.csr" >/dev/null 2>&1 &&
		printf '%s\n' "$4" >"$p/$1.ext" &&
		openssl x509 -req -in "$p/$1.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" \
			-set_serial "$3" -days 30 -extfile "$p/$1.ext" \
			-out "$p/$1.pem" >/dev/null 2>&1 || {
		tb_log "openssl: cannot make the certificate $1"
		return 1
	}
	rm -f "$p/$1.csr"
}

# Content served by every nginx: a 1 MiB file (the availability test downloads it).
tb_www_init() {
	local w=$TB_STATE/www
	mkdir -p "$w"
	if [ ! -s "$w/1m.bin" ]; then
		head -c 1048576 /dev/urandom >"$w/1m.bin"
		sha256sum "$w/1m.bin" | cut -d' ' -f1 >"$w/1m.sha256"
	fi
	printf 'rgw testbed %s\n' "$TB_NAME" >"$w/index.html"
}

# ---------------------------------------------------------------------------------------------
# router: unbound, a real recursive resolver, with the gateway's zones delegated (stub zones)
# to the gateway's service address.
tb_router_start() {
	local n=$1 d=$TB_STATE/nodes/$1
	cat >"$d/unbound.conf" <<EOF
# unbound on the testbed router (written by lxc-testbed/up)
server:
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	logfile: "$d/unbound.log"
	use-syslog: no
	verbosity: 1
	num-threads: 1
	interface: $TB_RESOLVER
	interface: $TB_RESOLVER6
	interface: 127.0.0.1
	# Queries to the gateway leave from the resolver's public address (not from the router's
	# WAN-side 100.64.1.1): that is the address the gateway's resolver groups know.
	outgoing-interface: $TB_RESOLVER
	outgoing-interface: $TB_RESOLVER6
	port: 53
	# Clients ask over IPv4 and IPv6. The gateway is reached at both of its service addresses,
	# the IPv4 one first (the scenarios judge the resolver by its IPv4 address); the names of
	# v6.gwa.demo (the IPv6 scenarios) only over IPv6.
	do-ip6: yes
	prefer-ip4: yes
	access-control: 100.64.0.0/16 allow
	access-control: 2001:db8::/32 allow
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	qname-minimisation: yes
	# The gateway answers TTL 0; negative answers are not kept either, so a name added by
	# the REST API or DNS UPDATE is seen at once.
	cache-max-negative-ttl: 1
	# Queries the gateway deliberately leaves unanswered (spoofing tests, refused
	# allocations) must not make unbound give up on it.
	infra-keep-probing: yes
	infra-host-ttl: 5
	tcp-upstream: no
stub-zone:
	name: "gwa.demo"
	stub-addr: $TB_GW_WAN
	stub-addr: $TB_GW_WAN6
stub-zone:
	name: "v6.gwa.demo"
	stub-addr: $TB_GW_WAN6
stub-zone:
	name: "cname-gwa.demo"
	stub-addr: $TB_GW_WAN
	stub-addr: $TB_GW_WAN6
remote-control:
	control-enable: yes
	control-interface: "$d/unbound.ctl"
	control-use-cert: no
EOF
	unbound-checkconf "$d/unbound.conf" >"$d/unbound-checkconf.log" 2>&1 ||
		tb_die "unbound configuration rejected: $(cat "$d/unbound-checkconf.log")"
	tb_daemon "$n" unbound unbound -d -c "$d/unbound.conf"
	tb_wait 10 tb_exec "$n" dig +time=1 +tries=1 @127.0.0.1 version.bind CH TXT ||
		tb_die "unbound did not start on $n (see $d/unbound.log)"
}

# Forget what unbound learnt about the gateway (infra and cache), between scenarios.
tb_unbound_flush() {
	local d=$TB_STATE/nodes/router
	tb_exec router unbound-control -c "$d/unbound.conf" flush_infra all >/dev/null 2>&1 || true
	tb_exec router unbound-control -c "$d/unbound.conf" flush_zone gwa.demo >/dev/null 2>&1 || true
	tb_exec router unbound-control -c "$d/unbound.conf" flush_zone cname-gwa.demo \
		>/dev/null 2>&1 || true
	tb_exec router unbound-control -c "$d/unbound.conf" flush_requestlist >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------------
# Echo servers: TCP and UDP on 2000-2010 (and TCP over IPv6 on 2000). Each reply line is "FQDN PORT/PROTO <line received>",
# so that a client knows which host and port it reached.
TB_ECHO_PORTS="2000 2001 2002 2003 2004 2005 2006 2007 2008 2009 2010"

tb_echo_start() {
	local n=$1 id=$2 d=$TB_STATE/nodes/$1
	mkdir -p "$d"
	# One entry into the node for all 22 servers (an lxc-attach per server costs ~50 ms).
	# shellcheck disable=SC2016
	tb_exec "$n" setsid bash -c 'd=$1 id=$2 reply=$3; shift 3
		for p in "$@"; do
			socat -T 30 "TCP4-LISTEN:$p,reuseaddr,fork" "EXEC:$reply $id $p/tcp" \
				>>"$d/echo-tcp$p.log" 2>&1 </dev/null &
			echo $! >"$d/echo-tcp$p.pid"
			socat -T 5 "UDP4-RECVFROM:$p,fork" "EXEC:$reply $id $p/udp" \
				>>"$d/echo-udp$p.log" 2>&1 </dev/null &
			echo $! >"$d/echo-udp$p.pid"
			[ "$p" = 2000 ] || continue
			# IPv6 (pinholes): TCP on the first port only
			socat -T 30 "TCP6-LISTEN:$p,ipv6only=1,reuseaddr,fork" "EXEC:$reply $id $p/tcp" \
				>>"$d/echo-tcp6-$p.log" 2>&1 </dev/null &
			echo $! >"$d/echo-tcp6-$p.pid"
		done' _ "$d" "$id" "$TB_DIR/lib/echo-reply" $TB_ECHO_PORTS </dev/null
}

# nginx: HTTP on 80/8080/8000 and HTTPS on 443/8443 with the host's own certificate (8000 and
# 443 over IPv6 too); the same behind a PROXY v2 header on 9080 and 9443.
tb_nginx_start() {
	local n=$1 fqdn=$2 d=$TB_STATE/nodes/$1 p=$TB_STATE/pki
	mkdir -p "$d/nginx-tmp"
	cat >"$d/nginx.conf" <<EOF
# nginx on testbed host $fqdn (written by lxc-testbed/up)
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/nginx-error.log warn;
events { worker_connections 1024; }
http {
	access_log $d/nginx-access.log;
	client_body_temp_path $d/nginx-tmp/body;
	proxy_temp_path $d/nginx-tmp/proxy;
	fastcgi_temp_path $d/nginx-tmp/fastcgi;
	uwsgi_temp_path $d/nginx-tmp/uwsgi;
	scgi_temp_path $d/nginx-tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	keepalive_timeout 10;
	server {
		listen 80;
		listen 8080;
		listen 443 ssl;
		listen 8443 ssl;
		# over IPv6 too (the ALG's backends; 8000: a port the ALG leaves alone)
		listen [::]:443 ssl;
		listen 8000;
		listen [::]:8000;
		server_name $fqdn www.$fqdn;
		ssl_certificate $p/$fqdn.pem;
		ssl_certificate_key $p/$fqdn.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $TB_STATE/www;
		location = /whoami {
			default_type text/plain;
			return 200 "$fqdn\n";
		}
	}
	# Behind an ALG that sends a PROXY v2 header (the nested gateway's routes): the client's
	# address, as the header carries it, answered and logged.
	log_format pp '\$proxy_protocol_addr \$remote_addr \$ssl_server_name "\$request"';
	server {
		listen 9080 proxy_protocol;
		listen 9443 ssl proxy_protocol;
		server_name $fqdn www.$fqdn;
		ssl_certificate $p/$fqdn.pem;
		ssl_certificate_key $p/$fqdn.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		access_log $d/nginx-proxy.log pp;
		root $TB_STATE/www;
		location = /whoami {
			default_type text/plain;
			return 200 "$fqdn \$proxy_protocol_addr\n";
		}
	}
}
EOF
	tb_daemon "$n" nginx nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
}

# The public client's listener for the SNAT scenario: prints the peer address it sees.
tb_client_start() {
	local n=$1 a
	a=$(tb_node_addr "$n")
	# shellcheck disable=SC2016
	tb_daemon "$n" peer socat -T 5 "TCP4-LISTEN:3000,bind=$a,reuseaddr,fork" \
		'SYSTEM:echo "peer $SOCAT_PEERADDR"'
}

# ---------------------------------------------------------------------------------------------
# gateway: rgwd from the build tree, its own configuration and database, the example policy.
# tb_rgwd_conf NODE WAN LAN UPSTREAM TABLE [DNS_LINE [API_LINES]] -- the rgw.conf of an rgwd in
# NODE (gw, or a nested gateway): DNS on WAN (one address or several, space-separated), LAN
# and 127.0.0.1 (port 53), UPSTREAM its LAN forwarder's, nftables table TABLE between wan0 and
# lan0, the ALG on the policy's service addresses, the API inside the node (API_LINES, when
# given, in place of that: the whole of [api]); DNS_LINE one more line of [dns].
tb_rgwd_conf() {
	cat <<EOF
# rgw.conf of the testbed node $1 (written by lxc-testbed/up)
[daemon]
database = $TB_STATE/nodes/$1/rgw.db

[log]
level = info

[dns]
wan = $(for a in $2; do [[ $a != *:* ]] || a="[$a]"; printf '%s:53, ' "$a"; done | sed 's/, $//')
lan = $3:53
local = 127.0.0.1:53
${6:-}
upstream = $4:53

[nat]
table = $5
queue = 1
wan_interfaces = wan0
lan_interfaces = lan0

[alg]
hostname_timeout = 2000

[api]
${7:-listen = ${TB_API_URL#http://}}
EOF
}

# tb_rgw_conf [NODE] -- rgw.conf of gateway NODE (default gw; with up --ha also gwb, whose
# NFQUEUE is 2; both get the [ha] section of lib/ha.sh).
tb_rgw_conf() {
	local n=${1:-gw}
	local d=$TB_STATE/nodes/$n p=$TB_STATE/pki api='' wan="$TB_GW_WAN $TB_GW_WAN6"
	# gw alone: its API over HTTPS on loopback and on its LAN address, taking client
	# certificates of the testbed CA; the pair of up --ha keeps plain HTTP on loopback (and is
	# IPv4 only)
	[ -n "${TB_HA:-}" ] || api="listen = ${TB_GW_API_URL#https://}, $TB_GW_LAN:$TB_API_LAN_PORT
tls_cert = $p/gw-api.pem
tls_key = $p/gw-api.key
tls_client_ca = $TB_CA"
	[ -z "${TB_HA:-}" ] || wan=$TB_GW_WAN
	tb_rgwd_conf "$n" "$wan" "$TB_GW_LAN" "$TB_RESOLVER" "$TB_NAME" \
		"ddns = $TB_GW_LAN:$TB_DDNS_PORT" "$api" |
		sed "/^queue = /s/1/$([ "$n" = gw ] && echo 1 || echo 2)/"
	cat <<EOF

[ids]
enable = yes                   ; Suricata on lan0 writes its alerts here
eve_socket = $d/eve.sock
severity = 2
block_time = 30
EOF
	[ -z "${TB_HA:-}" ] || tb_ha_rgw_conf "$n"
}

# Suricata in the gateway node, watching the LAN side (af-packet on lan0) with one local rule
# (the test string RGWTB-EVIL-STRING, priority 1), its EVE alerts going to rgwd's socket.
# Suricata reconnects by itself when rgwd restarts.
tb_suricata_start() {
	local d=$TB_STATE/nodes/gw
	command -v suricata >/dev/null || {
		tb_log "gw: suricata is not installed (make deps-demo)"
		return 1
	}
	mkdir -p "$d/suricata"
	cat >"$d/suricata/local.rules" <<'RULES'
alert tcp any any -> any any (msg:"rgwtb test string"; content:"RGWTB-EVIL-STRING"; sid:1000001; rev:1; priority:1;)
RULES
	cat >"$d/suricata/suricata.yaml" <<YAML
%YAML 1.1
---
default-log-dir: $d/suricata
default-rule-path: $d/suricata
rule-files: [local.rules]
classification-file: /etc/suricata/classification.config
reference-config-file: /etc/suricata/reference.config
outputs:
  - eve-log:
      enabled: yes
      filetype: unix_stream
      filename: $d/eve.sock
      types:
        - alert
af-packet:
  - interface: lan0
    cluster-id: 98
    cluster-type: cluster_flow
    defrag: yes
app-layer:
  protocols:
    tls: {enabled: no}
    http: {enabled: no}
logging:
  default-log-level: notice
YAML
	tb_daemon gw suricata suricata -c "$d/suricata/suricata.yaml" --af-packet=lan0 -k none
}

# Suricata runs and its EVE writer is connected to rgwd.
tb_suricata_ready() {
	tb_daemon_alive gw suricata &&
		grep -q 'EVE writer connected' "$TB_STATE/nodes/gw/rgwd.log" 2>/dev/null
}

# tb_rgwd_prepare NODE BUNDLE -- check NODE's rgw.conf (written by the caller), import the
# policy BUNDLE (none when empty), create an API token. Prints nothing on success.
tb_rgwd_prepare() {
	local n=$1 bundle=$2 d=$TB_STATE/nodes/$1 out
	rm -f "$d/rgw.db" "$d/rgw.db-wal" "$d/rgw.db-shm" "$d/api-token"
	[ -x "$TB_RGWD" ] || return 0
	if ! out=$(tb_exec "$n" timeout 20 "$TB_RGWD" --config "$d/rgw.conf" --check-config 2>&1 \
		</dev/null); then
		printf '%s\n' "$out" >"$d/check-config.log"
		tb_log "$n: rgwd --check-config failed (see $d/check-config.log):"
		tb_log "$out"
		return 1
	fi
	if [ -z "$bundle" ]; then
		:
	elif [ -r "$bundle" ]; then
		if ! out=$(tb_exec "$n" timeout 60 "$TB_RGWD" --config "$d/rgw.conf" --import "$bundle" \
			2>&1 </dev/null); then
			printf '%s\n' "$out" >"$d/import.log"
			tb_log "$n: rgwd --import $bundle failed:"
			tb_log "$out"
			return 1
		fi
	else
		tb_log "$n: no policy bundle at $bundle: rgwd starts with an empty policy"
	fi
	# The secret is printed once; it is the last word of the output.
	if ! out=$(tb_exec "$n" timeout 20 "$TB_RGWD" --config "$d/rgw.conf" --new-token testbed \
		--role rw 2>/dev/null </dev/null); then
		tb_log "$n: rgwd --new-token failed"
		return 1
	fi
	printf '%s\n' "$out" | awk 'NF { w = $NF } END { print w }' >"$d/api-token"
	chmod 600 "$d/api-token"
}

# tb_gw_prepare [NODE] -- write the config of gateway NODE (default gw), import the policy
# (with the topology's nested gateways marked, lib/nested.sh; gw only: with up --ha, gwb takes
# it from gw over the policy channel), create an API token. Prints nothing on success.
tb_gw_prepare() {
	local g=${1:-gw}
	local d=$TB_STATE/nodes/$g
	mkdir -p "$d"
	tb_pki_cert gw-api "rgwd API on gw" 1000 "subjectAltName=IP:127.0.0.1,IP:$TB_GW_LAN
extendedKeyUsage=serverAuth" || return 1
	tb_rgw_conf "$g" >"$d/rgw.conf"
	tb_rgwd_prepare "$g" "$([ "$g" != gw ] || tb_gw_bundle)"
}

# tb_rgwd_ready NODE WAN ZONE LOGPOS -- the process is alive, logged "rgwd: ready" since it was
# started (log offset LOGPOS), its DNS answers ZONE's SOA on WAN and its API answers.
tb_rgwd_ready() {
	local log=$TB_STATE/nodes/$1/rgwd.log
	tb_daemon_alive "$1" rgwd || return 1
	[[ $(tail -c +"$(($4 + 1))" "$log" 2>/dev/null) == *"rgwd: ready"* ]] || return 1
	tb_exec "$1" dig +time=1 +tries=1 +norec "@$2" "$3" SOA >/dev/null || return 1
	tb_exec "$1" curl -s -o /dev/null --max-time 2 --cacert "$TB_CA" \
		"$(tb_api_url "$1")/api/v1/status"
}

# tb_rgwd_start NODE WAN ZONE -- start rgwd in NODE and wait until it serves. Returns non-zero
# (with the log tail) if it does not.
tb_rgwd_start() {
	local n=$1 d=$TB_STATE/nodes/$1 pos
	[ -x "$TB_RGWD" ] || return 0
	pos=$(stat -c %s "$d/rgwd.log" 2>/dev/null || echo 0)
	tb_daemon "$n" rgwd "$TB_RGWD" --config "$d/rgw.conf"
	if ! tb_wait 15 tb_rgwd_ready "$n" "$2" "$3" "$pos"; then
		tb_log "$n: rgwd is not serving; last lines of $d/rgwd.log:"
		tail -n 20 "$d/rgwd.log" >&2 2>/dev/null || true
		return 1
	fi
}

# Start rgwd on gw (and Suricata beside it).
tb_gw_start() {
	tb_rgwd_start gw "$TB_GW_WAN" gwa.demo || return 1
	tb_daemon_alive gw suricata || tb_suricata_start || return 1
}

tb_gw_stop() { tb_daemon_kill gw rgwd "${1:-TERM}"; }

# ---------------------------------------------------------------------------------------------
# Start the servers of one node according to its role.
tb_node_services() {
	local n=$1
	case ${TB_ROLE[$n]} in
	router) tb_router_start "$n" ;;
	client) tb_client_start "$n" ;;
	gateway) ;; # rgwd is started last, once every host answers
	private)
		tb_nginx_start "$n" "${TB_FQDN[$n]}"
		tb_echo_start "$n" "${TB_FQDN[$n]}"
		;;
	lanhost) tb_echo_start "$n" "${TB_FQDN[$n]}" ;;
	nested) ;; # its rgwd starts once the hosts behind it answer, before gw's (lib/nested.sh)
	resolver) tb_resolver_start "$n" "${TB_FQDN[$n]}" ;;
	*) tb_die "node $n: unknown role ${TB_ROLE[$n]}" ;;
	esac
}

# The resolvers of the resolver matrix.
# shellcheck source=resolvers.sh
. "$TB_DIR/lib/resolvers.sh"
# Nested gateways (role nested).
# shellcheck source=nested.sh
. "$TB_DIR/lib/nested.sh"
# The bank tenant's rows in gw's policy.
# shellcheck source=bank.sh
. "$TB_DIR/lib/bank.sh"
