#!/usr/bin/env bash
# t10_rgwd_cli -- rgwd's command line: config checking, bundle import/export, daemon
# start, SIGHUP reload and clean SIGTERM shutdown, exit codes. No root needed.
. "$(dirname "$0")/lib.sh"
BUNDLE="$TOP/docs/examples/gwa.demo.json"

cat > "$T/good.conf" <<CONF
[daemon]
database = $T/rgw.db
[dns]
enable = no
[nat]
enable = no
[alg]
enable = no
[api]
enable = no
CONF

# --- configuration checking
check "--check-config accepts a valid file" "$RGWD" -c "$T/good.conf" --check-config
# --check-config opens the files a configuration names: the example's database directory
# (/var/lib/rgw) is the package's, so the example is checked with a database of its own.
sed "s|^\[daemon\]\$|[daemon]\ndatabase = $T/example.db|" "$TOP/docs/examples/rgw.conf" > "$T/example.conf"
check "example config is valid" "$RGWD" -c "$T/example.conf" --check-config
cat > "$T/bad.conf" <<'CONF'
[daemon]
database = /tmp/x.db
bogus_key = 1
[dns]
edns_size = 99999
[nowhere]
[log]
level = loud
CONF
"$RGWD" -c "$T/bad.conf" --check-config > "$T/out" 2>&1
rc=$?
check "--check-config on a bad file exits 3" test "$rc" = 3
check "unknown key reported with file:line" grep -q "bad.conf:3:" "$T/out"
check "out-of-range value reported with file:line" grep -q "bad.conf:5:" "$T/out"
check "unknown section reported with file:line" grep -q "bad.conf:6:" "$T/out"
check "bad enum reported with file:line" grep -q "bad.conf:8:" "$T/out"
"$RGWD" -c "$T/missing.conf" --check-config > /dev/null 2>&1
check "an explicit missing config file is an error (3)" test $? = 3
"$RGWD" --no-such-option > /dev/null 2>&1
check "bad option exits 2" test $? = 2
check "--help prints usage" sh -c "'$RGWD' --help | grep -q 'Exit status'"
check "--version prints the version" sh -c "'$RGWD' --version | grep -q '^rgwd '"

# --- import / export
check "--import of the example bundle" "$RGWD" -c "$T/good.conf" --import "$BUNDLE"
"$RGWD" -c "$T/good.conf" --export > "$T/e1.json"
check "--export writes JSON" jq -e '.hosts | length > 0' "$T/e1.json"
check "re-import of the export" "$RGWD" -c "$T/good.conf" --import "$T/e1.json"
"$RGWD" -c "$T/good.conf" --export "$T/e2.json"
check "import -> export -> import is stable" cmp -s "$T/e1.json" "$T/e2.json"

printf '{"version": 1, "hosts": [' > "$T/broken.json"
"$RGWD" -c "$T/good.conf" --import "$T/broken.json" > "$T/out" 2>&1
check "truncated JSON refused with exit 4" test $? = 4
jq '.hosts[0].services[0].port = 70000' "$BUNDLE" > "$T/badport.json"
"$RGWD" -c "$T/good.conf" --import "$T/badport.json" > "$T/out" 2>&1
rc=$?
check "out-of-range port refused with exit 4" test "$rc" = 4
check "the error names the field" grep -q 'hosts\[0\].services\[0\].port' "$T/out"
jq '.hosts[1].fqdn = .hosts[0].fqdn' "$BUNDLE" > "$T/dup.json"
"$RGWD" -c "$T/good.conf" --import "$T/dup.json" > /dev/null 2>&1
check "duplicate host refused" test $? = 4
"$RGWD" -c "$T/good.conf" --export > "$T/e3.json"
check "refused imports left the database unchanged" cmp -s "$T/e1.json" "$T/e3.json"

# --- the daemon
"$RGWD" -c "$T/good.conf" 2> "$T/log" &
pid=$!
at_exit "kill -9 $pid"
check "daemon reports ready" wait_for 'rgwd: ready' "$T/log" 5
kill -HUP "$pid"
check "SIGHUP reloads the policy" wait_for 'reloading policy' "$T/log" 5
kill -0 "$pid" 2>/dev/null
check "daemon survives SIGHUP" test $? = 0
kill -TERM "$pid"
rc=0
timeout 5 tail --pid="$pid" -f /dev/null || rc=1
wait "$pid"
wrc=$?
check "SIGTERM stops the daemon promptly" test "$rc" = 0
check "clean exit status 0" test "$wrc" = 0
check "stop is logged" grep -q 'rgwd: stopped' "$T/log"

# A fresh database is seeded from bundle_seed
sed "/^\[daemon\]/a bundle_seed = $BUNDLE" "$T/good.conf" | sed "s|$T/rgw.db|$T/seed.db|" > "$T/seed.conf"
"$RGWD" -c "$T/seed.conf" 2> "$T/log2" &
pid=$!
at_exit "kill -9 $pid"
check "seeded daemon ready" wait_for 'rgwd: ready' "$T/log2" 5
kill -TERM "$pid"; wait "$pid"
"$RGWD" -c "$T/seed.conf" --export > "$T/e4.json"
check "empty database seeded from bundle_seed" cmp -s "$T/e1.json" "$T/e4.json"

summary
