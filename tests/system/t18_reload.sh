#!/usr/bin/env bash
# t18_reload -- SIGHUP re-reads rgw.conf: every key that can change at run time is changed
# on a running rgwd and checked live with a real client (dig, curl, openssl s_client, raw
# sockets): log level, DNS listeners (wan, lan, local, ddns) and limits (edns_size, lan_ttl,
# tcp_max_queries, tcp_idle_timeout; tcp_max_connections warned about), ALG limits and timeouts
# (hostname_timeout, idle_timeout, connect_timeout, max_connections, per source, accept
# rate, access log switches and file), API listeners, metrics listeners, TLS certificate
# renewed in place, rate, max_body, audit retention. A key that needs a restart is named in a
# warning and keeps its value; a broken file or a port in use changes nothing. Then, as
# root in namespaces, [nat] keep_table_on_stop: a restart keeps an established flow through
# a pool address. Loopback, plus namespaces for the last part.
. "$(dirname "$0")/lib.sh"

read -r P_WAN P_LAN P_LOC P_DDNS P_WAN2 P_LAN2 P_LOC2 P_DDNS2 P_ALG P_BACK P_API P_API2 P_MET P_SIL < <(
	/usr/bin/python3 -c 'import socket
ss=[]
for _ in range(14):
    s=socket.socket(); s.bind(("127.0.0.1",0)); u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    u.bind(("127.0.0.1",s.getsockname()[1])); ss+=[s,u]
print(" ".join(str(s.getsockname()[1]) for s in ss[::2]))')
cat > "$T/bundle.json" <<JSON
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward", "ttl": 3600,
   "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "127.0.0.1"}]}],
 "hosts": [{"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100", "services": [{"fqdn": "test.gwa.demo"}]}],
 "alg_routes": [{"hostname": "a.alg.test", "port": 0, "backend": "127.0.0.1:$P_BACK", "preserve": "none"},
                {"hostname": "b.alg.test", "port": 0, "backend": "127.0.0.1:$P_SIL", "preserve": "none"}]}
JSON
# conf: the variables below are the knobs; every test changes some and reloads
LEVEL=info WAN=127.0.0.1:$P_WAN LAN=127.0.0.1:$P_LAN LOC=127.0.0.1:$P_LOC DDNS=127.0.0.1:$P_DDNS
EDNS=1232 LANTTL=30 TCPQ=100 TCPIDLE=10000 TCPMAX=1024
HELLO=60000 IDLE=300000 CONNTO=2000 MAXC=10000 MAXSRC=512 RATE=2000 BURST=4000
ACC=yes ACCOK=yes ACCFILE= LISTEN=127.0.0.1:$P_API METRICS= ARATE=1000 ABURST=1000
MAXBODY=1048576 RETENTION=0 TABLE=rgw
writeconf() {
	cat > "$T/rgw.conf" <<CONF
[daemon]
database = $T/rgw.db
bundle_seed = $T/bundle.json
[log]
level = $LEVEL
[dns]
wan = $WAN
lan = $LAN
local = $LOC
ddns = $DDNS
edns_size = $EDNS
lan_ttl = $LANTTL
tcp_max_queries = $TCPQ
tcp_idle_timeout = $TCPIDLE
tcp_max_connections = $TCPMAX
[nat]
enable = no
table = $TABLE
[alg]
listen = 127.0.0.1:$P_ALG
workers = 2
hostname_timeout = $HELLO
idle_timeout = $IDLE
connect_timeout = $CONNTO
max_connections = $MAXC
max_connections_per_source = $MAXSRC
accept_rate = $RATE
accept_burst = $BURST
access_log = $ACC
access_log_ok = $ACCOK
access_log_file = $ACCFILE
[api]
listen = $LISTEN
metrics_listen = $METRICS
tls_cert = $CERT
tls_key = $KEY
rate = $ARATE
rate_burst = $ABURST
max_body = $MAXBODY
audit_retention = $RETENTION
CONF
}
mkcert() { # mkcert CN: a fresh self-signed certificate at the configured paths
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.tmp" -out "$T/cert.tmp" -days 1 \
		-subj "/CN=$1" -addext "subjectAltName=IP:127.0.0.1" > /dev/null 2>&1
	mv "$T/key.tmp" "$T/key.pem"
	mv "$T/cert.tmp" "$T/cert.pem"
}
CERT=$T/cert.pem KEY=$T/key.pem
mkcert first-cert
writeconf
TOK=$("$RGWD" -c "$T/rgw.conf" --new-token ops 2>/dev/null)
printf '#!/bin/sh\nread l\nprintf "HTTP/1.0 200 OK\\r\\nContent-Length: 8\\r\\n\\r\\nbackend\\n"\n' > "$T/backend.sh"
chmod +x "$T/backend.sh"
socat "TCP-LISTEN:$P_BACK,bind=127.0.0.1,reuseaddr,fork" EXEC:"$T/backend.sh" 2> /dev/null &
at_exit "kill -9 $!"
"$RGWD" -c "$T/rgw.conf" > /dev/null 2> "$T/log" &
DPID=$!
at_exit "kill -9 $DPID"
check "rgwd starts" wait_for 'rgwd: ready' "$T/log" 15

