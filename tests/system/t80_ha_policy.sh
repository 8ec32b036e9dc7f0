#!/usr/bin/env bash
# t80_ha_policy -- the standby of an HA pair follows the active's policy. Two real rgwd in two
# network namespaces joined by a sync link, a third namespace for the operator (REST) and the
# clients (dig, dnspython). The standby starts with an empty store and takes the whole policy
# at connect; 100 hosts written over REST on the active answer in the standby's DNS (delay
# per write measured, p99 printed); a write to the standby is refused naming the active, a
# DNS UPDATE to it is REFUSED; the standby's audit log says where each change came from;
# across a partition of the sync link the standby stays on the old policy, and after the link
# heals it catches up from the whole bundle (time printed); a standby with the wrong secret
# is refused and follows nothing; after a role switch the old active follows the new one.
# API tokens made on the active over REST follow (as salted hashes): one works on the standby
# after the switch, one revoked during the partition and one expired do not, each node's own
# command-line token stays its own, and no secret is in a log. The pair runs TLS (each node's
# HTTPS API certificate on the channel too, the peer's checked against the pair's CA; the
# shared secret's HMAC on top, which still refuses a standby without it); RGW_HA_TLS=off runs
# it plain, over plain HTTP, to compare the delays. Root needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ha_pair.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
for c in dig nsupdate jq curl; do
	command -v $c > /dev/null || { echo "$c missing"; echo "0 passed, 1 failed"; exit 1; }
done
/usr/bin/python3 -c 'import dns.query' 2> /dev/null ||
	{ echo "python3-dnspython missing"; echo "0 passed, 1 failed"; exit 1; }

A=rgwhaa$$ B=rgwhab$$ C=rgwhac$$
PA="" PB=""
at_exit "ns_del $A; ns_del $B; ns_del $C"
at_exit "[ -n \"\$PA\" ] && kill -9 \$PA; [ -n \"\$PB\" ] && kill -9 \$PB"
# the sync link (the policy channel; conntrackd's in a full pair) and the management links
ha_topology $A $B $C || { echo "0 passed, 1 failed"; exit 1; }

head -c 32 /dev/urandom | base64 > "$T/secret"
head -c 32 /dev/urandom | base64 > "$T/wrong"
chmod 600 "$T/secret" "$T/wrong"
# S: the API's scheme; TLSCONF: the [api] and [ha] keys for TLS (curl and the Python driver
# trust the pair's CA through CURL_CA_BUNDLE and SSL_CERT_FILE)
S=https
if [ "${RGW_HA_TLS:-on}" = off ]; then
	S=http
else
	ha_ca "$T" ca && ha_cert "$T" node-a ca "10.78.1.1 10.77.0.1" &&
		ha_cert "$T" node-b ca "10.78.2.1 10.77.0.2" ||
		{ echo "cannot make certificates"; echo "0 passed, 1 failed"; exit 1; }
	export CURL_CA_BUNDLE=$T/ca.pem SSL_CERT_FILE=$T/ca.pem
fi
echo "# policy channel: $([ $S = https ] && echo TLS || echo plain)"

# conf NODE ROLE MGMT SYNC PEER_SYNC PEER_MGMT [SECRET] [SEED]
conf() {
	cat > "$T/$1.conf" <<CONF
[daemon]
database = $T/$1.db
bundle_seed = ${8:-}
[dns]
enable = yes
wan = $3:5300
lan = $3:53
ddns = $3:5353
[nat]
enable = no
[alg]
enable = no
[api]
listen = $3:8080
rate = 100000
rate_burst = 100000
$([ $S = https ] && printf 'tls_cert = %s\ntls_key = %s\n' "$T/node-$1.pem" "$T/node-$1.key")
[reputation]
save_interval = 1
[ha]
enable = yes
role = $2
listen = $4
peer = $5
secret_file = ${7:-$T/secret}
peer_api = $S://$6:8080
retry = 300
$([ $S = https ] && echo "peer_ca = $T/ca.pem")
CONF
}
conf a active 10.78.1.1 10.77.0.1 10.77.0.2 10.78.2.1 "" "$TOP/docs/examples/gwa.demo.json"
conf b standby 10.78.2.1 10.77.0.2 10.77.0.1 10.78.1.1
TA=$("$RGWD" -c "$T/a.conf" --new-token ops --role rw 2> /dev/null)
TB=$("$RGWD" -c "$T/b.conf" --new-token ops --role rw 2> /dev/null)
ha_start a
ha_start b
wait_for 'rgwd: ready' "$T/a.log" 20 && wait_for 'rgwd: ready' "$T/b.log" 20 ||
	{ cat "$T/a.log" "$T/b.log"; echo "0 passed, 1 failed"; exit 1; }

