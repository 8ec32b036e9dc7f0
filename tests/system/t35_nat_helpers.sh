#!/usr/bin/env bash
# t35_nat_helpers -- the conntrack helpers end to end through pool bindings, with real peers:
# vsftpd on the private host and curl / lftp on the public side (a 10 MiB file, passive and
# active mode, EPSV/PASV and EPRT/PORT), tftpd-hpa and tftp-hpa, SIPp as UAS (RTP echo) and
# UAC (a call with a G.711 RTP stream played from a pcap). The FTP data connections, the TFTP
# data and the RTP media are admitted by the helpers' expectations: rgwd admits one first
# packet per session (its counters), never a second binding. Helpers are attached by rules that
# match the admission mark only (flows admitted through a binding), as the table shows.
# Resolver cache windows are off (cache_window_ms 0): one binding admits one session.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; echo "0 passed, 1 failed"; exit 1; }
for c in vsftpd in.tftpd tftp sipp lftp; do
	command -v $c >/dev/null || { echo "$c missing (make deps-test)"; echo "0 passed, 1 failed"; exit 1; }
done

P=rgwhlp$$
PUB=${P}p
GW=${P}g
PRIV=${P}h
QNUM=$((3000 + ($$ + 29) % 30000))
APORT=$((20000 + ($$ + 31) % 20000))
pids=()
at_exit "for p in \${pids[@]}; do kill \$p; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
gw_topology $PUB $GW $PRIV || { echo "0 passed, 1 failed"; exit 1; }
for i in 131 132 133 134; do ip -n $GW addr add 100.64.1.$i/32 dev wan0; done

# --- the servers on the private host
mkdir -p "$T/ftp" "$T/empty" "$T/tftp" "$T/sip/pcap"
chmod 755 "$T/ftp" "$T/tftp"
head -c 10485760 /dev/urandom > "$T/ftp/big.bin"
head -c 262144 /dev/urandom > "$T/tftp/small.bin"
chmod 644 "$T/ftp/big.bin" "$T/tftp/small.bin"
cat > "$T/vsftpd.conf" <<CONF
listen=YES
listen_address=192.168.0.100
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$T/ftp
secure_chroot_dir=$T/empty
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30099
port_enable=YES
connect_from_port_20=YES
xferlog_enable=NO
seccomp_sandbox=NO
CONF
ip netns exec $PRIV vsftpd "$T/vsftpd.conf" > "$T/vsftpd.log" 2>&1 &
pids+=($!)
ip netns exec $PRIV in.tftpd --foreground --address 192.168.0.100:69 --secure "$T/tftp" \
	> "$T/tftpd.log" 2>&1 &
pids+=($!)
for f in g711a.pcap dtmf_2833_1.pcap; do ln -s /usr/share/sip-tester/$f "$T/sip/pcap/$f"; done
(cd "$T/sip" && exec ip netns exec $PRIV sipp -sn uas -i 192.168.0.100 -p 5060 -mi 192.168.0.100 \
	-rtp_echo -nostdin -trace_err -error_file "$T/sip/uas_err.log" > "$T/sip/uas.out" 2>&1) &
pids+=($!)

cat > "$T/bundle.json" <<'JSON'
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.0.1"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.134"],
  "hosts": [
    {"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100",
     "services": [{"fqdn": "tcp21.test.gwa.demo"}, {"fqdn": "udp69.test.gwa.demo"},
                  {"fqdn": "udp5060.test.gwa.demo"}]}
  ],
  "admission": {"dns_tcp": false, "dns_cookies": false, "dns_cname": false,
                "cache_window_ms": 0}
}
JSON
cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[dns]
wan = 100.64.0.1:53
[nat]
table = rgw
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
helpers = ${T35_HELPERS:-ftp, sip, tftp}
[alg]
enable = no
[api]
listen = 127.0.0.1:$APORT
CONF
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token t35 --role ro 2>/dev/null)
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
pids+=($RP)
check "rgwd (dns + nat, helpers ftp, sip, tftp) ready" wait_for 'rgwd: ready' "$T/log" 10
ftp_up() { ip netns exec $PRIV ss -Hltn 'sport = :21' | grep -q .; }
check "vsftpd listens on the private host" poll 10 ftp_up