# reload: rewrite the file from the knobs, SIGHUP, wait for the outcome line
reloads=0
reload() {
	writeconf
	reloads=$((reloads + 1))
	kill -HUP "$DPID"
	poll 10 sh -c "[ \$(grep -cE 'rgwd: reload: ([0-9]+ configuration changes? in force|no configuration change)|rgwd: reload failed' '$T/log') -ge $reloads ]"
}
api() { # api URLBASE PATH [curl args]: CODE
	local b=$1 p=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -m 5 --cacert "$T/cert.pem" -H "Authorization: Bearer $TOK" "$@" "$b$p"
}
HTTPS=https://127.0.0.1:$P_API
alg_get() { curl -s -m 5 -H 'Host: a.alg.test' "http://127.0.0.1:$P_ALG/"; }

# --- log level
check "before: no debug lines" sh -c "! grep -q ' debug ' '$T/log'"
LEVEL=debug reload
check "log.level: reported as changed" grep -q 'reload: log.level changed' "$T/log"
dig +short +time=2 +tries=1 -p "$P_LOC" @127.0.0.1 gwa.demo SOA > /dev/null
check "log.level: debug lines now" poll 5 grep -q ' debug ' "$T/log"
LEVEL=info reload

# --- a key that needs a restart: named, kept
sed_before=$(grep -c 'rgwd: reload' "$T/log")
TABLE=other reload
check "nat.table (restart only): named in a warning" grep -q "reload: nat.table changed but takes effect only at a restart" "$T/log"
TABLE=rgw reload

# --- TLS certificate renewed at the same path
subj() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$P_API" 2> /dev/null | openssl x509 -noout -subject 2> /dev/null; }
check "before: the API presents the first certificate" sh -c "subj() { echo | timeout 5 openssl s_client -connect 127.0.0.1:$P_API 2>/dev/null | openssl x509 -noout -subject; }; subj | grep -q first-cert"
mkcert renewed-cert
reload
check "tls_cert/tls_key: a renewed certificate is served after the reload" sh -c "echo | timeout 5 openssl s_client -connect 127.0.0.1:$P_API 2>/dev/null | openssl x509 -noout -subject | grep -q renewed-cert"
code=$(api "$HTTPS" /api/v1/status)
check "... and the API answers with it ($code)" test "$code" = 200

# --- a broken certificate: the reload fails and changes nothing
cp "$T/cert.pem" "$T/good-cert.pem"
echo junk > "$T/cert.pem"
mkdir -p "$T/x"
reload
check "unreadable certificate: the reload fails" grep -q 'reload failed; the configuration and policy in force stay' "$T/log"
cp "$T/good-cert.pem" "$T/cert.pem"
code=$(api "$HTTPS" /api/v1/status)
check "... and the old listener still serves ($code)" test "$code" = 200

# --- a syntax error: nothing changes
printf '[dns]\nbogus_key = 1\n' >> "$T/rgw.conf"
reloads=$((reloads + 1))
kill -HUP "$DPID"
poll 10 sh -c "[ \$(grep -cE 'rgwd: reload: ([0-9]+ configuration changes? in force|no configuration change)|rgwd: reload failed' '$T/log') -ge $reloads ]"
check "a broken rgw.conf: the reload says why (file:line)" grep -q "reload: $T/rgw.conf:[0-9]*: .*bogus_key" "$T/log"
check "... and changes nothing" grep -q "reload: $T/rgw.conf has 1 error; nothing changed" "$T/log"