inc() { ip netns exec $C "$@"; }
# hastate NODE: GET /api/v1/ha of the node into HS
hastate() {
	local url tok
	if [ "$1" = a ]; then url=$S://10.78.1.1:8080 tok=$TA; else url=$S://10.78.2.1:8080 tok=$TB; fi
	HS=$(inc curl -s -m 5 -H "Authorization: Bearer $tok" "$url/api/v1/ha")
}
digest() { hastate "$1"; printf '%s' "$HS" | jq -r .digest; }
in_sync() { [ -n "$(digest a)" ] && [ "$(digest a)" = "$(digest b)" ]; }
answers() { # answers SERVER NAME ADDR
	inc dig +short +time=1 +tries=1 @"$1" "$2" A 2> /dev/null | grep -qx "$3"
}
now_ms() { date +%s%3N; }

# 1. the empty standby takes the whole policy at connect
check "the empty standby took the active's whole policy at connect" poll 20 in_sync
check "the standby answers a host of the active's policy in its DNS" \
	answers 10.78.2.1 test200.gwa.demo 192.168.0.200
hastate b
check "the standby counts one full sync" [ "$(printf '%s' "$HS" | jq .counters.full_syncs)" -ge 1 ]
WANT=$([ $S = https ] && echo on || echo off)
check "the channel's TLS is $WANT on the standby" [ "$(printf '%s' "$HS" | jq -r .tls)" = "$WANT" ]

# 2. 100 REST writes on the active, each timed until the standby's DNS answers it
R=$(inc /usr/bin/python3 "$TOP/tests/system/ha_follow.py" $S://10.78.1.1:8080 "$TA" \
	10.78.2.1 53 ha 100 60)
echo "# 100 writes on the active, until the standby's DNS answers: $R"
check "100 hosts written on the active answer in the standby's DNS" \
	[ "$(printf '%s' "$R" | jq .seen)" = 100 ]
P99=$(printf '%s' "$R" | jq .p99_ms)
check "p99 delay from the active's 201 to the standby's answer under 1 s ($P99 ms)" \
	awk -v p="$P99" 'BEGIN { exit !(p != "null" && p < 1000) }'

# the active's reputation state follows after each save (every second here): an
# administrative override set on the active is in force on the standby
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TA" \
	-H 'Content-Type: application/json' --data '{"override": 0.3}' \
	$S://10.78.1.1:8080/api/v1/reputation/host/test200.gwa.demo)
check "an override on the active's reputation engine ($CODE)" [ "$CODE" = 200 ]
rep_same() {
	inc curl -s -H "Authorization: Bearer $TB" \
		$S://10.78.2.1:8080/api/v1/reputation/host/test200.gwa.demo > "$T/rep-b"
	jq -e '.override == 0.3' "$T/rep-b" > /dev/null 2>&1
}
check "the standby's reputation engine has it after the active's next save" poll 10 rep_same
hastate b
check "the standby counts the reputation messages it took" \
	[ "$(printf '%s' "$HS" | jq .counters.reputation_applied)" -gt 0 ]

