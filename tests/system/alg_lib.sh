# SPDX-License-Identifier: MIT
# tests/system/alg_lib.sh -- shared set-up for the ALG system tests (sourced, not run)
# Everything lives in a temp dir named after the area and $$; processes are killed by PID.

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${RGW_BUILD:-build}
RGWD=$ROOT/$BUILD/rgwd
CLIENT=$ROOT/tests/system/alg_client.py
T=$(mktemp -d "/tmp/rgwalg$$.XXXX")
PIDS=""
PASS=0
FAIL=0

NETNS=""
RGWD_WRAP=${RGWD_WRAP:-}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for n in $NETNS; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # check "description" command...
	local d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
not() { ! "$@"; }
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

# N free TCP+UDP ports on loopback, random and below the ephemeral range (free_ports.py)
free_ports() { python3 "$(dirname "${BASH_SOURCE[0]}")/free_ports.py" "$1"; }

# self-signed certificate for a name: $T/<name>.crt / .key
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
		-addext "subjectAltName=DNS:$1" -keyout "$T/$1.key" -out "$T/$1.crt" \
		>/dev/null 2>&1
}

# start nginx with the http{} body in $T/nginx.body, running as root from $T
start_nginx() {
	mkdir -p "$T/nginx"
	cat > "$T/nginx.conf" <<NGX
user root;
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 8192; }
http {
	access_log $T/nginx/access.log;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	keepalive_timeout 5;
$(cat "$T/nginx.body")
}
NGX
	${NGINX_NS:+ip netns exec "$NGINX_NS"} nginx -p "$T/nginx" -c "$T/nginx.conf" &
	NGINX_PID=$!
	PIDS="$PIDS $NGINX_PID"
	for _ in $(seq 50); do
		[ -s "$T/nginx.pid" ] && return 0
		sleep 0.1
	done
	echo "nginx did not start"; cat "$T/nginx/error.log"; return 1
}

# write $T/rgw.conf with an [alg] section body given as $1, import $T/bundle.json, start rgwd
# ALG_API_PORT: the REST API on that loopback port too, with a token in $TOK (else no API)
start_rgwd() {
	local api="enable = no"
	[ -n "${ALG_API_PORT:-}" ] && api="listen = 127.0.0.1:$ALG_API_PORT"
	cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/policy.db
[log]
level = info
[dns]
enable = no
[nat]
enable = no
[api]
$api
[alg]
$1
CONF
	"$RGWD" -c "$T/rgw.conf" --import "$T/bundle.json" > "$T/import.log" 2>&1 ||
		{ cat "$T/import.log"; return 1; }
	[ -z "${ALG_API_PORT:-}" ] || TOK=$("$RGWD" -c "$T/rgw.conf" --new-token alg 2>/dev/null)
	# RGWD_WRAP: a command that runs rgwd (e.g. the seccomp wrapper build/tests/sys/nosplice)
	${RGWD_NS:+ip netns exec "$RGWD_NS"} $RGWD_WRAP "$RGWD" -c "$T/rgw.conf" > "$T/rgwd.log" 2>&1 &
	RGWD_PID=$!
	PIDS="$PIDS $RGWD_PID"
	for _ in $(seq 50); do
		grep -q "rgwd: ready" "$T/rgwd.log" && return 0
		sleep 0.1
	done
	echo "rgwd did not start"; cat "$T/rgwd.log"; return 1
}

alive() { kill -0 "$RGWD_PID" 2>/dev/null; }

# poll SECONDS command...: run the command every 0.2 s until it succeeds (0) or the deadline
# passes (1), as lib.sh's poll: a condition is polled for, never slept out
poll() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
more_than() { [ "$(grep -c -- "$2" "$3" 2>/dev/null)" -gt "$1" ]; }
# reload_rgwd: SIGHUP, then wait until rgwd logs the policy it put in force
reload_rgwd() {
	local n
	n=$(grep -c 'rgwd: policy:' "$T/rgwd.log")
	kill -HUP "$RGWD_PID"
	poll 10 more_than "$n" 'rgwd: policy:' "$T/rgwd.log"
}

# upload backend on 127.0.0.1:$1: reads everything until the ALG propagates the client's
# half-close, then answers with the sha256 of what it read (alg_client.py upload checks it)
start_upload_backend() {
	socat TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork SYSTEM:'sha256sum' &
	PIDS="$PIDS $!"
}

# parallel_sha N SUM COMMAND...: run COMMAND N times at once; print how many outputs hash to
# SUM (COMMAND bounds its own time, e.g. curl --max-time)
parallel_sha() {
	local n=$1 sum=$2 i pids=""
	shift 2
	rm -f "$T"/par.*
	for i in $(seq "$n"); do
		( [ "$("$@" | sha256sum)" = "$sum" ] && echo ok > "$T/par.$i" ) &
		pids="$pids $!"
	done
	wait $pids
	ls "$T"/par.* 2>/dev/null | wc -l
}
