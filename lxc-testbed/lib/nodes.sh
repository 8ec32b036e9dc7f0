# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/nodes.sh -- render the topology: bridges, nodes (LXC application containers
# sharing the host's root file system, or network namespaces), interfaces, addresses, routes,
# sysctls; and tear all of it down again. Nothing here touches the host's own addresses,
# routes or firewall: the bridges carry no address, and everything else lives in the nodes.

tb_netns_exists() {
	local l
	l=$(ip netns list 2>/dev/null | awk '{ print $1 }')
	grep -qxF "$1" <<<"$l"
}

# Record an object we created, so that down removes exactly what up made.
tb_record() { printf '%s %s\n' "$1" "$2" >>"$TB_STATE/objects"; }

tb_bridge_create() {
	local br
	br=$(tb_br "$1")
	if ! ip link show "$br" >/dev/null 2>&1; then
		ip link add "$br" type bridge
		tb_record bridge "$br"
	fi
	# No address at all on the host side, not even an IPv6 link-local one.
	ip link set dev "$br" addrgenmode none 2>/dev/null || true
	ip link set dev "$br" type bridge stp_state 0 forward_delay 0 2>/dev/null || true
	ip link set "$br" up
}

# The host end of a veth: attached to the bridge, no address.
tb_host_end() {
	local veth=$1 br=$2
	ip link set dev "$veth" addrgenmode none 2>/dev/null || true
	if [ -w "/proc/sys/net/ipv6/conf/$veth/disable_ipv6" ]; then
		echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
	fi
	ip link set dev "$veth" master "$br"
	ip link set dev "$veth" up
}

# LXC configuration of one node: an application container on the host's root file system with
# one veth per interface of the topology.
tb_render_lxc_conf() {
	local n=$1 e k=0 ifn seg
	local d=$TB_STATE/nodes/$n
	cat <<EOF
# $(tb_ct "$n"): node "$n" (${TB_ROLE[$n]}) of testbed $TB_NAME, written by lxc-testbed/up
lxc.uts.name = $n
lxc.rootfs.path =
lxc.mount.auto = proc:rw sys:rw
lxc.mount.entry = $d/resolv.conf etc/resolv.conf none bind,ro 0 0
lxc.console.path = none
lxc.pty.max = 0
lxc.tty.max = 0
lxc.apparmor.profile = unconfined
EOF
	for e in "${TB_IFACES[@]}"; do
		IFS='|' read -r nn ifn seg _ <<<"$e"
		[ "$nn" = "$n" ] || continue
		cat <<EOF
lxc.net.$k.type = veth
lxc.net.$k.link = $(tb_br "$seg")
lxc.net.$k.name = $ifn
lxc.net.$k.veth.pair = $(tb_veth "$n" "$(tb_letter "$k")")
lxc.net.$k.flags = up
EOF
		k=$((k + 1))
	done
}

# Can this machine run an LXC application container? (A throw-away one, no network.)
tb_lxc_works() {
	local d=$TB_STATE/lxc-probe rc=0
	mkdir -p "$d/path"
	cat >"$d/probe.conf" <<EOF
lxc.uts.name = probe
lxc.rootfs.path =
lxc.mount.auto = proc:rw sys:rw
lxc.console.path = none
lxc.pty.max = 0
lxc.tty.max = 0
lxc.apparmor.profile = unconfined
lxc.net.0.type = empty
EOF
	timeout 20 lxc-execute -P "$d/path" -n "$TB_NAME-probe" -f "$d/probe.conf" \
		-o "$d/probe.log" -l WARN -- true </dev/null >/dev/null 2>&1 || rc=1
	[ "$rc" = 0 ] && rm -rf "$d"
	return "$rc"
}

tb_letter() {
	local l=abcdefghij
	printf '%s' "${l:$1:1}"
}