# --- API listeners, metrics listener, rate, max_body
LISTEN="127.0.0.1:$P_API2" METRICS="127.0.0.1:$P_MET" reload
code=$(api "https://127.0.0.1:$P_API2" /api/v1/status)
check "api.listen: the new address serves ($code)" test "$code" = 200
code=$(api "$HTTPS" /api/v1/status)
check "api.listen: the old one is closed ($code)" test "$code" = 000
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$P_MET/metrics")
check "api.metrics_listen: token-free scrape ($code)" test "$code" = 200
LISTEN="127.0.0.1:$P_API2" METRICS= ARATE=1 ABURST=2 MAXBODY=1024 reload
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$P_MET/metrics")
check "api.metrics_listen removed: closed ($code)" test "$code" = 000
for i in 1 2 3 4; do api "https://127.0.0.1:$P_API2" /api/v1/zones > /dev/null; done
code=$(api "https://127.0.0.1:$P_API2" /api/v1/zones)
check "api.rate/rate_burst 1/2: the fifth quick request is limited ($code)" test "$code" = 429
ARATE=1000 ABURST=1000 LISTEN="127.0.0.1:$P_API2" MAXBODY=1024 reload
big=$(head -c 3000 /dev/zero | tr '\0' ' ')
code=$(api "https://127.0.0.1:$P_API2" /api/v1/groups -X POST -H 'Content-Type: application/json' --data-binary "{\"name\":\"g\",$big\"comment\":\"padded\"}")
check "api.max_body 1024: a 3 kB body is refused ($code)" test "$code" = 413
LISTEN="127.0.0.1:$P_API" MAXBODY=1048576 reload
code=$(api "$HTTPS" /api/v1/groups -X POST -H 'Content-Type: application/json' --data-binary "{\"name\":\"g\",$big\"comment\":\"padded\"}")
check "... back to 1 MB: accepted, on the first address again ($code)" test "$code" = 201

# --- audit retention: an old line is pruned when the retention is set by a reload
sqlite3 "$T/rgw.db" "INSERT INTO audit (ts_ms, actor, action, resource, detail) VALUES ($(($(date +%s) * 1000 - 5 * 86400000)), 'old', 'POST', '/api/v1/x', '')" 2> /dev/null ||
	{ sleep 0.2; sqlite3 "$T/rgw.db" "INSERT INTO audit (ts_ms, actor, action, resource, detail) VALUES ($(($(date +%s) * 1000 - 5 * 86400000)), 'old', 'POST', '/api/v1/x', '')"; }
check "a 5-day-old audit line is there" test "$(sqlite3 "$T/rgw.db" "select count(*) from audit where actor = 'old'")" = 1
RETENTION=2 reload
check "api.audit_retention 2 days: it is pruned at the reload" poll 5 sh -c "[ \$(sqlite3 '$T/rgw.db' \"select count(*) from audit where actor = 'old'\") = 0 ]"

# --- DNS listeners: every kind moves to a new port
WAN=127.0.0.1:$P_WAN2 LAN=127.0.0.1:$P_LAN2 LOC=127.0.0.1:$P_LOC2 DDNS=127.0.0.1:$P_DDNS2 reload
for kind in WAN LAN LOC DDNS; do
	eval "new=\$P_${kind}2 old=\$P_$kind"
	out=$(dig +time=2 +tries=1 -p "$new" @127.0.0.1 gwa.demo SOA 2>&1 | grep -c 'status:')
	check "dns.${kind,,}: the new listener answers (UDP)" test "$out" = 1
	out=$(dig +tcp +time=2 +tries=1 -p "$new" @127.0.0.1 gwa.demo SOA 2>&1 | grep -c 'status:')
	check "dns.${kind,,}: ... and over TCP" test "$out" = 1
	out=$(dig +time=1 +tries=1 -p "$old" @127.0.0.1 gwa.demo SOA 2>&1 | grep -c 'status:')
	check "dns.${kind,,}: the old one is closed" test "$out" = 0
