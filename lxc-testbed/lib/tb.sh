# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: MIT
# lxc-testbed/lib/tb.sh -- shared functions of the testbed commands: names, state, topology,
# nodes (LXC application containers or network namespaces), running commands inside nodes.
# Sourced by up, down, run-e2e, shell and demo; defines functions and variables only.

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RGW_ROOT=$(cd "$TB_DIR/.." && pwd)

# Instance name: prefix of every bridge, veth, container and namespace we create. A second
# instance (the system test) runs beside a demo under another name.
TB_NAME=${RGWTB_NAME:-rgwtb}
if ! [[ $TB_NAME =~ ^[a-z][a-z0-9]{0,9}$ ]]; then
	echo "RGWTB_NAME must be 1-10 characters [a-z0-9], starting with a letter: '$TB_NAME'" >&2
	exit 2
fi
TB_STATE=${RGWTB_STATE:-/run/$TB_NAME}

# The build tree holding rgwd and rgwctl (make demo passes RGW_BUILD=build).
RGW_BUILD=${RGW_BUILD:-build}
case $RGW_BUILD in
/*) ;;
*) RGW_BUILD=$RGW_ROOT/$RGW_BUILD ;;
esac
TB_RGWD=$RGW_BUILD/rgwd
TB_RGWCTL=$RGW_BUILD/rgwctl
TB_BUNDLE=${RGWTB_BUNDLE:-$RGW_ROOT/docs/examples/gwa.demo.json}

# python3 from Debian (python3-scapy lives there), never a user's pyenv shim.
TB_PY=/usr/bin/python3

# Where each service of the gateway listens (keep in step with render_rgw_conf).
TB_GW_WAN=100.64.1.130
TB_GW_WAN6=2001:db8:1::130
TB_GW_LAN=192.168.0.1
TB_RESOLVER=100.64.0.1
TB_RESOLVER6=2001:db8::1
TB_DDNS_PORT=5353
# gw's API also on its LAN address (the bank's backend on apihost)
TB_API_LAN_PORT=8080
# The API of each rgwd, inside its node: the nested gateways' plain HTTP on loopback; gw's
# HTTPS (the testbed CA's certificate, on loopback and on its LAN address) that also takes
# client certificates of the testbed CA instead of a token (mutual TLS: the bank's backend).
TB_API_URL=http://127.0.0.1:8080
TB_GW_API_URL=https://127.0.0.1:8080
TB_CA=$TB_STATE/pki/ca.pem
# (The pair of up --ha, gw and gwb, keeps plain HTTP.) tb_api_url [NODE] -- NODE's API URL.
tb_api_url() {
	if [ "${1:-gw}" = gw ] && [ -z "${TB_HA:-}" ]; then
		echo "$TB_GW_API_URL"
	else
		echo "$TB_API_URL"
	fi
}

tb_log() { printf '%s\n' "$*" >&2; }
tb_die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}
tb_need_root() { [ "$(id -u)" = 0 ] || tb_die "must run as root (network namespaces, LXC)"; }

# ---------------------------------------------------------------------------------------------
# Topology: the statements of lxc-testbed/topology fill these.
TB_SEGMENTS=()
TB_NODES=()
TB_IFACES=()  # "node|ifname|segment|addr/len addr/len..."
TB_ROUTES=()  # "node|dest|gateway"
TB_SYSCTLS=() # "node|key=value"
declare -A TB_ROLE=() TB_FQDN=() TB_RESOLV=() TB_INDEX=()

segment() { TB_SEGMENTS+=("$1"); }
node() {
	TB_INDEX[$1]=${#TB_NODES[@]}
	TB_NODES+=("$1")
	TB_ROLE[$1]=$2
	TB_FQDN[$1]=${3:-}
}
iface() {
	local n=$1 ifn=$2 seg=$3
	shift 3
	TB_IFACES+=("$n|$ifn|$seg|$*")
}
route() { TB_ROUTES+=("$1|$2|$3"); }
sysctl() { TB_SYSCTLS+=("$1|$2"); }
resolver() { TB_RESOLV[$1]=$2; }
# addr_range 100.64.0. 101 109 32 -> "100.64.0.101/32 ... 100.64.0.109/32"
addr_range() {
	local i out=""
	for ((i = $2; i <= $3; i++)); do out+="$1$i/$4 "; done
	printf '%s' "$out"
}

# TB_HA: non-empty for the HA pair (up --ha; the others read $TB_STATE/ha). Set it before
# tb_load_topology to choose; unset, the running testbed's choice is taken.
tb_load_topology() {
	if [ -z "${TB_HA+set}" ]; then
		TB_HA=
		[ ! -e "$TB_STATE/ha" ] || TB_HA=1
	fi
	# shellcheck source=../topology
	. "$TB_DIR/topology"
	unset -f sysctl # the statement shadowed the command of the same name
}

tb_ct() { printf '%s-%s' "$TB_NAME" "$1"; }	# container / namespace name
tb_br() { printf '%s-%s' "$TB_NAME" "$1"; }	# bridge name
tb_veth() { printf '%s-%s%s' "$TB_NAME" "${TB_INDEX[$1]}" "$2"; } # host end: node idx, iface letter

# Addresses of NODE (first address of its first interface, without length).
tb_node_addr() {
	local e
	for e in "${TB_IFACES[@]}"; do
		IFS='|' read -r n _ _ addrs <<<"$e"
		if [ "$n" = "$1" ]; then
			set -- $addrs
			printf '%s' "${1%/*}"
			return 0
		fi
	done
	return 1
}

# ---------------------------------------------------------------------------------------------
# Mode: lxc (default when lxc-execute exists) or netns (fallback, or RGWTB_MODE=netns).
tb_pick_mode() {
	local m=${RGWTB_MODE:-auto}
	case $m in
	lxc | netns) ;;
	auto)
		if command -v lxc-execute >/dev/null && command -v lxc-attach >/dev/null; then
			m=lxc
		else
			m=netns
		fi
		;;
	*) tb_die "RGWTB_MODE must be lxc, netns or auto, not '$m'" ;;
	esac
	printf '%s' "$m"
}

tb_mode() {
	if [ -r "$TB_STATE/mode" ]; then
		cat "$TB_STATE/mode"
	else
		tb_pick_mode
	fi
}

tb_is_up() { [ -e "$TB_STATE/up" ]; }

# Run a command inside NODE (network namespace, and in LXC mode the container's pid, mount and
# uts namespaces). stdin is the caller's.
tb_exec() {
	local n=$1
	shift
	if [ "$TB_MODE" = lxc ]; then
		lxc-attach -P "$TB_STATE/lxc" -n "$(tb_ct "$n")" -- "$@"
	else
		ip netns exec "$(tb_ct "$n")" "$@"
	fi
}

# tb_sh NODE 'shell text' -- run a shell snippet inside NODE, bounded by RGWTB_CMD_TIMEOUT.
tb_sh() {
	local n=$1
	shift
	tb_exec "$n" timeout -k 5 "${RGWTB_CMD_TIMEOUT:-60}" bash -c "$*"
}

# Start a long-running process in NODE, detached, output to $TB_STATE/nodes/NODE/NAME.log,
# pid (as seen inside the node) in NAME.pid.
tb_daemon() {
	local n=$1 name=$2
	shift 2
	local d=$TB_STATE/nodes/$n
	mkdir -p "$d"
	rm -f "$d/$name.pid"
	# shellcheck disable=SC2016
	tb_exec "$n" setsid bash -c 'log=$1 pid=$2; shift 2; "$@" >>"$log" 2>&1 </dev/null &
echo $! >"$pid"' _ "$d/$name.log" "$d/$name.pid" "$@" </dev/null
}

tb_daemon_pid() { cat "$TB_STATE/nodes/$1/$2.pid" 2>/dev/null; }

# Is the daemon NAME of NODE alive?
tb_daemon_alive() {
	local pid
	pid=$(tb_daemon_pid "$1" "$2") || return 1
	[ -n "$pid" ] || return 1
	tb_exec "$1" kill -0 "$pid" 2>/dev/null
}

# tb_daemon_kill NODE NAME [SIGNAL] -- signal it and wait (up to 10 s) for it to go.
tb_daemon_kill() {
	local n=$1 name=$2 sig=${3:-TERM} pid i
	pid=$(tb_daemon_pid "$n" "$name") || return 0
	[ -n "$pid" ] || return 0
	tb_exec "$n" kill "-$sig" "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		tb_exec "$n" kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# tb_wait SECONDS CMD... -- poll CMD every 0.1 s until it succeeds or time runs out.
tb_wait() {
	local limit=$1 end
	shift
	end=$((SECONDS + limit))
	while ((SECONDS < end)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
# The REST API of rgwd in gw (the token is made at up); TB_API_NODE=nest for the nested
# gateway's rgwd (its API listens on the same address inside its own node).
tb_token() { cat "$TB_STATE/nodes/${TB_API_NODE:-gw}/api-token" 2>/dev/null; }

# tb_api METHOD PATH [JSON] -- REST call from inside gw (or TB_API_NODE); prints body, then
# "HTTP <code>" on the last line.
tb_api() {
	local m=$1 p=$2 body=${3:-}
	local tok
	tok=$(tb_token) || tok=""
	if [ -n "$body" ]; then
		tb_exec "${TB_API_NODE:-gw}" timeout 10 curl -sS --cacert "$TB_CA" -X "$m" \
			-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
			--data-binary "$body" -w '\nHTTP %{http_code}\n' \
			"$(tb_api_url "${TB_API_NODE:-gw}")$p" </dev/null
	else
		tb_exec "${TB_API_NODE:-gw}" timeout 10 curl -sS --cacert "$TB_CA" -X "$m" \
			-H "Authorization: Bearer $tok" -w '\nHTTP %{http_code}\n' \
			"$(tb_api_url "${TB_API_NODE:-gw}")$p" </dev/null
	fi
}

# rgwctl inside gw (or TB_API_NODE) with the testbed's API URL and token.
tb_rgwctl() {
	tb_exec "${TB_API_NODE:-gw}" env RGW_API_URL="$(tb_api_url "${TB_API_NODE:-gw}")" \
		RGW_API_TOKEN="$(tb_token)" timeout 10 "$TB_RGWCTL" --cacert "$TB_CA" "$@" </dev/null
}

# ---------------------------------------------------------------------------------------------
# Time bound for a whole command: after LIMIT seconds, SIGTERM the script (its trap cleans up).
tb_watchdog() {
	local limit=$1 me=$$
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$limit" &
		s=$!
		wait "$s"
		echo "${0##*/}: time limit of ${limit}s reached, stopping" >&2
		kill -TERM "$me" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	TB_WATCHDOG=$!
}
tb_watchdog_stop() {
	[ -n "${TB_WATCHDOG:-}" ] || return 0
	kill "$TB_WATCHDOG" 2>/dev/null || true
	TB_WATCHDOG=
}
