#!/usr/bin/env bash
# t11_quickstart -- the README's loopback quick start, run as written by an unprivileged user
# (nobody), so that the first thing a new user tries keeps working. The block is taken from
# README.md itself; only its directory and ports are replaced (with a temporary directory and
# free ports, so that it cannot meet another instance), and `make` is left out (the suite has
# built already). Checks what the README says each command shows.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (to run the quick start as nobody)"; echo "0 passed, 1 failed"; exit 1; }

# The shell block that follows the "Quick start on loopback" heading.
awk '/^### Quick start on loopback/ { q = 1 } q && /^```sh$/ { b = 1; next } b && /^```$/ { exit }
	b { print }' "$TOP/README.md" >"$T/block.sh"
check "README.md has a quick start block" test -s "$T/block.sh"
check "the quick start builds with make and imports the example bundle" \
	grep -q 'gwa.demo.json' "$T/block.sh"

Q="$T/qs"
mkdir -p "$Q"
chmod 755 "$T"
chmod 777 "$Q"
DP=$(free_port)
AP=$(free_port)
LP=$(free_port)
# The daemon runs in the background as in the README; the test stops it when the block ends.
sed -e "s#/tmp/rgw/#$Q/#g; s#/tmp/rgw #$Q #g" \
	-e "s/5300/$DP/g; s/8088/$AP/g; s/8443/$LP/g" \
	-e '/^make\b/d' \
	-e "s#^\(build/rgwd -c [^ ]*\) &.*#\1 2>$Q/rgwd.log \& RGWD_PID=\$!#" \
	"$T/block.sh" >"$T/run.sh"
# Between starting the daemon and the first request: wait until it says it is ready.
sed -i "/RGWD_PID=/a for i in \$(seq 100); do grep -q 'rgwd: ready' $Q/rgwd.log && break; sleep 0.1; done" "$T/run.sh"
printf 'kill "$RGWD_PID"; wait "$RGWD_PID"\n' >>"$T/run.sh"
check "the block starts rgwd in the background (rewritten for the test)" grep -q 'RGWD_PID=' "$T/run.sh"

# What the block uses, copied where nobody may read it whatever the checkout's parent
# directories allow (a clone inside a private directory is not readable by nobody)
S="$T/top"
mkdir -p "$S/build" "$S/docs/examples"
cp "$TOP/$BUILD/rgwd" "$TOP/$BUILD/rgwctl" "$S/build/"
cp "$TOP/docs/examples/gwa.demo.json" "$S/docs/examples/"
chmod -R a+rX "$S"
(cd "$S" && timeout 60 runuser -u nobody -- bash -e "$T/run.sh") >"$T/out" 2>"$T/err"
rc=$?
sed 's/^/  out: /' "$T/out"
check "the quick start runs to its end as nobody (exit $rc)" test "$rc" = 0
check "www.test.gwa.demo answers the ALG's service address" grep -qx '100.64.1.130' "$T/out"
check "test.gwa.demo answers a one-time CNAME alias" grep -qE '^[a-z0-9]{32}\.cname-gwa\.demo\.$' "$T/out"
check "... and the circular pool address it stands for" grep -qxE '100\.64\.1\.(13[1-9]|14[0-2])' "$T/out"
check "rgwctl bindings shows the binding it holds" \
	grep -qE '^100\.64\.1\.1[34][0-9] +any +0 +test\.gwa\.demo +192\.168\.0\.100' "$T/out"
check "rgwctl host list lists the example hosts" grep -qE '^1 +test\.gwa\.demo +192\.168\.0\.100' "$T/out"
check "rgwd stopped cleanly" grep -q 'rgwd: stopped' "$Q/rgwd.log"
summary
