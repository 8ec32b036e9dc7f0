#!/usr/bin/env bash
# t80b_ha_tls -- TLS on the policy channel of an HA pair. Two real rgwd in two network
# namespaces joined by a sync link, each with an HTTPS API whose certificate (its own, both
# signed by one CA) it also presents on the channel, verifying the peer's against that CA
# ([ha] peer_ca). A config that asks for TLS it cannot have is refused at start and by
# --check-config. Over TLS the standby takes the policy and each change; tcpdump on the sync
# link (in the test's own namespace) sees none of the policy's names. The same pair with
# [ha] tls = off: the capture shows them (so the check can fail), and rgwd warns at start.
# A standby whose certificate another CA signed is refused by the active during the
# handshake: counted on both sides with the reason, retried with a growing wait, and it takes
# no policy; with its right certificate it catches up. Root needed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ha_pair.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
for c in dig jq curl tcpdump openssl; do
	command -v $c > /dev/null || { echo "$c missing"; echo "0 passed, 1 failed"; exit 1; }
done

A=rgwtla$$ B=rgwtlb$$ C=rgwtlc$$
PA="" PB="" CAP=""
at_exit "ns_del $A; ns_del $B; ns_del $C"
at_exit "[ -n \"\$PA\" ] && kill -9 \$PA; [ -n \"\$PB\" ] && kill -9 \$PB; [ -n \"\$CAP\" ] && kill -9 \$CAP"
ha_topology $A $B $C || { echo "0 passed, 1 failed"; exit 1; }

# each node's API certificate, signed by the pair's CA; another CA's for the same node b
ha_ca "$T" ca && ha_cert "$T" node-a ca "10.78.1.1 10.77.0.1" &&
	ha_cert "$T" node-b ca "10.78.2.1 10.77.0.2" && ha_ca "$T" other-ca &&
	ha_cert "$T" node-b-other other-ca "10.78.2.1 10.77.0.2" ||
	{ echo "cannot make certificates"; echo "0 passed, 1 failed"; exit 1; }
cat "$T/ca.pem" "$T/other-ca.pem" > "$T/clients-ca.pem"
export CURL_CA_BUNDLE=$T/clients-ca.pem
head -c 32 /dev/urandom | base64 > "$T/secret"
chmod 600 "$T/secret"

# conf NODE ROLE MGMT SYNC PEER_SYNC CERT "HA_TLS_LINES" [SEED]
conf() {
	cat > "$T/$1.conf" <<CONF
[daemon]
database = $T/$1.db
bundle_seed = ${8:-}
[dns]
enable = yes
wan = $3:5300
lan = $3:53
[nat]
enable = no
[alg]
enable = no
[api]
listen = $3:8443
tls_cert = $T/$6.pem
tls_key = $T/$6.key
[ha]
enable = yes
role = $2
listen = $4
peer = $5
secret_file = $T/secret
retry = 300
$7
CONF
}
TLS_ON="peer_ca = $T/ca.pem"
conf_a() { conf a active 10.78.1.1 10.77.0.1 10.77.0.2 node-a "$1" "$TOP/docs/examples/gwa.demo.json"; }
conf_b() { conf b standby 10.78.2.1 10.77.0.2 10.77.0.1 "${2:-node-b}" "$1"; }
conf_a "$TLS_ON"
conf_b "$TLS_ON"
TA=$("$RGWD" -c "$T/a.conf" --new-token ops --role rw 2> /dev/null)
TB=$("$RGWD" -c "$T/b.conf" --new-token ops --role rw 2> /dev/null)

# 0. a config that asks for TLS it cannot have, or that verifies nothing, is refused
conf x active 10.78.1.1 10.77.0.1 10.77.0.2 node-a "tls = required"
sed -i '/^tls_cert\|^tls_key/d' "$T/x.conf"
"$RGWD" --check-config -c "$T/x.conf" > "$T/x.out" 2>&1
check "--check-config refuses ha.tls = required without api.tls_cert" \
	grep -q "ha.tls is required but api.tls_cert is empty" "$T/x.out"
