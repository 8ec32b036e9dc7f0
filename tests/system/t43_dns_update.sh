#!/bin/bash
# tests/system/t43_dns_update.sh -- DNS UPDATE (RFC 2136) with nsupdate, without and with TSIG:
# registration, replacement, removal (TTL 0 and delete), prerequisites, static hosts protected,
# NOTAUTH outside our zones, persistence in the policy store, answers changing at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns_lib.sh"

if ! command -v nsupdate >/dev/null; then
	fail "nsupdate installed"
	summary
fi
DP=$(free_port)
LP=$(free_port)
dns_bundle "$T/bundle.json" false false

upd() { # upd [nsupdate args] <<< script; prints nsupdate's complaints (nothing on success)
	timeout 20 nsupdate -t 3 "$@" 2>&1
}
L="dig +time=2 +tries=1 @127.0.0.1 -p $LP"
export L RGWD T

# --- without TSIG ---
dns_conf "$T/rgw.conf" <<CONF
lan = 127.0.0.1:$LP
ddns = 127.0.0.1:$DP
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts"; summary; }
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
update delete newhost.gwa.demo A
update add newhost.gwa.demo 300 A 192.168.0.150
update add newhost.gwa.demo 300 TXT \"dhcid-ish\"
send")
check "register a host (nsupdate succeeds)" test -z "$out"
check "registered host answers at once" bash -c '$L newhost.gwa.demo A +short | grep -qx 192.168.0.150'
check "its reverse name too" bash -c '$L -x 192.168.0.150 +short | grep -qx newhost.gwa.demo.'
check "and its default www service" bash -c '$L www.newhost.gwa.demo A +short | grep -qx 192.168.0.150'
check "stored in the policy store" bash -c '"$RGWD" -c "$T/rgw.conf" --export 2>/dev/null | grep -q newhost.gwa.demo'
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
update add newhost.gwa.demo 300 A 192.168.0.151
send")
check "re-registration with a new address replaces it" \
	bash -c '[ -z "$1" ] && $L newhost.gwa.demo A +short | grep -qx 192.168.0.151' _ "$out"
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
prereq yxdomain nothere.gwa.demo
update add other.gwa.demo 300 A 192.168.0.160
send")
check "failed prerequisite (yxdomain): NXDOMAIN, nothing changed" \
	bash -c 'grep -q NXDOMAIN <<<"$1" && $L other.gwa.demo A | grep -q "status: NXDOMAIN"' _ "$out"
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
prereq nxdomain other.gwa.demo
update add other.gwa.demo 300 A 192.168.0.160
send")
check "prerequisite nxdomain holds: registered" bash -c '$L other.gwa.demo A +short | grep -qx 192.168.0.160'
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
update add test.gwa.demo 300 A 192.168.0.99
send")
check "an operator-defined host cannot be changed: REFUSED" \
	bash -c 'grep -q REFUSED <<<"$1" && $L test.gwa.demo A +short | grep -qx 192.168.0.100' _ "$out"
out=$(upd <<<"server 127.0.0.1 $DP
zone example.com
update add x.example.com 300 A 192.168.0.170
send")
check "zone that is not ours: NOTAUTH" grep -q NOTAUTH <<<"$out"
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
update add newhost.gwa.demo 0 A 192.168.0.151
send")
check "TTL 0 removes the host (the original's convention)" \
	bash -c '$L newhost.gwa.demo A | grep -q "status: NXDOMAIN"'
out=$(upd <<<"server 127.0.0.1 $DP
zone gwa.demo
update delete other.gwa.demo
send")
check "delete name removes the host" bash -c '$L other.gwa.demo A | grep -q "status: NXDOMAIN"'
check "removal persisted" bash -c '! "$RGWD" -c "$T/rgw.conf" --export 2>/dev/null | grep -q other.gwa.demo'
dns_stop

# --- with TSIG ---
SECRET=$(head -c 32 /dev/urandom | base64)
WRONG=$(head -c 32 /dev/urandom | base64)
dns_conf "$T/rgw.conf" <<CONF
lan = 127.0.0.1:$LP
ddns = 127.0.0.1:$DP
tsig_key = ddns-key:hmac-sha256:$SECRET
CONF
dns_start "$T/rgw.conf" || { fail "rgwd starts with a TSIG key"; summary; }
script="server 127.0.0.1 $DP
zone gwa.demo
update add signed.gwa.demo 300 A 192.168.0.180
send"
out=$(upd <<<"$script")
check "unsigned update refused when a key is configured: NOTAUTH" \
	bash -c 'grep -q NOTAUTH <<<"$1" && $L signed.gwa.demo A | grep -q "status: NXDOMAIN"' _ "$out"
out=$(upd -y "hmac-sha256:ddns-key:$WRONG" <<<"$script")
check "wrong key: refused" \
	bash -c '[ -n "$1" ] && $L signed.gwa.demo A | grep -q "status: NXDOMAIN"' _ "$out"
out=$(upd -y "hmac-sha256:ddns-key:$SECRET" <<<"$script")
check "signed update accepted, signed reply verified by nsupdate" test -z "$out"
check "signed registration answers" bash -c '$L signed.gwa.demo A +short | grep -qx 192.168.0.180'
dns_stop
check "updates counted" bash -c 'grep -Eq "updates [1-9]" "$T/rgwd.log"'
summary