q() { ip netns exec $PUB dig +time=2 +tries=1 @100.64.0.1 "$1" A +short 2>/dev/null | tail -n 1; }
nat() { # field of rgwd's nat status
	ip netns exec $GW curl -s -m 5 -H "Authorization: Bearer $TOK" \
		"http://127.0.0.1:$APORT/api/v1/status" | jq -r ".subsystems.nat.$1"
}
SUM=$(sha256sum < "$T/ftp/big.bin" | cut -d' ' -f1)

# --- FTP: each transfer resolves tcp21.test.gwa.demo (one binding), then the data
# connection rides on the helper's expectation
ftp_get() { # name: client command with @A@ for the address
	local A cmd a0 u0
	A=$(q tcp21.test.gwa.demo)
	[[ "$A" == 100.64.1.13[1-4] ]] || { echo "no pool address ($A)"; return 1; }
	a0=$(nat flows_admitted)
	u0=$(nat bindings_used)
	rm -f "$T/got.bin"
	cmd=${2//@A@/$A}
	ip netns exec $PUB timeout 60 bash -c "cd '$T' && $cmd" > "$T/ftp_$1.log" 2>&1
	echo "$(sha256sum < "$T/got.bin" 2>/dev/null | cut -d' ' -f1) $(($(nat flows_admitted) - a0)) $(($(nat bindings_used) - u0))"
}
for mode in \
	"passive-epsv|curl -s -S --ftp-pasv -o got.bin ftp://@A@/big.bin" \
	"passive-pasv|curl -s -S --ftp-pasv --disable-epsv -o got.bin ftp://@A@/big.bin" \
	"active-eprt|curl -s -S --ftp-port - -o got.bin ftp://@A@/big.bin" \
	"active-port|curl -s -S --ftp-port - --disable-eprt -o got.bin ftp://@A@/big.bin" \
	"lftp-passive|lftp -e 'set net:max-retries 1; set net:timeout 10; set ftp:passive-mode on; get big.bin -o got.bin; bye' ftp://anonymous:x@@A@"; do
	name=${mode%%|*}
	read -r got adm used <<<"$(ftp_get "$name" "${mode#*|}")"
	check "ftp $name: 10 MiB intact" test "$got" = "$SUM"
	check "ftp $name: one first packet admitted ($adm), one binding used ($used): the data connection came through the helper's expectation" \
		test "$adm:$used" = "1:1"
	[ "$got" = "$SUM" ] || sed 's/^/#   /' "$T/ftp_$name.log" | head -5
done

# --- TFTP: the server answers from a new port; the tftp helper expects it
A=$(q udp69.test.gwa.demo)
a0=$(nat flows_admitted)
ip netns exec $PUB timeout 30 bash -c "cd '$T' && tftp -m binary $A -c get small.bin tftp.bin" \
	> "$T/tftp.log" 2>&1
check "tftp: 256 KiB intact through the pool address ($A)" \
	test "$(sha256sum < "$T/tftp.bin" 2>/dev/null | cut -d' ' -f1)" = \
	"$(sha256sum < "$T/tftp/small.bin" | cut -d' ' -f1)"
check "tftp: one first packet admitted" test "$(($(nat flows_admitted) - a0))" = 1

# --- SIP: a call through the pool address, RTP both ways through the sip helper's expectations
ip netns exec $PRIV tcpdump -U -ni eth0 -w "$T/priv.pcap" 'udp and not port 5060' \
	> "$T/td1.log" 2>&1 &
TD1=$!
pids+=($TD1)
ip netns exec $PUB tcpdump -U -ni eth0 -w "$T/pub.pcap" 'udp and not port 5060 and not port 53' \
	> "$T/td2.log" 2>&1 &
TD2=$!
pids+=($TD2)
capturing() { grep -q "listening on" "$T/td1.log" && grep -q "listening on" "$T/td2.log"; }
check "tcpdump captures on both sides" poll 10 capturing
A=$(q udp5060.test.gwa.demo)
a0=$(nat flows_admitted)
(cd "$T/sip" && ip netns exec $PUB timeout 60 sipp -sn uac_pcap "$A:5060" -i 100.64.0.10 \
	-p 5070 -mi 100.64.0.10 -m 1 -nostdin -timeout 40 -trace_err \
	-error_file "$T/sip/uac_err.log" > "$T/sip/uac.out" 2>&1)
SRC=$?
kill $TD1 $TD2 2>/dev/null
wait $TD1 $TD2 2>/dev/null
check "sip: the call (INVITE, 200, ACK, media, BYE) succeeded (SIPp exit $SRC)" test "$SRC" = 0
[ -z "${T35_DEBUG:-}" ] || { cat "$T/sip/uas.out" | tail -20; nat flows_admitted; nat flows_refused; ip netns exec $GW conntrack -L -p udp; }
[ "$SRC" = 0 ] || sed 's/^/#   /' "$T/sip/uac_err.log" 2>/dev/null | head -5
to_host=$(tcpdump -nr "$T/priv.pcap" 'dst host 192.168.0.100 and src host 100.64.0.10' 2>/dev/null | wc -l)
back=$(tcpdump -nr "$T/pub.pcap" "src host $A and dst host 100.64.0.10" 2>/dev/null | wc -l)
echo "# sip: $to_host RTP packets reached the private UAS, $back echoes came back from $A"
check "sip: an RTP stream reached the private host through the pool address" test "$to_host" -ge 100
check "sip: ... and its echo came back from the pool address" test "$back" -ge 100
check "sip: one first packet admitted (the INVITE); RTP came through expectations" \
	test "$(($(nat flows_admitted) - a0))" = 1

# --- helpers only on flows admitted through a binding: the tables' rules say so
ip netns exec $GW nft list chain inet rgw rgw_reject > "$T/rr" 2>&1
for h in "tcp dport 21 ct helper set \"rgw-ftp\"" "udp dport 5060 ct helper set \"rgw-sip\"" \
	"udp dport 69 ct helper set \"rgw-tftp\""; do
	check "rule: meta mark 0x01000000/8 ... $h" \
		grep -qF "meta mark 0x01000000/8 $h" "$T/rr"
done
kill -TERM $RP
wait $RP
check "clean exit" test "$?" = 0

# --- behind the synproxy: the ftp helper is attached on the output hook (out_verdict), where
# the SYN the synproxy replays is admitted. Active mode only: a passive data connection's
# handshake ACK consumes the helper's expectation before the synproxy sees it (docs/nat.md).
ip netns exec $GW sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
sed -i 's/^helpers = .*/&\nsynproxy = yes/' "$T/rgw.conf"
mv "$T/log" "$T/log.1"
ip netns exec $GW "$RGWD" -c "$T/rgw.conf" > "$T/log" 2>&1 &
RP=$!
pids+=($RP)
check "rgwd restarted with the synproxy" wait_for 'rgwd: ready' "$T/log" 10
read -r got adm used <<<"$(ftp_get synproxy-port "curl -s -S --ftp-port - --disable-eprt -o got.bin ftp://@A@/big.bin")"
check "ftp active behind the synproxy: 10 MiB intact" test "$got" = "$SUM"
check "... one first packet admitted ($adm), one binding used ($used)" test "$adm:$used" = "1:1"
check "rgwd warns that passive FTP does not pass the synproxy" \
	grep -q "passive FTP data connections to pool addresses fail" "$T/log"
kill -TERM $RP
wait $RP
check "clean exit (synproxy)" test "$?" = 0
check "no sanitizer report in the log" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/log'"
summary