done
WAN=127.0.0.1:$P_WAN2 LAN=127.0.0.1:$P_LAN2 LOC=127.0.0.1:$P_LOC2 DDNS=127.0.0.1:$P_DDNS2
# a listener that cannot be opened fails the whole reload
holder=$(free_port)
/usr/bin/python3 -c "
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', $holder)); time.sleep(30)" &
hp=$!
at_exit "kill -9 $hp"
poll 5 sh -c "ss -uln | grep -q '127.0.0.1:$holder '"
LOC=127.0.0.1:$holder EDNS=512 reload
check "dns.local on a port in use: the reload fails" grep -q 'dns: reload: cannot listen on 127.0.0.1:'"$holder" "$T/log"
edns=$(dig +bufsize=4096 +time=2 +tries=1 -p "$P_LOC2" @127.0.0.1 gwa.demo SOA | sed -n 's/.*; udp: \([0-9]*\).*/\1/p')
check "... and nothing changed (EDNS still 1232: $edns)" test "$edns" = 1232
kill -9 $hp

# --- DNS limits
EDNS=512 LANTTL=77 TCPQ=1 TCPIDLE=500 reload
edns=$(dig +bufsize=4096 +time=2 +tries=1 -p "$P_LOC2" @127.0.0.1 gwa.demo SOA | sed -n 's/.*; udp: \([0-9]*\).*/\1/p')
check "dns.edns_size 512: advertised ($edns)" test "$edns" = 512
ttl=$(dig +noall +answer +time=2 +tries=1 -p "$P_LAN2" @127.0.0.1 test.gwa.demo A | awk '{print $2}')
check "dns.lan_ttl 77: LAN answers carry it ($ttl)" test "$ttl" = 77
/usr/bin/python3 - "$P_LOC2" > "$T/tcpq" 2>&1 <<'PY'
import socket, struct, sys, time
def q(i):
    name = b"".join(bytes([len(p)]) + p for p in [b"gwa", b"demo"]) + b"\0"
    m = struct.pack(">HHHHHH", i, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 6, 1)
    return struct.pack(">H", len(m)) + m
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(q(1) + q(2))
got, data = 0, b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except socket.timeout:
    pass
while len(data) >= 2:
    n = struct.unpack(">H", data[:2])[0]
    if len(data) < 2 + n:
        break
    got += 1
    data = data[2 + n:]
print("answers", got)
s2 = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.time()
try:
    print("idle-closed", s2.recv(10) == b"", round(time.time() - t, 1))
except socket.timeout:
    print("idle-closed False")
PY
check "dns.tcp_max_queries 1: one answer, then the connection closes" grep -q '^answers 1$' "$T/tcpq"
check "dns.tcp_idle_timeout 500 ms: an idle connection is closed" grep -q '^idle-closed True' "$T/tcpq"
EDNS=1232 LANTTL=30 TCPQ=100 TCPIDLE=10000 TCPMAX=1 reload
# the per-source tables are sized from it at start-up: a restart-only key
check "dns.tcp_max_connections (restart only): named in a warning" \
	grep -q "reload: dns.tcp_max_connections changed but takes effect only at a restart" "$T/log"
TCPMAX=1024 reload

# --- ALG limits, timeouts and access log
check "before: the ALG routes" test "$(alg_get)" = backend
HELLO=100 reload
/usr/bin/python3 - "$P_ALG" > "$T/hello" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.time()
try:
    print("closed", s.recv(10) == b"", round(time.time() - t, 2))
except ConnectionResetError:
    print("closed reset")
except socket.timeout:
    print("open")
PY
check "alg.hostname_timeout 100 ms: a silent client is closed at once ($(cat "$T/hello"))" grep -qE '^closed (True [0-2]\.|reset)' "$T/hello"
HELLO=60000 MAXSRC=1 reload
/usr/bin/python3 - "$P_ALG" > "$T/persrc" 2>&1 <<'PY'
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
time.sleep(0.3)
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
try:
    print("second", "closed" if b.recv(10) == b"" else "open")
except socket.timeout:
    print("second open")
except ConnectionResetError:
    print("second closed")
PY
check "alg.max_connections_per_source 1: a second connection is closed at once" grep -q '^second closed' "$T/persrc"
MAXSRC=512 MAXC=1 reload
/usr/bin/python3 - "$P_ALG" > "$T/maxc" 2>&1 <<'PY'
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
time.sleep(0.3)
b = socket.create_connection(("127.0.0.2", int(sys.argv[1])) if False else ("127.0.0.1", int(sys.argv[1])), timeout=3)
try:
    print("second", "closed" if b.recv(10) == b"" else "open")
