# tests/system/dns_lib.sh -- helpers for the DNS system tests (sourced after lib.sh).
# Provides: dns_bundle FILE TCP COOKIES, dns_conf FILE (extra [dns] lines on stdin),
# dns_start CONF (sets RGWD_PID, log in $T/rgwd.log), dns_stop, dig_q.

# A small policy: one forward zone with glue, a reverse zone, hosts with services,
# an empty non-terminal chain (deep.a.b), a host without services, a host at pool_limit 1
# whose binding lasts a minute (the refusals checked while it is held never race its expiry).
dns_bundle() {
	local f=$1 tcp=${2:-false} cookies=${3:-false}
	cat >"$f" <<JSON
{
  "version": 1,
  "zones": [
    {"name": "gwa.demo", "kind": "forward", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 7,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo", "ipv4": "127.0.0.1"}]},
    {"name": "0.168.192.in-addr.arpa", "kind": "reverse", "ttl": 3600,
     "soa": {"mname": "ns1.gwa.demo", "rname": "hostmaster.gwa.demo", "serial": 7,
             "refresh": 3600, "retry": 600, "expire": 86400, "minimum": 60},
     "nameservers": [{"name": "ns1.gwa.demo"}]}
  ],
  "service_addresses": ["100.64.1.130"],
  "pool": ["100.64.1.131-100.64.1.142"],
  "hosts": [
    {"fqdn": "test.gwa.demo", "ipv4": "192.168.0.100", "ipv6": "2001:db8::100",
     "services": [
       {"fqdn": "test.gwa.demo"},
       {"fqdn": "www.test.gwa.demo", "proxy_required": true},
       {"fqdn": "ssh.test.gwa.demo", "protocol": "tcp", "port": 22},
       {"fqdn": "tcp2000.test.gwa.demo"}
     ]},
    {"fqdn": "deep.a.b.gwa.demo", "ipv4": "192.168.0.101",
     "services": [{"fqdn": "deep.a.b.gwa.demo"},
                  {"fqdn": "www.deep.a.b.gwa.demo", "proxy_required": true}]},
    {"fqdn": "plain.gwa.demo", "ipv4": "192.168.0.102"},
    {"fqdn": "limited.gwa.demo", "ipv4": "192.168.0.103", "pool_limit": 1,
     "services": [{"fqdn": "limited.gwa.demo", "binding_timeout_ms": 60000}]}
  ],
  "admission": {"dns_tcp": $tcp, "dns_cookies": $cookies}
}
JSON
}

# dns_conf FILE: a config for a loopback rgwd (DNS only); [dns] lines come from stdin.
dns_conf() {
	{
		printf '[daemon]\ndatabase = %s/rgw.db\nbundle_seed = %s/bundle.json\n' "$T" "$T"
		printf '[nat]\nenable = no\n[alg]\nenable = no\n[api]\nenable = no\n[dns]\n'
		cat
	} >"$1"
}

# dns_start CONF [extra rgwd args]: start rgwd in the background, wait until ready.
dns_start() {
	local conf=$1
	shift
	rm -f "$T/rgw.db" "$T/rgw.db-wal" "$T/rgw.db-shm"
	timeout 600 "$RGWD" -c "$conf" "$@" >"$T/rgwd.log" 2>&1 &
	RGWD_PID=$!
	at_exit "kill $RGWD_PID"
	if ! wait_for "rgwd: ready" "$T/rgwd.log" 10; then
		echo "rgwd did not start:"
		cat "$T/rgwd.log"
		return 1
	fi
}

dns_stop() {
	kill -TERM "$RGWD_PID" 2>/dev/null
	wait "$RGWD_PID" 2>/dev/null
}

# dig_q ARGS...: dig with short timeouts, one try
dig_q() {
	dig +time=2 +tries=1 "$@"
}
