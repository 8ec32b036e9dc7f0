#!/usr/bin/env bash
# t67_commit_disk_full -- the store's COMMIT fails after the kernel took the nftables batch:
# rgwd's database on a small tmpfs (in a private mount namespace) that the test fills, a
# PUT /bundle large enough that its WAL frames no longer fit. The answer is 500, the table
# is moved back (nft list is byte for byte the previous one), DNS answers and the stored
# policy are the previous ones; once there is room the same write goes through. Root needed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }

GW=rgwfull$$
QNUM=$((2000 + ($$ + 13) % 30000))
DB="$T/db"
mkdir -p "$DB"
at_exit "[ -n \"\${RP:-}\" ] && kill -9 \$RP; ns_del $GW"
ip netns add $GW || { echo "0 passed, 1 failed"; exit 1; }
ip -n $GW link add wan0 type veth peer name lan0
ip -n $GW link set lo up
LANP=5302 APIP=8080

cat > "$T/bundle.json" <<'JSON'
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward",
            "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}],
 "service_addresses": ["100.64.1.130"], "pool": ["100.64.1.131-100.64.1.140"],
 "hosts": [{"fqdn": "web.gwa.demo", "ipv4": "192.168.0.100"}]}
JSON
# 400 more hosts with a service and a firewall rule each: a few hundred kB of WAL frames
jq '.hosts += [range(400) as $i | {fqdn: "h\($i).gwa.demo",
	ipv4: "192.168.\(1 + ($i / 200 | floor)).\(10 + $i % 200)",
	services: [{fqdn: "h\($i).gwa.demo"}],
	firewall: [{direction: "ingress", protocol: "tcp", dport: (1000 + $i), action: "accept",
		    priority: 1}]}]' "$T/bundle.json" > "$T/big.json"
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $DB/rgw.db
bundle_seed = $T/bundle.json
[dns]
lan = 127.0.0.1:$LANP
[nat]
enable = yes
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
[alg]
enable = no
[api]
listen = 127.0.0.1:$APIP
CONF

# rgwd in its own mount namespace (the tmpfs exists only there) and in the network namespace;
# unshare, sh and ip netns exec all exec: $! is rgwd
unshare -m --propagation private sh -c \
	"mount -t tmpfs -o size=4m tmpfs '$DB' && exec ip netns exec $GW '$RGWD' -c '$T/rgw.conf'" \
	> "$T/out" 2> "$T/log" &
RP=$!
check "rgwd starts with its database on a 4 MB tmpfs" wait_for 'rgwd: ready' "$T/log" 10
TOK=$(grep -o 'rgw_[0-9a-f]*' "$T/out" | head -n 1)
in_db() { nsenter -t $RP -m "$@"; }
in_ns() { ip netns exec $GW "$@"; }
table() { in_ns nft list table inet rgw 2> /dev/null; }
lan() { in_ns dig +short +time=1 +tries=1 @127.0.0.1 -p $LANP "$@"; }
etag() { in_ns curl -s -D - -o /dev/null -H "Authorization: Bearer $TOK" "http://127.0.0.1:$APIP/api/v1/bundle" | tr -d '\r' | sed -n 's/^ETag: //Ip'; }
put_big() {
	CODE=$(in_ns curl -s -m 30 -o "$T/body" -w '%{http_code}' -X PUT \
		-H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
		--data-binary @"$T/big.json" "http://127.0.0.1:$APIP/api/v1/bundle")
}

table > "$T/t0"
E0=$(etag)
check "the seed policy is in force" test "$(lan web.gwa.demo A)" = 192.168.0.100
# fill the tmpfs, then give back 16 kB: room for small writes, not for the big one's frames
in_db sh -c "dd if=/dev/zero of='$DB/filler' bs=4k 2> /dev/null; \
	truncate -s \$((\$(stat -c %s '$DB/filler') - 16384)) '$DB/filler'"
check "the database's file system is full" \
	test "$(in_db df -k --output=avail "$DB" | tail -n 1 | tr -d ' ')" -le 16
put_big
check "PUT /bundle whose COMMIT cannot be written: 500" test "$CODE" = 500
check "... the COMMIT failed after the kernel took the batch, which was moved back" \
	bash -c "grep -q 'COMMIT failed' '$T/log' && grep -q 'table rgw is back to the policy in force' '$T/log'"
table > "$T/t1"
check "nft list table inet rgw is exactly the previous one" cmp -s "$T/t0" "$T/t1"
check "DNS answers the previous policy: the new hosts unknown" test -z "$(lan h5.gwa.demo A)"
check "... the old host still answered" test "$(lan web.gwa.demo A)" = 192.168.0.100
check "the stored policy is the previous one (bundle ETag)" test "$(etag)" = "$E0"

in_db rm "$DB/filler"
put_big
check "with room again the same PUT succeeds (200)" test "$CODE" = 200
check "... in force: DNS" test "$(lan h5.gwa.demo A)" = 192.168.1.15
check "... and the table (one rule per new host)" test "$(table | grep -c 'tcp dport')" -ge 400

kill -TERM $RP
wait $RP
rc=$?
RP=
check "clean shutdown" test "$rc" = 0
summary