except socket.timeout:
    print("second open")
except ConnectionResetError:
    print("second closed")
PY
check "alg.max_connections 1: a second connection is closed at once" grep -q '^second closed' "$T/maxc"
MAXC=10000 RATE=1 BURST=1 reload
r1=$(alg_get)
# the allowance is per source and a source with no connection starts full: a second
# connection while the first is open finds the bucket empty
/usr/bin/python3 - "$P_ALG" > "$T/rate" 2>&1 <<'PY'
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
time.sleep(0.3)
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
try:
    print("second", "closed" if b.recv(10) == b"" else "open")
except socket.timeout:
    print("second open")
except ConnectionResetError:
    print("second closed")
PY
check "alg.accept_rate/burst 1/1: served ($r1), a second connection from the source refused" \
	sh -c "[ '$r1' = backend ] && grep -q '^second closed' '$T/rate'"
RATE=2000 BURST=4000 ACCFILE=$T/access.log reload
check "alg.access_log_file: lines go to the new file" sh -c "curl -s -m 5 -H 'Host: a.alg.test' http://127.0.0.1:$P_ALG/ > /dev/null; for i in \$(seq 50); do grep -q 'outcome=ok' '$T/access.log' 2>/dev/null && exit 0; sleep 0.1; done; exit 1"
ACCFILE=$T/access.log ACCOK=no reload
n0=$(grep -c 'alg: client=' "$T/access.log")
alg_get > /dev/null
curl -s -m 5 -H 'Host: nosuch.alg.test' "http://127.0.0.1:$P_ALG/" > /dev/null
check "alg.access_log_ok no: the refused connection is logged" poll 5 grep -q 'name=nosuch.alg.test' "$T/access.log"
check "... the ok one is not" test "$(grep -c 'outcome=ok' "$T/access.log")" = "$n0"
ACCFILE=$T/access.log ACCOK=yes ACC=no reload
n1=$(grep -c 'alg: client=' "$T/access.log")
curl -s -m 5 -H 'Host: nosuch2.alg.test' "http://127.0.0.1:$P_ALG/" > /dev/null
alg_get > /dev/null
check "alg.access_log no: nothing is logged" test "$(grep -c 'alg: client=' "$T/access.log")" = "$n1"
ACC=yes ACCFILE= IDLE=1000 reload
/usr/bin/python3 - "$P_ALG" "$P_SIL" > "$T/idle" 2>&1 <<'PY'
import socket, sys, time
# a backend that accepts and stays silent: once relayed, the connection idles
bs = socket.socket(); bs.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
bs.bind(("127.0.0.1", int(sys.argv[2]))); bs.listen(4)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET / HTTP/1.1\r\nHost: b.alg.test\r\n\r\n")
conn, _ = bs.accept()
t = time.time()
try:
    while s.recv(4096):
        pass
    print("closed", round(time.time() - t, 1))
except socket.timeout:
    print("open")
PY
check "alg.idle_timeout 1 s: an idle relayed connection is closed ($(cat "$T/idle"))" grep -qE '^closed [0-5]\.' "$T/idle"
IDLE=300000 CONNTO=100 reload
check "alg.connect_timeout: reported as changed" grep -q 'reload: alg.connect_timeout changed' "$T/log"
check "... and in force (the ALG says so)" grep -q 'alg: hostname timeout 60000 ms, connect timeout 100 ms' "$T/log"

kill -TERM "$DPID"
wait "$DPID"
check "clean shutdown after $reloads reloads" test $? = 0
check "no sanitizer report" sh -c "! grep -qiE 'sanitizer|runtime error' '$T/log'"

