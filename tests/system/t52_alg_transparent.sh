#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/t52_alg_transparent.sh -- ALG transparent source mode, in three network
# namespaces created here (client, gateway, backend): the backend sees the client's address,
# over IPv4 and over IPv6.
# The policy routing transparent mode needs is set up inside the gateway namespace only.
. "$(dirname "$0")/alg_lib.sh"

C=rgwalgc$$ G=rgwalgg$$ B=rgwalgb$$
NETNS="$C $G $B"
for n in $NETNS; do ip netns add $n && ip -n $n link set lo up || exit 1; done
ip link add tc$$ type veth peer name tgc$$ || exit 1
ip link set tc$$ netns $C && ip link set tgc$$ netns $G
ip link add tb$$ type veth peer name tgb$$ || exit 1
ip link set tb$$ netns $B && ip link set tgb$$ netns $G
ip -n $C addr add 10.77.1.2/24 dev tc$$ && ip -n $C link set tc$$ up
ip -n $C route add default via 10.77.1.1
ip -n $G addr add 10.77.1.1/24 dev tgc$$ && ip -n $G link set tgc$$ up
ip -n $G addr add 10.77.2.1/24 dev tgb$$ && ip -n $G link set tgb$$ up
ip -n $B addr add 10.77.2.2/24 dev tb$$ && ip -n $B link set tb$$ up
ip -n $B route add default via 10.77.2.1
ip netns exec $G sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n $C addr add fd77:1::2/64 dev tc$$ nodad && ip -n $C -6 route add default via fd77:1::1
ip -n $G addr add fd77:1::1/64 dev tgc$$ nodad
ip -n $G addr add fd77:2::1/64 dev tgb$$ nodad
ip -n $B addr add fd77:2::2/64 dev tb$$ nodad && ip -n $B -6 route add default via fd77:2::1
# replies from the backend to the client's address are delivered to rgwd's transparent socket
ip -n $G rule add fwmark 0x1 lookup 100
ip -n $G route add local 0.0.0.0/0 dev lo table 100
ip -n $G -6 rule add fwmark 0x1 lookup 100
ip -n $G -6 route add local ::/0 dev lo table 100
ip netns exec $G nft -f - <<'NFT' || { echo "nft failed"; exit 1; }
table inet rgwalgtp {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp socket transparent 1 meta mark set 0x1
	}
}
NFT

cat > "$T/nginx.body" <<NGX
	server { listen 10.77.2.2:80; listen [fd77:2::2]:80;
		location / { return 200 "\$remote_addr\n"; } }
NGX
NGINX_NS=$B start_nginx || exit 1
cat > "$T/bundle.json" <<JSON
{"version": 1, "alg_routes": [
 {"hostname": "tp.alg.test", "port": 0, "backend": "10.77.2.2:80", "preserve": "transparent"},
 {"hostname": "np.alg.test", "port": 0, "backend": "10.77.2.2:80", "preserve": "none"},
 {"hostname": "tp6.alg.test", "port": 0, "backend": "[fd77:2::2]:80", "preserve": "transparent"}]}
JSON
RGWD_NS=$G start_rgwd "listen = 10.77.1.1:80, [fd77:1::1]:80
workers = 2" || exit 1

CURL="ip netns exec $C curl -s --max-time 5"
check "preserve none: the backend sees the gateway (10.77.2.1)" \
	[ "$($CURL -H 'Host: np.alg.test' http://10.77.1.1/)" = 10.77.2.1 ]
check "preserve transparent: the backend sees the client (10.77.1.2)" \
	[ "$($CURL -H 'Host: tp.alg.test' http://10.77.1.1/)" = 10.77.1.2 ]
ok5=0
for i in 1 2 3 4 5; do
	[ "$($CURL -H 'Host: tp.alg.test' http://10.77.1.1/)" = 10.77.1.2 ] && ok5=$((ok5 + 1))
done
check "transparent mode, 5 more connections" [ "$ok5" = 5 ]
# the first IPv6 flow over the fresh links waits for neighbour discovery: poll for it
tp6() { [ "$($CURL -H 'Host: tp6.alg.test' 'http://[fd77:1::1]/')" = fd77:1::2 ]; }
check "preserve transparent over IPv6: the backend sees the client (fd77:1::2)" poll 15 tp6
check "... and again at once" tp6
check "access log names the route" grep -q "name=tp.alg.test backend=10.77.2.2:80.*outcome=ok" "$T/rgwd.log"
check "daemon alive" alive
finish