tb_node_create() {
	local n=$1 ct d
	ct=$(tb_ct "$n")
	d=$TB_STATE/nodes/$n
	mkdir -p "$d"
	printf 'nameserver %s\n' "${TB_RESOLV[$n]:-127.0.0.1}" >"$d/resolv.conf"
	if [ "$TB_MODE" = lxc ]; then
		tb_render_lxc_conf "$n" >"$d/lxc.conf"
		mkdir -p "$TB_STATE/lxc"
		tb_record container "$ct"
		timeout 30 lxc-execute -P "$TB_STATE/lxc" -n "$ct" -f "$d/lxc.conf" -d \
			-o "$d/lxc.log" -l WARN -- sleep infinity </dev/null ||
			tb_die "lxc-execute failed for $ct (see $d/lxc.log)"
		tb_wait 20 tb_exec "$n" true || tb_die "container $ct did not start (see $d/lxc.log)"
		local e k=0 seg
		for e in "${TB_IFACES[@]}"; do
			IFS='|' read -r nn _ seg _ <<<"$e"
			[ "$nn" = "$n" ] || continue
			tb_host_end "$(tb_veth "$n" "$(tb_letter "$k")")" "$(tb_br "$seg")"
			k=$((k + 1))
		done
	else
		if ! tb_netns_exists "$ct"; then
			ip netns add "$ct"
			tb_record netns "$ct"
		fi
		# ip netns exec bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf.
		mkdir -p "/etc/netns/$ct"
		tb_record netnsetc "/etc/netns/$ct"
		cp "$d/resolv.conf" "/etc/netns/$ct/resolv.conf"
		local e k=0 ifn seg veth
		for e in "${TB_IFACES[@]}"; do
			IFS='|' read -r nn ifn seg _ <<<"$e"
			[ "$nn" = "$n" ] || continue
			veth=$(tb_veth "$n" "$(tb_letter "$k")")
			ip link add "$veth" type veth peer name "$ifn" netns "$ct"
			tb_record link "$veth"
			tb_host_end "$veth" "$(tb_br "$seg")"
			ip -n "$ct" link set "$ifn" up
			k=$((k + 1))
		done
	fi
}

# Addresses, routes and sysctls inside the node.
tb_node_configure() {
	local n=$1 e nn ifn seg addrs a dest gw kv script="set -e; ip link set lo up;"
	for e in "${TB_SYSCTLS[@]}"; do
		IFS='|' read -r nn kv <<<"$e"
		[ "$nn" = "$n" ] && script+=" sysctl -qw '$kv';"
	done
	for e in "${TB_IFACES[@]}"; do
		IFS='|' read -r nn ifn seg addrs <<<"$e"
		[ "$nn" = "$n" ] || continue
		# IPv6 without duplicate address detection: usable at once (daemons bind to it)
		for a in $addrs; do
			case $a in
			*:*) script+=" ip addr add $a dev $ifn nodad;" ;;
			*) script+=" ip addr add $a dev $ifn;" ;;
			esac
		done
		script+=" ip link set $ifn up;"
	done
	for e in "${TB_ROUTES[@]}"; do
		IFS='|' read -r nn dest gw <<<"$e"
		[ "$nn" = "$n" ] && script+=" ip route add $dest via $gw;"
	done
	tb_sh "$n" "$script" </dev/null
}

# Stop a node and every process in it.
tb_node_destroy_lxc() {
	local ct=$1
	if lxc-info -P "$TB_STATE/lxc" -n "$ct" >/dev/null 2>&1; then
		timeout 20 lxc-stop -P "$TB_STATE/lxc" -n "$ct" -k >/dev/null 2>&1 || true
	fi
}

tb_node_destroy_netns() {
	local ct=$1 pids
	tb_netns_exists "$ct" || return 0
	# Only processes inside our own namespace.
	pids=$(ip netns pids "$ct" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do
		[ -n "$(ip netns pids "$ct" 2>/dev/null)" ] || break
		sleep 0.1
	done
	ip netns del "$ct" 2>/dev/null || true
}

# Remove everything recorded in $TB_STATE/objects (and, when the state is lost, what the
# topology says this instance would have created).
tb_teardown() {
	local kind obj e
	local -a objs=()
	if [ -r "$TB_STATE/objects" ]; then
		mapfile -t objs <"$TB_STATE/objects"
	fi
	# What the topology implies, for a state directory that was lost or never written.
	local n s
	for n in "${TB_NODES[@]}"; do
		if lxc-info -P "$TB_STATE/lxc" -n "$(tb_ct "$n")" >/dev/null 2>&1; then
			objs+=("container $(tb_ct "$n")")
		fi
		if tb_netns_exists "$(tb_ct "$n")"; then
			objs+=("netns $(tb_ct "$n")")
		fi
		[ ! -d "/etc/netns/$(tb_ct "$n")" ] || objs+=("netnsetc /etc/netns/$(tb_ct "$n")")
	done
	for s in "${TB_SEGMENTS[@]}"; do
		ip link show "$(tb_br "$s")" >/dev/null 2>&1 && objs+=("bridge $(tb_br "$s")")
	done
	# Containers and namespaces first (their processes die with them), then links, bridges.
	for kind in container netns link bridge netnsetc; do
		for e in "${objs[@]}"; do
			[ "${e%% *}" = "$kind" ] || continue
			obj=${e#* }
			case $kind in
			container) tb_node_destroy_lxc "$obj" ;;
			netns) tb_node_destroy_netns "$obj" ;;
			link | bridge) ip link del "$obj" 2>/dev/null || true ;;
			netnsetc)
				case $obj in
				/etc/netns/"$TB_NAME"-*) rm -rf "$obj" ;;
				esac
				;;
			esac
		done
	done
}