# 3. writes to the standby: refused, naming the active
CODE=$(inc curl -s -o "$T/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TB" \
	-H 'Content-Type: application/json' --data '{"fqdn":"nope.gwa.demo","ipv4":"192.168.70.1"}' \
	$S://10.78.2.1:8080/api/v1/hosts)
check "a REST write to the standby is answered 503" [ "$CODE" = 503 ]
check "the answer names the active's API" grep -q "active ($S://10.78.1.1:8080)" "$T/body"
printf 'server 10.78.2.1 5353\nzone gwa.demo\nupdate add upd.gwa.demo 30 A 192.168.70.2\nsend\n' \
	> "$T/upd"
inc nsupdate -t 3 "$T/upd" > "$T/upd.out" 2>&1
check "a DNS UPDATE to the standby is REFUSED" grep -q REFUSED "$T/upd.out"
check "the standby logs the refused write" grep -q 'refused a write' "$T/b.log"
inc curl -s -H "Authorization: Bearer $TB" "$S://10.78.2.1:8080/api/v1/audit?limit=1" > "$T/audit"
audit_names() {
	jq -e '.items[0].actor == "ha:ops" and
		(.items[0].detail | startswith("from the active 10.77.0.1"))' "$T/audit" > /dev/null
}
check "the standby's audit line names the active's writer and the active" audit_names

# API tokens made on the active over REST are the pair's: the standby holds their salted
# hashes (never a secret) and accepts them; the command-line tokens stay each node's own
mktok() { # mktok NAME [EXPIRES_IN]: a new rw token on the active, its secret on stdout
	inc curl -s -X POST -H "Authorization: Bearer $TA" -H 'Content-Type: application/json' \
		--data "{\"name\":\"$1\",\"role\":\"rw\"${2:+,\"expires_in\":$2}}" \
		$S://10.78.1.1:8080/api/v1/tokens | jq -r .secret
}
status_with() { # status_with NODE SECRET: the HTTP status of GET /api/v1/hosts with it
	local url=$S://10.78.1.1:8080
	[ "$1" = b ] && url=$S://10.78.2.1:8080
	inc curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$url/api/v1/hosts"
}
is_status() { [ "$(status_with "$1" "$2")" = "$3" ]; }
ROBOT=$(mktok robot)
GONE=$(mktok gone)
BRIEF=$(mktok brief 1)
check "three tokens made on the active" \
	[ "${#ROBOT}" -gt 20 -a "${#GONE}" -gt 20 -a "${#BRIEF}" -gt 20 ]
check "a token made on the active works on the standby" poll 10 is_status b "$ROBOT" 200
check "the standby still takes its own command-line token" is_status b "$TB" 200
check "and refuses the active's command-line token (each node's own)" is_status b "$TA" 401
expiry() { # expiry NODE: the brief token's expiry as the node lists it
	local url=$S://10.78.1.1:8080 tok=$TA
	[ "$1" = b ] && url=$S://10.78.2.1:8080 tok=$TB
	inc curl -s -H "Authorization: Bearer $tok" "$url/api/v1/tokens/brief" | jq -r .expires_ms
}
check "a token with an expiry has the same expiry on the standby" \
	[ "$(expiry b)" != null -a "$(expiry b)" = "$(expiry a)" ]
inc curl -s -H "Authorization: Bearer $TB" "$S://10.78.2.1:8080/api/v1/audit?limit=50" \
	> "$T/audit-tok"
audit_tokens() {
	jq -e '[.items[] | select(.actor == "ha:active" and .resource == "tokens" and
		(.detail | startswith("from the active 10.77.0.1")))] | length > 0' \
		"$T/audit-tok" > /dev/null
}
check "the standby's audit log says the tokens came from the active" audit_tokens

# a tenant's change on the active: the standby's audit line names the same tenant
BANKT=$(mktok bank-ops)
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TA" \
	-H 'Content-Type: application/json' $S://10.78.1.1:8080/api/v1/tenants/bank \
	--data '{"domains":["bank.gwa.demo"],"tokens":["bank-ops"],"realm":["192.168.72.0/24"]}')
check "a tenant on the active ($CODE)" [ "$CODE" = 201 ]
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $BANKT" \
	-H 'Content-Type: application/json' --data '{"fqdn":"web.bank.gwa.demo","ipv4":"192.168.72.1"}' \
	$S://10.78.1.1:8080/api/v1/hosts)
check "the tenant's token writes its host on the active ($CODE)" [ "$CODE" = 201 ]
audit_tenant() {
	inc curl -s -H "Authorization: Bearer $TB" "$S://10.78.2.1:8080/api/v1/audit?limit=5" \
		> "$T/audit-ten"
	jq -e '[.items[] | select(.actor == "ha:bank-ops")] | length == 1 and
		all(.[]; .tenant == "bank")' "$T/audit-ten" > /dev/null
}
check "the standby's audit line for it names the tenant, as the active's does" poll 10 audit_tenant

# 4. partition of the sync link: the standby keeps the old policy; healed, it catches up
ip -n $A link set sync0 down
chan_down() { hastate a; [ "$(printf '%s' "$HS" | jq -r .channel)" = down ]; }
check "the active sees the channel down after the partition" poll 10 chan_down
for i in $(seq 0 19); do
	inc curl -s -o /dev/null -X POST -H "Authorization: Bearer $TA" \
		-H 'Content-Type: application/json' \
		--data "{\"fqdn\":\"part$i.gwa.demo\",\"ipv4\":\"192.168.71.$((10 + i))\"}" \
		$S://10.78.1.1:8080/api/v1/hosts
done
check "the active answers the 20 hosts written during the partition" \
	answers 10.78.1.1 part19.gwa.demo 192.168.71.29
check "the partitioned standby does not" bash -c "! ip netns exec $C dig +short @10.78.2.1 \
	part0.gwa.demo A | grep -q ."
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TA" \
	$S://10.78.1.1:8080/api/v1/tokens/gone)
check "a token revoked on the active during the partition ($CODE)" [ "$CODE" = 204 ]
check "the partitioned standby still takes it" is_status b "$GONE" 200
hastate b
RS0=$(printf '%s' "$HS" | jq '.counters.full_syncs + .counters.resyncs')
t0=$(now_ms)
ip -n $A link set sync0 up
caught_up() { answers 10.78.2.1 part19.gwa.demo 192.168.71.29; }
if poll 20 caught_up; then
	CATCHUP=$(($(now_ms) - t0))
	ok "after the link heals the standby answers the partition's hosts ($CATCHUP ms)"
