#!/usr/bin/env bash
# t14_policy_import -- the real rgwd binary against its SQLite store: bad bundles leave the
# database file byte-identical, and SIGKILL at random moments of `rgwd --import` of a large
# bundle never leaves a damaged or half-imported policy. No root or network needed.
. "$(dirname "$0")/lib.sh"
BUNDLE="$TOP/docs/examples/gwa.demo.json"
DB="$T/rgw.db"

cat > "$T/rgw.conf" <<CONF
[daemon]
database = $DB
[dns]
enable = no
[nat]
enable = no
[alg]
enable = no
[api]
enable = no
CONF
rgwd() { timeout 60 "$RGWD" -c "$T/rgw.conf" "$@"; }
# file bytes of the database and its WAL, as one digest
db_sum() { cat "$DB" "$DB-wal" 2>/dev/null | sha256sum | cut -d' ' -f1; }

check "import the example bundle" rgwd --import "$BUNDLE"
rgwd --export > "$T/before.json"
sum_before=$(db_sum)
dump_before=$(sqlite3 "$DB" .dump | sha256sum)

# --- bad bundles: refused with the field named, database untouched
bad() { # name jq-filter expected-field
	jq "$2" "$BUNDLE" > "$T/bad-$1.json" || { fail "jq $1"; return; }
	rgwd --import "$T/bad-$1.json" > "$T/out-$1" 2>&1
	local rc=$?
	check "$1: refused with exit 4" test "$rc" = 4
	check "$1: error names $3" grep -qF -- "$3" "$T/out-$1"
	check "$1: database file unchanged" test "$(db_sum)" = "$sum_before"
}
bad unknown-key '.hosts[3].services[2].colour = "red"' 'hosts[3].services[2].colour'
bad wrong-type '.admission.dns_tcp = "yes"' 'admission.dns_tcp'
bad bad-port '.hosts[0].firewall[0].dport = 65536' 'hosts[0].firewall[0].dport'
bad bad-addr '.hosts[2].ipv4 = "192.168.0.300"' 'hosts[2].ipv4'
bad bad-prefix '.hosts[0].firewall[1].src = "100.64.0.2/24"' 'hosts[0].firewall[1].src'
bad dup-addr '.hosts[2].ipv4 = .hosts[1].ipv4' 'hosts[2].ipv4'
bad dup-service '.hosts[1].services[1].fqdn = "www.test.gwa.demo"' 'hosts[1].services[1].fqdn'
bad missing-group '.hosts[0].groups = ["gold"]' 'hosts[0].groups[0]'
bad label-boundary '.hosts[1].fqdn = "xgwa.demo"' 'hosts[1].fqdn'
bad pool-overlap '.pool += ["100.64.1.130"]' 'pool'
bad bracket '.admission.load_brackets[0].load_min = 100 | .admission.load_brackets[0].load_max = 99' \
	'admission.load_brackets[0].load_min'
bad reputation '.resolver_groups[0].initial_reputation = 1.5' 'resolver_groups[0].initial_reputation'
printf '{"version": 1, "zones": []} trailing' > "$T/garbage.json"
rgwd --import "$T/garbage.json" > "$T/out-garbage" 2>&1
check "trailing garbage refused with exit 4" test $? = 4
check "database dump unchanged after the bad imports" \
	test "$(sqlite3 "$DB" .dump | sha256sum)" = "$dump_before"

# --- SIGKILL during large imports
for v in 0 1; do
	tag=$([ $v = 0 ] && echo a || echo b)
	jq -n --arg tag "$tag" --argjson v "$v" '{version: 1,
	    zones: [{name: "kill.test", nameservers: [{name: "ns.kill.test"}]}],
	    pool: ["100.64.\($v).0/24"], groups: [{name: "g"}],
	    hosts: [range(5000) as $h | "\($tag)\($h).kill.test" as $fq |
	        {fqdn: $fq, ipv4: "10.\($v).\($h / 256 | floor).\($h % 256)", groups: ["g"],
	         services: [range(10) as $k | {fqdn: "tcp\(1000 + $k + $v).\($fq)"}],
	         firewall: [range(5) as $k | {direction: "ingress", protocol: "tcp",
	                                      dport: (80 + $k + $v), action: "accept"}]}]}' \
		> "$T/big-$tag.json"
done
check "import bundle B (5000 hosts)" rgwd --import "$T/big-b.json"
rgwd --export > "$T/want-b.json"
t0=$(date +%s%N)
check "import bundle A (5000 hosts)" rgwd --import "$T/big-a.json"
t1=$(date +%s%N)
rgwd --export > "$T/want-a.json"
ms=$(( (t1 - t0) / 1000000 ))
echo "# one rgwd --import of 5000 hosts takes ${ms} ms"

rounds=10 seen_a=0 seen_b=0 bad_rounds=0
for r in $(seq 1 $rounds); do
	if [ $((r % 2)) = 1 ]; then next=b; else next=a; fi
	"$RGWD" -c "$T/rgw.conf" --import "$T/big-$next.json" > /dev/null 2>&1 &
	pid=$!
	at_exit "kill -9 $pid"
	# between a third and one and a half import times: parse, transaction, or after commit
	delay=$(( ms / 3 + (RANDOM * 32768 + RANDOM) % (ms * 7 / 6 + 1) ))
	sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	ic=$(sqlite3 "$DB" 'PRAGMA integrity_check')
	rgwd --export > "$T/got.json" 2> "$T/export.err"
	if [ "$ic" != ok ]; then
		bad_rounds=$((bad_rounds + 1)); echo "# round $r: integrity_check: $ic"
	elif cmp -s "$T/got.json" "$T/want-a.json"; then
		seen_a=$((seen_a + 1))
	elif cmp -s "$T/got.json" "$T/want-b.json"; then
		seen_b=$((seen_b + 1))
	else
		bad_rounds=$((bad_rounds + 1)); echo "# round $r: policy is neither A nor B"
	fi
done
echo "# $rounds kills: policy A $seen_a times, B $seen_b times"
check "every kill left an intact database holding bundle A or B" test "$bad_rounds" = 0
check "foreign keys intact" test -z "$(sqlite3 "$DB" 'PRAGMA foreign_key_check')"

summary