timeout 20 ip netns exec $A "$RGWD" -c "$T/x.conf" > "$T/x.out" 2>&1
RC=$?
check "and rgwd does not start with it (status $RC)" \
	[ "$RC" != 0 -a "$RC" != 124 ] && grep -q "ha.tls is required" "$T/x.out"
conf x active 10.78.1.1 10.77.0.1 10.77.0.2 node-a ""
"$RGWD" --check-config -c "$T/x.conf" > "$T/x.out" 2>&1
check "--check-config refuses TLS that cannot verify the peer" \
	grep -q "needs ha.peer_ca or ha.peer_fingerprint" "$T/x.out"
conf x active 10.78.1.1 10.77.0.1 10.77.0.2 node-a "peer_ca = $T/secret"
"$RGWD" --check-config -c "$T/x.conf" > "$T/x.out" 2>&1
check "--check-config refuses a peer_ca that holds no certificate" \
	grep -q "ha.peer_ca: .* holds no PEM certificate" "$T/x.out"
"$RGWD" --check-config -c "$T/a.conf" > "$T/x.out" 2>&1
check "--check-config takes the pair's config and prints the certificate's fingerprint" \
	grep -q "SHA-256 $(ha_fingerprint "$T/node-a.pem")" "$T/x.out"

# up NODE: start it, and wait until its log says ready once more than before
up() {
	local n
	n=$(grep -c 'rgwd: ready' "$T/$1.log" 2> /dev/null)
	ha_start "$1"
	poll 20 more_than "${n:-0}" 'rgwd: ready' "$T/$1.log" || fail "rgwd ready on node $1"
}
capture() { # capture FILE: tcpdump on the sync link, in node a's namespace
	ip netns exec $A tcpdump -i sync0 -n -s 0 --immediate-mode -U -w "$1" tcp port 7440 \
		2> "$1.log" &
	CAP=$!
	wait_for 'listening on' "$1.log" 10
}
packets() { tcpdump -r "$1" -n 2> /dev/null | wc -l; }
# capture_end FILE: once tcpdump wrote packets that went after everything the test waited
# for (the channel's keepalives, every 100 ms): tcpdump writes them in order
capture_end() {
	local n
	n=$(packets "$1")
	poll 10 more_packets "$1" $((n + 4))
	kill -INT "$CAP" 2> /dev/null
	timeout 10 tail --pid="$CAP" -f /dev/null
	CAP=""
}
inc() { ip netns exec $C "$@"; }
url() { [ "$1" = a ] && echo https://10.78.1.1:8443 || echo https://10.78.2.1:8443; }
tok() { [ "$1" = a ] && echo "$TA" || echo "$TB"; }
hastate() { inc curl -s -m 5 -H "Authorization: Bearer $(tok "$1")" "$(url "$1")/api/v1/ha"; }
field() { hastate "$1" | jq -r "$2"; }
in_sync() { local d; d=$(field a .digest); [ -n "$d" ] && [ "$d" = "$(field b .digest)" ]; }
add_host() { # add_host NAME ADDR: on the active, over REST; prints the status
	inc curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TA" \
		-H 'Content-Type: application/json' --data "{\"fqdn\":\"$1\",\"ipv4\":\"$2\"}" \
		"$(url a)/api/v1/hosts"
}
answers() { # answers NODE NAME ADDR: the node's DNS answers it
	local ip=10.78.1.1
	[ "$1" = b ] && ip=10.78.2.1
	inc dig +short +time=1 +tries=1 @$ip "$2" A 2> /dev/null | grep -qx "$3"
}
in_clear() { grep -aqF "$2" "$1"; }
more_packets() { [ "$(packets "$1")" -gt "$2" ]; }

# 1. the pair over TLS: the policy follows, and the sync link carries none of it in clear
capture "$T/tls.pcap" || fail "tcpdump listens on the sync link"
up a
up b
check "the standby took the active's whole policy over TLS" poll 20 in_sync
check "both nodes say the channel runs TLS" \
	[ "$(field a .tls)" = on -a "$(field b .tls)" = on ]
check "the active's channel is up" [ "$(field a .channel)" = up ]
check "and neither warns that the channel is not encrypted" \
	bash -c "! grep -q 'not encrypted' '$T/a.log' '$T/b.log'"
check "a REST write on the active (201)" [ "$(add_host tlsprobe$$.gwa.demo 192.168.90.1)" = 201 ]
check "answers in the standby's DNS" poll 10 answers b tlsprobe$$.gwa.demo 192.168.90.1
TOKC=$(inc curl -s -X POST -H "Authorization: Bearer $TA" -H 'Content-Type: application/json' \
	--data '{"name":"tlstoken","role":"ro"}' "$(url a)/api/v1/tokens" | jq -r .secret)
tok_on_b() {
	[ "$(inc curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKC" \
		"$(url b)/api/v1/hosts")" = 200 ]
}
check "a token made on the active works on the standby" poll 10 tok_on_b
capture_end "$T/tls.pcap"
N=$(packets "$T/tls.pcap")
check "the capture holds the channel's traffic ($N packets)" [ "$N" -gt 20 ]
check "no policy name in clear on the sync link: the new host" \
	bash -c "! grep -aqF tlsprobe$$ '$T/tls.pcap'"
check "nor the zone, the seed's hosts, the token's name, a message type" \
	bash -c "! grep -aqE 'gwa\\.demo|test200|tlstoken|\"type\"' '$T/tls.pcap'"

# 2. the same pair with tls = off: rgwd warns, and the capture shows the names (the check
# above can fail)
ha_stop b
ha_stop a
conf_a "tls = off"
conf_b "tls = off"
capture "$T/plain.pcap" || fail "tcpdump listens on the sync link"
up a
up b
check "rgwd warns at start that the channel is not encrypted" \
	grep -q 'policy channel is not encrypted (ha.tls = off)' "$T/b.log"
check "GET /api/v1/ha says tls off" [ "$(field a .tls)" = off ]
check "a REST write on the active (201)" [ "$(add_host plainprobe$$.gwa.demo 192.168.90.2)" = 201 ]
check "answers in the standby's DNS" poll 10 answers b plainprobe$$.gwa.demo 192.168.90.2
capture_end "$T/plain.pcap"
check "without TLS the capture shows the new host's name in clear" \
	in_clear "$T/plain.pcap" plainprobe$$
check "and the zone's" in_clear "$T/plain.pcap" gwa.demo

# 3. a standby whose certificate another CA signed: refused, counted, retried with backoff
ha_stop b
ha_stop a
conf_a "$TLS_ON"
conf_b "$TLS_ON" node-b-other
up a
up b
check "a REST write on the active (201)" [ "$(add_host otherca$$.gwa.demo 192.168.90.3)" = 201 ]
refused() { [ "$(field a .counters.tls_failures)" -gt 0 ]; }
check "the active refuses the standby's certificate and counts it" poll 10 refused
WHY=$(field a .tls_last_failure)
check "GET /api/v1/ha on the active says why: its peer_ca ($WHY)" grep -q 'refused by ha.peer_ca' <<< "$WHY"
check "the active logs it" grep -q 'TLS with the standby 10.77.0.2:.* failed: the peer' "$T/a.log"
b_counts() { [ "$(field b .counters.tls_failures)" -gt 1 ]; }
check "the standby counts its failed handshakes" poll 10 b_counts
check "the standby logs them" grep -q 'TLS with the active 10.77.0.1:7440 failed' "$T/b.log"
check "and waits longer after each failure in a row (300, then 600 ms)" \
	poll 10 grep -q 'next attempt in 600 ms' "$T/b.log"
check "the refused standby took no policy" bash -c "! ip netns exec $C dig +short +time=1 \
	+tries=1 @10.78.2.1 otherca$$.gwa.demo A | grep -q ."
check "its channel is down" [ "$(field b .channel)" = down ]
ha_stop b
conf_b "$TLS_ON"
up b
check "with its right certificate the standby catches up" \
	poll 20 answers b otherca$$.gwa.demo 192.168.90.3
check "no message failed authentication" \
	bash -c "! grep -q 'failed authentication' '$T/a.log' '$T/b.log'"
ha_stop a
ha_stop b
if [ "$FAILED" != 0 ]; then
	for f in "$T"/a.log "$T"/b.log; do
		echo "# $f"
		tail -30 "$f"
	done
fi
summary