else
	fail "after the link heals the standby answers the partition's hosts"
fi
echo "# catch-up after a partition: ${CATCHUP:-none} ms (link up to the standby's answer)"
check "the standby is in sync again" poll 10 in_sync
check "the token revoked during the partition is refused by the standby" \
	poll 10 is_status b "$GONE" 401
hastate b
check "the catch-up came from the whole bundle" \
	[ "$(printf '%s' "$HS" | jq '.counters.full_syncs + .counters.resyncs')" -gt "$RS0" ]

# 5. a standby without the pair's secret is refused and follows nothing
ha_stop b
conf b standby 10.78.2.1 10.77.0.2 10.77.0.1 10.78.1.1 "$T/wrong"
ha_start b
wait_for 'rgwd: ready' "$T/b.log" 20
inc curl -s -o /dev/null -X POST -H "Authorization: Bearer $TA" -H 'Content-Type: application/json' \
	--data '{"fqdn":"secret.gwa.demo","ipv4":"192.168.72.1"}' $S://10.78.1.1:8080/api/v1/hosts
auth_failed() { hastate a; [ "$(printf '%s' "$HS" | jq .counters.auth_failures)" -gt 0 ]; }
check "the active refuses a standby with the wrong secret" poll 10 auth_failed
check "that standby does not take the active's policy" \
	bash -c "! ip netns exec $C dig +short @10.78.2.1 secret.gwa.demo A | grep -q ."
ha_stop b
conf b standby 10.78.2.1 10.77.0.2 10.77.0.1 10.78.1.1
ha_start b
wait_for 'rgwd: ready' "$T/b.log" 20
check "restarted with the right secret, the standby catches up" poll 20 in_sync

# 6. role switch (what keepalived's notify script does): the old active follows the new one
role() { # role NODE ROLE
	local url tok
	if [ "$1" = a ]; then url=$S://10.78.1.1:8080 tok=$TA; else url=$S://10.78.2.1:8080 tok=$TB; fi
	inc curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' --data "{\"role\":\"$2\"}" "$url/api/v1/ha/role"
}
check "PUT /api/v1/ha/role makes the standby active" [ "$(role b active)" = 200 ]
check "and the old active standby" [ "$(role a standby)" = 200 ]
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TB" \
	-H 'Content-Type: application/json' --data '{"fqdn":"back.gwa.demo","ipv4":"192.168.73.1"}' \
	$S://10.78.2.1:8080/api/v1/hosts)
check "the new active takes writes" [ "$CODE" = 201 ]
follows_b() { answers 10.78.1.1 back.gwa.demo 192.168.73.1; }
check "the old active, now standby, follows the new active" poll 10 follows_b
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ROBOT" \
	-H 'Content-Type: application/json' --data '{"fqdn":"robot.gwa.demo","ipv4":"192.168.73.2"}' \
	$S://10.78.2.1:8080/api/v1/hosts)
check "a token made on the old active writes on the new active ($CODE)" [ "$CODE" = 201 ]
check "the revoked token is refused by the new active" is_status b "$GONE" 401
check "the expired token is refused by the new active" is_status b "$BRIEF" 401
check "and by the old one" is_status a "$BRIEF" 401
check "the new active's own command-line token works on it" is_status b "$TB" 200
CODE=$(inc curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TB" \
	-H 'Content-Type: application/json' --data '{"name":"late","role":"ro"}' \
	$S://10.78.2.1:8080/api/v1/tokens)
check "a token made on the new active ($CODE)" [ "$CODE" = 201 ]
late_on_a() {
	inc curl -s -H "Authorization: Bearer $TA" $S://10.78.1.1:8080/api/v1/tokens/late |
		jq -e '.role == "ro"' > /dev/null
}
check "follows to the old active, now its standby" poll 10 late_on_a
check "the old active's own command-line token still works on it" is_status a "$TA" 200
no_secret() { ! grep -qF -e "$ROBOT" -e "$GONE" -e "$BRIEF" "$T"/a.* "$T"/b.*; }
check "no token secret in either node's logs" no_secret
check "a bad role is refused" [ "$(role a leader)" = 400 ]

check "no message failed authentication between the right pair" \
	bash -c "! grep -q 'failed authentication' $T/b.log"
ha_stop a
ha_stop b
if [ "$FAILED" != 0 ]; then
	for f in "$T"/*.log; do
		echo "# $f"
		tail -20 "$f"
	done
fi
summary
