# tests/system/ha_lib.sh -- an rgwd pair for the HA failover tests (sourced after lib.sh).
# Two gateway nodes GA and GB on a WAN switch (with the public client PUB) and a LAN switch
# (with the private server PRIV, 192.168.0.100), joined by a sync link; rgwd with DNS, NAT and
# the ALG on both, real conntrackd (the package's example conntrackd.conf) and real keepalived
# (the example keepalived.conf, its timers unless RGW_HA_ADVERT sets advert_int). Node a
# comes up first and becomes the active; node b joins as its standby and takes its policy.
# The policy channel runs TLS: each node's HTTPS API certificate (signed by the pair's CA) is
# presented on it too and checked against that CA; RGW_HA_TLS=off runs the pair plain, its API
# over plain HTTP.
# Set before sourcing: HA_POOL (the pool's range, default 100.64.1.131-100.64.1.134),
# HA_PREFIX (namespace prefix). Defines api, in_sync, keepalived_start, now_ms, role_of,
# is_role, has_vip, no_vip_b, inpub; pids holds the processes to stop; RP_a / RP_b are the
# rgwd processes.
HA_POOL=${HA_POOL:-100.64.1.131-100.64.1.134}
. "$(dirname "${BASH_SOURCE[0]}")/ha_pair.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
for c in keepalived conntrackd conntrack dig curl jq nft; do
	command -v $c > /dev/null || { echo "$c missing"; echo "0 passed, 1 failed"; exit 1; }
done

P=${HA_PREFIX:-rgwhf}$$
SW=${P}s PUB=${P}p GA=${P}a GB=${P}b PRIV=${P}h
pids=()
at_exit "ns_del $SW; ns_del $PUB; ns_del $GA; ns_del $GB; ns_del $PRIV"
at_exit "for p in \${pids[@]}; do kill \$p; done; sleep 0.2; for p in \${pids[@]}; do kill -9 \$p; done"
for n in $SW $PUB $GA $GB $PRIV; do
	ip netns add $n || { echo "0 passed, 1 failed"; exit 1; }
	ip -n $n link set lo up
done
set -e
ip -n $SW link add brw type bridge
ip -n $SW link add brl type bridge
# link NS IF BRIDGE PORT: a veth from NS (named IF) to the switch's BRIDGE
link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns $SW
	ip -n $SW link set dev "$4" master "$3"
	ip -n $SW link set dev "$4" up
	ip -n "$1" link set dev "$2" up
}
link $PUB eth0 brw vpub
link $GA wan0 brw vgaw
link $GB wan0 brw vgbw
link $GA lan0 brl vgal
link $GB lan0 brl vgbl
link $PRIV eth0 brl vpriv
ip -n $SW link set dev brw up
ip -n $SW link set dev brl up
ip link add sync0 netns $GA type veth peer name sync0 netns $GB
ip -n $GA link set dev sync0 up
ip -n $GB link set dev sync0 up
ip -n $PUB addr add 100.64.0.10/24 dev eth0
# the ISP routes the circular pool to the gateway's WAN address, a VRRP address
ip -n $PUB route add 100.64.1.0/24 via 100.64.0.1
ip -n $GA addr add 100.64.0.2/24 dev wan0
ip -n $GB addr add 100.64.0.3/24 dev wan0
ip -n $GA addr add 192.168.0.2/24 dev lan0
ip -n $GB addr add 192.168.0.3/24 dev lan0
ip -n $GA addr add 10.77.0.1/30 dev sync0
ip -n $GB addr add 10.77.0.2/30 dev sync0
ip -n $PRIV addr add 192.168.0.100/24 dev eth0
ip -n $PRIV route add default via 192.168.0.1
for g in $GA $GB; do ip netns exec $g sysctl -qw net.ipv4.ip_forward=1; done
set +e

cat > "$T/bundle.json" <<JSON
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward",
            "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.0.1"}]}],
 "service_addresses": ["100.64.1.130"],
 "pool": ["$HA_POOL"],
 "hosts": [{"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
            "services": [{"fqdn": "test.gwa.demo"},
                         {"fqdn": "www.test.gwa.demo", "proxy_required": true}]}],
 "admission": {"dns_tcp": false, "dns_cookies": false, "cache_window_ms": 0}}
JSON
. "$TOP/tools/ha/pair-conf.sh"
head -c 32 /dev/urandom | base64 > "$T/secret"
chmod 600 "$T/secret"
# HA_API: each node's API (on its loopback); HA_CA: the pair's CA (empty: plain)
HA_API=http://127.0.0.1:8080 HA_CA=""
if [ "${RGW_HA_TLS:-on}" != off ]; then
	ha_ca "$T" ca && ha_cert "$T" node-a ca "127.0.0.1 10.77.0.1" &&
		ha_cert "$T" node-b ca "127.0.0.1 10.77.0.2" ||
		{ echo "cannot make certificates"; echo "0 passed, 1 failed"; exit 1; }
	HA_API=https://127.0.0.1:8080 HA_CA=$T/ca.pem