# --- [nat] keep_table_on_stop: a restart keeps an established flow (root, namespaces)
if [ "$(id -u)" = 0 ]; then
	PUB=rgwr$$p GW=rgwr$$g PRIV=rgwr$$s
	QNUM=$((5000 + ($$ + 5) % 30000))
	# every process left in the namespaces (socat's per-connection children too) dies with them
	at_exit "for n in $PUB $GW $PRIV; do ip netns pids \$n | xargs -r kill -9; done; ns_del $PUB; ns_del $GW; ns_del $PRIV"
	gw_topology $PUB $GW $PRIV
	cat > "$T/nat.json" <<'JSON'
{"version": 1,
 "zones": [{"name": "gwa.demo", "kind": "forward", "ttl": 3600,
   "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 1,
           "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
   "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "100.64.1.130"}]}],
 "service_addresses": ["100.64.1.130"], "pool": ["100.64.1.131-100.64.1.133"],
 "hosts": [{"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100", "services": [{"fqdn": "test.gwa.demo"}],
            "firewall": [{"direction": "ingress", "action": "accept", "priority": 100}]}],
 "admission": {"dns_tcp": false, "dns_cname": false, "dns_tcpcname": false, "dns_cookies": false,
               "unknown_resolver_groups": true,
               "load_brackets": [{"load_min": 0, "load_max": 100, "fqdn_new": 0, "sfqdn_new": 0,
                                  "sfqdn_reuse": 0, "math": "max"}]}}
JSON
	cat > "$T/nat.conf" <<CONF
[daemon]
database = $T/nat.db
bundle_seed = $T/nat.json
[dns]
wan = 100.64.1.130:53
[nat]
table = rgwr$$
queue = $QNUM
wan_interfaces = wan0
lan_interfaces = lan0
keep_table_on_stop = no
[alg]
enable = no
[api]
enable = no
CONF
	ip netns exec $PRIV socat TCP-LISTEN:7000,bind=192.168.0.100,reuseaddr,fork EXEC:cat 2> /dev/null &
	at_exit "kill -9 $!"
	ip netns exec $GW "$RGWD" -c "$T/nat.conf" > /dev/null 2> "$T/nat1.log" &
	NP=$!
	at_exit "kill -9 $NP"
	check "NAT: rgwd starts in $GW" wait_for 'rgwd: ready' "$T/nat1.log" 20
	# keep_table_on_stop is reloadable: turned on by SIGHUP before the restart
	sed -i 's/^keep_table_on_stop = no/keep_table_on_stop = yes/' "$T/nat.conf"
	kill -HUP $NP
	check "keep_table_on_stop turned on by a reload" wait_for 'reload: nat.keep_table_on_stop changed' "$T/nat1.log" 10
	addr=$(ip netns exec $PUB dig +short +time=2 +tries=2 @100.64.1.130 test.gwa.demo A)
	# a long-lived echo flow through the pool address: a FIFO feeds it line by line
	mkfifo "$T/in"
	(ip netns exec $PUB timeout 60 socat -T 50 - "TCP:$addr:7000" < "$T/in" > "$T/echo" 2>&1) &
	exec 9> "$T/in"
	echo before >&9
	check "an established flow through $addr echoes" poll 10 grep -q '^before$' "$T/echo"
	kill -TERM $NP
	wait $NP
	check "clean stop: the table is kept" sh -c "grep -q 'table inet rgwr$$ kept' '$T/nat1.log' && ip netns exec $GW nft list table inet rgwr$$ > /dev/null 2>&1"
	echo during >&9
	check "the flow works while rgwd is stopped" poll 10 grep -q '^during$' "$T/echo"
	ip netns exec $GW "$RGWD" -c "$T/nat.conf" > /dev/null 2> "$T/nat2.log" &
	NP=$!
	at_exit "kill -9 $NP"
	check "restart: rgwd replaces the table" wait_for 'rgwd: ready' "$T/nat2.log" 20
	echo after >&9
	check "the flow established before the restart still works after it" poll 10 grep -q '^after$' "$T/echo"
	addr2=$(ip netns exec $PUB dig +short +time=2 +tries=2 @100.64.1.130 test.gwa.demo A)
	out=$(echo new | ip netns exec $PUB timeout 5 socat -T 2 - "TCP:$addr2:7000" 2>&1)
	check "a new flow is admitted after the restart ($out)" test "$out" = new
	exec 9>&-
	sed -i 's/^keep_table_on_stop = yes/keep_table_on_stop = no/' "$T/nat.conf"
	kill -HUP $NP
	wait_for 'reload: nat.keep_table_on_stop changed' "$T/nat2.log" 10
	kill -TERM $NP
	wait $NP
	check "keep_table_on_stop = no: a clean stop removes the table" sh -c "! ip netns exec $GW nft list table inet rgwr$$ > /dev/null 2>&1"
else
	fail "the NAT part needs root"
fi
summary
