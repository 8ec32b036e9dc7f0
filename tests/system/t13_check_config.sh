#!/usr/bin/env bash
# t13_check_config -- rgwd --check-config like nginx -t: besides the syntax it opens what the
# configuration names, as the daemon would (TLS certificate and key parsed by libmicrohttpd,
# the database or its directory, the seed bundle, the access log file); a missing default
# configuration file is an error; a UTF-8 byte order mark is accepted; the check changes
# nothing; a failed start-up is logged at err. Loopback only; the default-path case runs
# in a private mount namespace.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
conf() { # conf FILE [daemon lines] [api lines] [alg lines]
	cat > "$1" <<CONF
[daemon]
database = $T/rgw.db
${2:-}
[dns]
enable = no
[nat]
enable = no
[alg]
listen = 127.0.0.1:$PORT
${4:-}
[api]
listen = 127.0.0.1:$PORT
${3:-}
CONF
}
cc() { "$RGWD" --check-config -c "$@"; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj "/CN=localhost" > /dev/null 2>&1

conf "$T/ok.conf" "" "tls_cert = $T/cert.pem
tls_key = $T/key.pem"
cc "$T/ok.conf" > "$T/ok.out" 2>&1
check "a good configuration with TLS files passes" test $? = 0
check "... saying so" grep -q "^$T/ok.conf: configuration is valid" "$T/ok.out"
check "the check does not create the database" test ! -e "$T/rgw.db"

conf "$T/nocert.conf" "" "tls_cert = $T/missing-cert.pem
tls_key = $T/key.pem"
cc "$T/nocert.conf" > /dev/null 2> "$T/nocert.err"
check "a missing tls_cert fails the check (exit 3)" test $? = 3
check "... naming the key and the file" grep -q "api.tls_cert: cannot read $T/missing-cert.pem: No such file" "$T/nocert.err"

conf "$T/nokey.conf" "" "tls_cert = $T/cert.pem
tls_key = $T/missing-key.pem"
cc "$T/nokey.conf" > /dev/null 2> "$T/nokey.err"
check "a missing tls_key fails the check" test $? = 3
check "... naming it" grep -q "api.tls_key: cannot read $T/missing-key.pem" "$T/nokey.err"

echo "not a certificate" > "$T/junk.pem"
conf "$T/junk.conf" "" "tls_cert = $T/junk.pem
tls_key = $T/key.pem"
cc "$T/junk.conf" > /dev/null 2> "$T/junk.err"
check "a file that is no certificate fails the check" test $? = 3
check "... saying so" grep -q "not a PEM certificate and its private key" "$T/junk.err"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key2.pem" -out "$T/cert2.pem" -days 1 \
	-subj "/CN=other" > /dev/null 2>&1
conf "$T/mismatch.conf" "" "tls_cert = $T/cert.pem
tls_key = $T/key2.pem"
cc "$T/mismatch.conf" > /dev/null 2> "$T/mismatch.err"
check "a key that does not match the certificate fails the check" test $? = 3

conf "$T/nodir.conf" ""
sed -i "s|^database = .*|database = $T/nodir/rgw.db|" "$T/nodir.conf"
cc "$T/nodir.conf" > /dev/null 2> "$T/nodir.err"
check "a database in a missing directory fails the check" test $? = 3
check "... naming it" grep -q "daemon.database: $T/nodir/rgw.db does not exist and cannot be created" "$T/nodir.err"
echo "hello" > "$T/notdb"
sed -i "s|^database = .*|database = $T/notdb|" "$T/nodir.conf"
cc "$T/nodir.conf" > /dev/null 2> "$T/notdb.err"
check "a file that is no rgwd database fails the check" test $? = 3
check "... saying so" grep -q "is not an rgwd database" "$T/notdb.err"
sqlite3 "$T/future.db" "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (99);"
sed -i "s|^database = .*|database = $T/future.db|" "$T/nodir.conf"
cc "$T/nodir.conf" > /dev/null 2> "$T/future.err"
check "a database from a newer rgwd fails the check" grep -q "schema version 99; this rgwd knows versions up to" "$T/future.err"
check "... and it is left as it was" test "$(sqlite3 "$T/future.db" 'select version from schema_version')" = 99
"$RGWD" -c "$T/ok.conf" --export > /dev/null 2>&1 # creates and migrates the database
cc "$T/ok.conf" > /dev/null 2>&1
check "an existing current database passes" test $? = 0

conf "$T/seed.conf" "bundle_seed = $T/missing.json"
cc "$T/seed.conf" > /dev/null 2> "$T/seed.err"
check "a missing seed bundle fails the check" grep -q "daemon.bundle_seed: cannot read $T/missing.json" "$T/seed.err"
echo '{"version": 1, "hosts": [{"fqdn": 5}]}' > "$T/bad.json"
conf "$T/seed2.conf" "bundle_seed = $T/bad.json"
cc "$T/seed2.conf" > /dev/null 2> "$T/seed2.err"
check "an invalid seed bundle fails the check, naming the field" grep -q "daemon.bundle_seed: $T/bad.json: hosts\\[0\\].fqdn" "$T/seed2.err"

conf "$T/acc.conf" "" "" "access_log_file = $T/nodir/access.log"
cc "$T/acc.conf" > /dev/null 2> "$T/acc.err"
check "an access log in a missing directory fails the check" grep -q "alg.access_log_file: cannot write $T/nodir/access.log" "$T/acc.err"
conf "$T/acc2.conf" "" "" "access_log_file = $T/access.log"
cc "$T/acc2.conf" > /dev/null 2>&1
check "an access log that can be created passes (and is not created)" sh -c "[ \$? = 0 ] && [ ! -e '$T/access.log' ]"

# several problems: each reported, then the count
conf "$T/many.conf" "bundle_seed = $T/missing.json" "tls_cert = $T/junk.pem
tls_key = $T/key.pem"
cc "$T/many.conf" > /dev/null 2> "$T/many.err"
check "every problem is reported, with the count" grep -q "^$T/many.conf: 2 errors" "$T/many.err"

# a UTF-8 byte order mark (as Windows editors write) is not an error
printf '\xef\xbb\xbf' > "$T/bom.conf"
cat "$T/ok.conf" >> "$T/bom.conf"
cc "$T/bom.conf" > "$T/bom.out" 2>&1
check "a configuration starting with a UTF-8 BOM passes" grep -q "configuration is valid" "$T/bom.out"

# the default file, missing: an error, not "valid" (private mount namespace, empty /etc)
unshare -m sh -c "mount -t tmpfs tmpfs /etc && exec '$RGWD' --check-config" > "$T/def.out" 2> "$T/def.err"
rc=$?
check "a missing default /etc/rgw/rgw.conf fails the check (exit 3, got $rc)" test "$rc" = 3
check "... naming it" grep -q "/etc/rgw/rgw.conf: No such file or directory" "$T/def.err"
check "... and never says valid" sh -c "! grep -q valid '$T/def.out'"

# a start-up failure is logged at err (the check would have said so first)
timeout 10 "$RGWD" -c "$T/nokey.conf" > /dev/null 2> "$T/start.err"
check "start with a missing TLS key fails" test $? != 0
check "... logged at err" grep -q ' err rgwd: start-up failed' "$T/start.err"
summary