fi
ha_tls() { # ha_tls NODE SECTION: the node's TLS keys of [api] or [ha]
	[ -n "$HA_CA" ] || return 0
	if [ "$2" = api ]; then
		printf 'tls_cert = %s\ntls_key = %s\n' "$T/node-$1.pem" "$T/node-$1.key"
	else
		echo "peer_ca = $HA_CA"
	fi
}
# node N ME PEER SYNC_ME SYNC_PEER SEED QUEUE: rgwd's and the hooks' configuration
node() {
	cat > "$T/$1.conf" <<CONF
[daemon]
database = $T/$1.db
bundle_seed = $6
[dns]
wan = 100.64.0.1:53
[nat]
enable = yes
table = rgw
queue = $7
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = yes
ports = 8081
workers = 1
[api]
listen = 127.0.0.1:8080
$(ha_tls "$1" api)
[ha]
enable = yes
role = standby
listen = $4
peer = $5
secret_file = $T/secret
retry = 300
$(ha_tls "$1" ha)
CONF
	"$RGWD" -c "$T/$1.conf" --new-token keepalived --role rw > "$T/tok.$1" 2> /dev/null
	chmod 600 "$T/tok.$1"
	cat > "$T/notify-$1.conf" <<CONF
RGW_API=$HA_API
RGW_API_CA=$HA_CA
RGW_TOKEN_FILE=$T/tok.$1
CONNTRACKD_CONF=$T/ctd-$1.conf
RGW_HA_LOG=$T/trans-$1.log
CONF
	# the package's examples with this node's addresses and this test's paths, and their
	# timers unless RGW_HA_ADVERT sets another advertisement interval
	local prio=$([ "$1" = a ] && echo 150 || echo 100)
	local ex=$TOP/docs/examples/ha
	ha_keepalived_conf "$ex/keepalived.conf" "rgw-$1" $prio "$2" "$3" \
		"100.64.0.1/24 100.64.1.130/32" "192.168.0.${2##*.}" "192.168.0.${3##*.}" 192.168.0.1/24 \
		"$TOP/tools/ha" "$T/notify-$1.conf" ${RGW_HA_ADVERT:+"$RGW_HA_ADVERT"} > "$T/ka-$1.conf"
	ha_conntrackd_conf "$ex/conntrackd.conf" "$4" "$5" "$T/ctd-$1" \
		"10.77.0.1 10.77.0.2 100.64.0.2 100.64.0.3 192.168.0.2 192.168.0.3" > "$T/ctd-$1.conf"
}
QA=$((3000 + $$ % 20000))
node a 100.64.0.2 100.64.0.3 10.77.0.1 10.77.0.2 "$T/bundle.json" $QA
node b 100.64.0.3 100.64.0.2 10.77.0.2 10.77.0.1 "" $((QA + 1))
check "node b's keepalived.conf is node a's with the roles swapped" \
	grep -q "unicast_src_ip 100.64.0.3" "$T/ka-b.conf"
check "node b's conntrackd.conf sends to node a" \
	grep -q "IPv4_Destination_Address 10.77.0.1" "$T/ctd-b.conf"

for n in a b; do
	ns=$([ $n = a ] && echo $GA || echo $GB)
	ip netns exec $ns "$RGWD" -c "$T/$n.conf" > "$T/$n.out" 2> "$T/$n.log" &
	pids+=($!)
	eval "RP_$n=$!"
	ip netns exec $ns conntrackd -C "$T/ctd-$n.conf" > /dev/null 2>&1 &
	pids+=($!)
done
check "rgwd ready on node a" wait_for 'rgwd: ready' "$T/a.log" 20
check "rgwd ready on node b" wait_for 'rgwd: ready' "$T/b.log" 20
api() { # api NODE PATH
	local ns=$([ "$1" = a ] && echo $GA || echo $GB)
	ip netns exec $ns curl -s -m 5 ${HA_CA:+--cacert "$HA_CA"} \
		-H "Authorization: Bearer $(cat "$T/tok.$1")" "$HA_API$2"
}
in_sync() { [ "$(api a /api/v1/ha | jq -r .digest)" = "$(api b /api/v1/ha | jq -r .digest)" ]; }
keepalived_start() { # keepalived_start NODE
	local ns=$([ "$1" = a ] && echo $GA || echo $GB)
	ip netns exec $ns keepalived -n -l -D -P -f "$T/ka-$1.conf" -p "$T/ka-$1.pid" \
		-r "$T/vrrp-$1.pid" > "$T/ka-$1.log" 2>&1 &
	pids+=($!)
}
now_ms() { date +%s%3N; }
role_of() { api "$1" /api/v1/ha | jq -r .role; }
is_role() { [ "$(role_of "$1")" = "$2" ]; }
has_vip() { ip -n "$1" -4 addr show dev wan0 | grep -q "100.64.0.1/"; }
# node a comes up first and takes the addresses; node b joins the running pair as its standby
keepalived_start a
check "keepalived makes node a the active" poll 20 is_role a active
check "node a holds the WAN address" poll 10 has_vip $GA
keepalived_start b
check "node b joins as the standby" poll 20 grep -q "BACKUP: rgwd is now standby" "$T/trans-b.log"
check "node b, the standby, took node a's policy over the channel" poll 20 in_sync
tls_is() { [ "$(api a /api/v1/ha | jq -r .tls)" = "$1" ] && [ "$(api b /api/v1/ha | jq -r .tls)" = "$1" ]; }
check "the channel's TLS is $([ -n "$HA_CA" ] && echo on || echo off) on both nodes" \
	tls_is "$([ -n "$HA_CA" ] && echo on || echo off)"
no_vip_b() { ! has_vip $GB; }
check "node b does not hold the WAN address" no_vip_b
check "node a is still the active" is_role a active

inpub() { ip netns exec $PUB "$@"; }
