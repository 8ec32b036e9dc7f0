/* SPDX-License-Identifier: MIT */
/* common/conf.c -- rgw.conf: the schema table and the INI parser (cross-key checks and reload:
 * conf_check.c; example and man page: conf_doc.c) */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/conf_int.h"
#include "common/log.h"
#include "common/util.h"

#define CONF_LINE_MAX 4096
#define CONF_FILE_MAX (1024 * 1024)

struct parser {
	struct conf *c;
	struct conf_report r; /* where its errors go, the line being read */
	const char *section;  /* a known section, or NULL */
	bool skip;	      /* inside an unknown section: its keys are not reported again */
	unsigned char seen[128];
};

static const char *check_table(const char *v);
static const char *check_ifname(const char *v);
static const char *check_tsig(const char *v);
static const char *check_prefix6(const char *v);
static const char *check_fingerprint(const char *v);
static int split_value(struct parser *p, const struct conf_item *it, const char *v,
		       char (*items)[CONF_STR_MAX], size_t *n);
static int apply_value(struct parser *p, const struct conf_item *it, const char *v);
static void parse_line(struct parser *p, char *s);
static bool is_section(const char *name);
static unsigned edit_distance(const char *a, const char *b);

static const char *const log_levels[] = { "err", "warn", "info", "debug", NULL };
static const char *const fw_policies[] = { "accept", "drop", NULL };
static const char *const nat_helpers[] = { "ftp", "sip", "tftp", NULL };
static const char *const eve_types[] = { "unix_stream", "unix_dgram", NULL };
static const char *const ha_roles[] = { "standby", "active", NULL };
static const char *const ha_tls_modes[] = { "auto", "required", "off", NULL };

#define F(field) offsetof(struct conf, field), sizeof(((struct conf *)0)->field)

const struct conf_item conf_schema[] = {
	/* [daemon] */
	{ "daemon", "database", CONF_T_STR, 1, CONF_STR_MAX - 1, "/var/lib/rgw/rgw.db", F(database),
	  NULL,
	  "Path of the SQLite policy store. It is created, with its schema, "
	  "when it does not exist.",
	  NULL, false },
	{ "daemon", "bundle_seed", CONF_T_STR, 0, 0, "", F(bundle_seed), NULL,
	  "Policy bundle (JSON) imported at start-up when the store is empty. Empty: none.", NULL,
	  false },
	/* [log] */
	{ "log", "level", CONF_T_ENUM, 0, 0, "info", F(log_level), log_levels,
	  "Lowest severity logged.", NULL, true },
	{ "log", "syslog", CONF_T_BOOL, 0, 0, "no", F(log_syslog), NULL,
	  "Log to syslog (facility daemon) instead of standard error.", NULL, false },
	/* [dns] */
	{ "dns", "enable", CONF_T_BOOL, 0, 0, "yes", F(dns_enable), NULL, "Run the DNS server.",
	  NULL, false },
	{ "dns", "wan", CONF_T_ADDRPORTS, 53, 0, "", F(dns_wan), NULL,
	  "Authoritative listeners facing the Internet (UDP and TCP). Port 53 when omitted.", NULL,
	  true },
	{ "dns", "lan", CONF_T_ADDRPORTS, 53, 0, "", F(dns_lan), NULL,
	  "Listeners for private hosts: local names are answered, other names are forwarded "
	  "to the upstream resolvers.",
	  NULL, true },
	{ "dns", "local", CONF_T_ADDRPORTS, 53, 0, "", F(dns_local), NULL,
	  "Listeners answering local names only; names outside the zones get REFUSED.", NULL,
	  true },
	{ "dns", "ddns", CONF_T_ADDRPORTS, 53, 0, "", F(dns_ddns), NULL,
	  "Listeners accepting DNS UPDATE (RFC 2136) for host registration.", NULL, true },
	{ "dns", "upstream", CONF_T_ADDRPORTS, 53, 0, "", F(dns_upstream), NULL,
	  "Recursive resolvers used for LAN forwarding, tried in this order.", NULL, false },
	{ "dns", "upstream_timeouts", CONF_T_INTLIST, 10, 10000, "100,250,250",
	  F(dns_upstream_timeouts_ms), NULL,
	  "Timeout of each forwarding attempt in milliseconds; the number of items is the "
	  "number of attempts.",
	  NULL, false },
	{ "dns", "nested_timeouts", CONF_T_INTLIST, 10, 10000, "250,250,250",
	  F(dns_nested_timeouts_ms), NULL,
	  "Timeout of each attempt to ask a nested gateway (a host of the policy with nested) "
	  "in milliseconds; the number of items is the number of attempts. When all fail the "
	  "query is answered SERVFAIL.",
	  NULL, false },
	{ "dns", "edns_size", CONF_T_INT, 512, 4096, "1232", F(dns_edns_size), NULL,
	  "EDNS0 UDP payload size advertised and honoured, in bytes.", NULL, true },
	{ "dns", "tcp_idle_timeout", CONF_T_INT, 500, 600000, "10000", F(dns_tcp_idle_ms), NULL,
	  "Idle DNS TCP connections are closed after this many milliseconds while at most half "
	  "of tcp_max_connections are open; beyond that it shrinks with the table's fill, down "
	  "to 500 ms when full (RFC 7766 6.2.3).",
	  NULL, true },
	{ "dns", "tcp_max_connections", CONF_T_INT, 1, 65536, "1024", F(dns_tcp_max_conns), NULL,
	  "Maximum simultaneous DNS TCP connections. When full, a new connection closes the one "
	  "idle the longest (if none is idle, the newcomer is closed).",
	  NULL, false },
	{ "dns", "tcp_max_per_source", CONF_T_INT, 1, 65536, "16", F(dns_tcp_max_per_source), NULL,
	  "Simultaneous DNS TCP connections from one client address; more are closed at once.",
	  NULL, false },
	{ "dns", "tcp_max_per_prefix", CONF_T_INT, 1, 65536, "64", F(dns_tcp_max_per_prefix), NULL,
	  "Simultaneous DNS TCP connections from one /24 (IPv4) or /64 (IPv6); more are closed "
	  "at once.",
	  NULL, false },
	{ "dns", "tcp_max_queries", CONF_T_INT, 1, 100000, "100", F(dns_tcp_max_queries), NULL,
	  "Queries answered on one TCP connection before it is closed.", NULL, true },
	{ "dns", "cookie_rotate", CONF_T_INT, 60, 86400, "3600", F(dns_cookie_rotate_s), NULL,
	  "Seconds between rotations of the DNS server cookie secret.", NULL, false },
	{ "dns", "workers", CONF_T_INT, 0, 64, "0", F(dns_workers), NULL,
	  "Extra UDP worker threads answering from a read-only snapshot (0: main loop only).", NULL,
	  false },
	{ "dns", "tsig_key", CONF_T_STR, 0, 0, "", F(dns_tsig_key), NULL,
	  "TSIG key required for DNS UPDATE, as name:algorithm:base64secret (algorithm "
	  "hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha1 or hmac-md5). Empty: no TSIG.",
	  check_tsig, false },
	{ "dns", "lan_ttl", CONF_T_INT, 0, 86400, "30", F(dns_lan_ttl), NULL,
	  "TTL in seconds of answers about local hosts given to LAN clients.", NULL, true },
	{ "dns", "qmin_release", CONF_T_BOOL, 0, 0, "yes", F(dns_qmin_release), NULL,
	  "Release, without reputation evidence, the unused pool binding made for a name when "
	  "the same resolver then asks for a name below it over TCP or with a valid cookie: "
	  "the first query was a QNAME minimisation step (RFC 9156).",
	  NULL, false },
	{ "dns", "alias_max", CONF_T_INT, 16, 10000000, "65536", F(dns_alias_max), NULL,
	  "Most live one-time CNAME aliases (admission dns_cname; about 600 bytes each). When "
	  "the table is full the oldest alias is dropped early (rgw_dns_alias_events_total"
	  "{event=\"evicted\"}); a resolver that follows it then gets NXDOMAIN.",
	  NULL, false },
	/* [nat] */
	{ "nat", "enable", CONF_T_BOOL, 0, 0, "yes", F(nat_enable), NULL,
	  "Program the data plane (nftables table and NFQUEUE admission).", NULL, false },
	{ "nat", "table", CONF_T_STR, 1, 63, "rgw", F(nat_table), NULL,
	  "Name of the nftables table (family inet) owned by rgwd; it is deleted and "
	  "recreated at start.",
	  check_table, false },
	{ "nat", "queue", CONF_T_INT, 0, 65535, "1", F(nat_queue), NULL,
	  "NFQUEUE number receiving the first packet of new inbound flows to pool addresses; "
	  "fail-closed: without rgwd nothing is admitted.",
	  NULL, false },
	{ "nat", "wan_interfaces", CONF_T_STRLIST, 0, 0, "", F(nat_wan_ifaces), NULL,
	  "Interfaces facing the Internet. Empty: new flows to pool addresses are admitted from "
	  "any interface, and WAN anti-spoofing is off.",
	  check_ifname, false },
	{ "nat", "lan_interfaces", CONF_T_STRLIST, 0, 0, "", F(nat_lan_ifaces), NULL,
	  "Interfaces facing the private hosts. Empty: no source NAT of LAN traffic and no LAN "
	  "anti-spoofing.",
	  check_ifname, false },
	{ "nat", "lan_prefixes6", CONF_T_STRLIST, 0, 0, "", F(nat_lan_prefixes6), NULL,
	  "IPv6 prefixes of the LAN: a forwarded packet from a LAN interface with an IPv6 source "
	  "outside them is dropped. Empty: only bogons and the gateway's own public addresses "
	  "are dropped as LAN sources.",
	  check_prefix6, false },
	{ "nat", "synproxy", CONF_T_BOOL, 0, 0, "no", F(nat_synproxy), NULL,
	  "Put an nftables synproxy (SYN cookies) in front of the pool and service addresses: "
	  "only a completed TCP handshake reaches admission, so spoofed SYNs cannot use a "
	  "binding. Needs net.netfilter.nf_conntrack_tcp_loose = 0.",
	  NULL, false },
	{ "nat", "helpers", CONF_T_STRLIST, 0, 0, "", F(nat_helpers), nat_helpers,
	  "Conntrack helpers attached to flows admitted through a pool binding (never to other "
	  "traffic): ftp (tcp/21), sip (udp/5060), tftp (udp/69). None by default: each one "
	  "parses payload in the kernel.",
	  NULL, false },
	{ "nat", "forward_policy", CONF_T_ENUM, 0, 0, "accept", F(nat_forward_policy), fw_policies,
	  "Verdict for forwarded traffic that no firewall rule matches.", NULL, false },
	{ "nat", "reject_memory", CONF_T_INT, 0, 3600, "20", F(nat_reject_memory_s), NULL,
	  "Seconds a refused first packet is remembered, so that an identical packet (a "
	  "retransmission) is refused again at once without a binding lookup (0: off).",
	  NULL, false },
	{ "nat", "reject_memory_max", CONF_T_INT, 0, 10000000, "65536", F(nat_reject_memory_max),
	  NULL,
	  "Maximum number of remembered refused packets; the least recently seen is forgotten "
	  "first (0: off).",
	  NULL, false },
	{ "nat", "keep_table_on_stop", CONF_T_BOOL, 0, 0, "no", F(nat_keep_table), NULL,
	  "Leave the nftables table in place at a clean stop, so that a restart keeps filtering "
	  "and keeps every established flow: the next start replaces the table in one atomic "
	  "batch. New flows to pool addresses wait in NFQUEUE (fail-closed) while rgwd is down. "
	  "'no' removes the table at a clean stop.",
	  NULL, true },
	/* [alg] */
	{ "alg", "enable", CONF_T_BOOL, 0, 0, "yes", F(alg_enable), NULL,
	  "Run the application-level gateway routing TLS (SNI) and HTTP (Host) flows.", NULL,
	  false },
	{ "alg", "listen", CONF_T_ADDRPORTS, 0, 0, "", F(alg_listen), NULL,
	  "Explicit ALG listeners, port required. Empty: the service addresses from the policy "
	  "on the ports below.",
	  NULL, false },
	{ "alg", "ports", CONF_T_INTLIST, 1, 65535, "80,443,8080,8443", F(alg_ports), NULL,
	  "Ports the ALG listens on at the service addresses.", NULL, false },
	{ "alg", "workers", CONF_T_INT, 0, 64, "0", F(alg_workers), NULL,
	  "ALG worker threads. 0: one per usable CPU (the process's CPU affinity) minus one "
	  "left to the main thread and the kernel, minus the DNS workers; at least 1 (2 CPUs: "
	  "1, 4: 3, 8: 7). More workers than free CPUs cost more CPU per connection.",
	  NULL, false },
	{ "alg", "hostname_timeout", CONF_T_INT, 100, 60000, "2000", F(alg_hostname_timeout_ms),
	  NULL,
	  "Milliseconds a client has to send its TLS ClientHello or HTTP request headers once "
	  "accepted. A client that sends nothing at all is accepted only about 1 s after it "
	  "connected (TCP_DEFER_ACCEPT: until then the kernel holds it).",
	  NULL, true },
	{ "alg", "connect_timeout", CONF_T_INT, 100, 60000, "2000", F(alg_connect_timeout_ms), NULL,
	  "Milliseconds allowed to connect to the private server.", NULL, true },
	{ "alg", "idle_timeout", CONF_T_INT, 1000, 86400000, "300000", F(alg_idle_timeout_ms), NULL,
	  "Relayed connections without progress (see min_progress) for this many milliseconds are "
	  "closed.",
	  NULL, true },
	{ "alg", "min_progress", CONF_T_INT, 1, 1048576, "512", F(alg_min_progress), NULL,
	  "Bytes (both directions together) that count as progress for a relayed connection and "
	  "restart its idle clock: a client trickling a byte now and then is idle.",
	  NULL, false },
	{ "alg", "max_connections", CONF_T_INT, 1, 1000000, "10000", F(alg_max_conns), NULL,
	  "Maximum simultaneous client connections over all workers. When reached, a new client "
	  "closes the relayed connection without progress for the longest whose address holds "
	  "the most connections. Lowered at start-up to what the open-file limit supports.",
	  NULL, true },
	{ "alg", "max_connections_per_source", CONF_T_INT, 1, 1000000, "512",
	  F(alg_max_conns_per_source), NULL,
	  "Maximum simultaneous connections from one client address.", NULL, true },
	{ "alg", "accept_rate", CONF_T_INT, 1, 1000000, "2000", F(alg_accept_rate), NULL,
	  "New connections accepted per second from one client address (token bucket rate).", NULL,
	  true },
	{ "alg", "accept_burst", CONF_T_INT, 1, 1000000, "4000", F(alg_accept_burst), NULL,
	  "Token bucket depth for new connections from one client address.", NULL, true },
	{ "alg", "access_log", CONF_T_BOOL, 0, 0, "yes", F(alg_access_log), NULL,
	  "Log one line per routed connection (client, hostname, server, bytes, duration).", NULL,
	  true },
	{ "alg", "access_log_ok", CONF_T_BOOL, 0, 0, "yes", F(alg_access_log_ok), NULL,
	  "With access_log: also log the connections that ended normally (outcome ok). 'no' "
	  "keeps only refusals, timeouts, resets and errors, for busy gateways.",
	  NULL, true },
	{ "alg", "access_log_file", CONF_T_STR, 0, 0, "", F(alg_access_log_file), NULL,
	  "Write the access log to this file (appended, created 0640) instead of the main log; "
	  "SIGUSR1 reopens it, for logrotate. Empty: the main log, at info level.",
	  NULL, true },
	{ "alg", "splice", CONF_T_BOOL, 0, 0, "yes", F(alg_splice), NULL,
	  "Relay bytes with splice(2) through pipes, without copying them to userspace. 'no' "
	  "relays through 64 KiB userspace buffers instead; rgwd also falls back to buffers by "
	  "itself where splice is refused (seccomp filter, kernel) or no pipe can be made.",
	  NULL, false },
	{ "alg", "batch_scheduling", CONF_T_BOOL, 0, 0, "yes", F(alg_sched_batch), NULL,
	  "A worker with 16 active connections or more runs under the SCHED_BATCH policy (until "
	  "fewer than 8): woken by network events, it does not preempt the task running on its "
	  "CPU but waits for its turn, so that it handles more events per wake-up and costs "
	  "fewer context switches while the CPUs are busy (its share of CPU time is unchanged; "
	  "an idle CPU runs it at once). With fewer connections, and with 'no', the default "
	  "policy: lower latency per event on busy CPUs.",
	  NULL, false },
	{ "alg", "reputation_threshold", CONF_T_INT, 0, 100, "30", F(alg_rep_threshold_pct), NULL,
	  "A client address whose reputation (in percent; neutral is 45) fell below this, from "
	  "connections that sent nothing, garbage or an unrouted name before the hostname "
	  "deadline or hit the per-source cap, is refused at accept while the ALG is under load "
	  "(see reputation_load). 0: never.",
	  NULL, false },
	{ "alg", "reputation_load", CONF_T_INT, 0, 100, "50", F(alg_rep_load_pct), NULL,
	  "The ALG is under load when this percentage of max_connections is open; only then are "
	  "low-reputation clients refused at accept (0: always).",
	  NULL, false },
	/* [ids] */
	{ "ids", "enable", CONF_T_BOOL, 0, 0, "no", F(ids_enable), NULL,
	  "Read Suricata's EVE alerts: the flagged flow is torn down (conntrack entry deleted), "
	  "its source blocked for block_time and reported to the reputation system.",
	  NULL, false },
	{ "ids", "eve_socket", CONF_T_STR, 1, 107, "/run/rgw/eve.sock", F(ids_eve_socket), NULL,
	  "UNIX socket rgwd creates for Suricata's eve-log output (filetype unix_stream or "
	  "unix_dgram, filename = this path).",
	  NULL, false },
	{ "ids", "eve_type", CONF_T_ENUM, 0, 0, "unix_stream", F(ids_eve_type), eve_types,
	  "Socket type, as Suricata's eve-log filetype: unix_stream (Suricata connects, one JSON "
	  "object per line) or unix_dgram (one per datagram).",
	  NULL, false },
	{ "ids", "severity", CONF_T_INT, 1, 255, "3", F(ids_severity), NULL,
	  "Act on alerts of this severity or higher (Suricata: 1 is the highest, 3 the lowest of "
	  "the classification file); other alerts are counted only.",
	  NULL, false },
	{ "ids", "block_time", CONF_T_INT, 0, 604800, "600", F(ids_block_s), NULL,
	  "Seconds the source of an alert is blocked (its packets dropped before conntrack); 0: "
	  "tear the flow down without blocking.",
	  NULL, false },
	/* [api] */
	{ "api", "enable", CONF_T_BOOL, 0, 0, "yes", F(api_enable), NULL,
	  "Serve the REST API (docs/api.md); at the first start, with no token in the store, an "
	  "rw token 'admin' is created and printed once.",
	  NULL, false },
	{ "api", "listen", CONF_T_ADDRPORTS, 8080, 0, "127.0.0.1:8080", F(api_listen), NULL,
	  "REST API listeners (address:port list, IPv6 as [::1]:8080). Port 8080 when omitted. "
	  "Keep plain HTTP on loopback or a management network.",
	  NULL, true },
	{ "api", "metrics_listen", CONF_T_ADDRPORTS, 9100, 0, "", F(api_metrics_listen), NULL,
	  "Extra listeners (plain HTTP) that serve GET /metrics without a token, and nothing "
	  "else, for a Prometheus scraper; port 9100 when omitted. Empty: none (/metrics is "
	  "then served on the API listeners, with a token).",
	  NULL, true },
	{ "api", "tls_cert", CONF_T_STR, 0, 0, "", F(api_tls_cert), NULL,
	  "PEM certificate for HTTPS on the API (read at start); requires tls_key. Empty: plain "
	  "HTTP.",
	  NULL, true },
	{ "api", "tls_key", CONF_T_STR, 0, 0, "", F(api_tls_key), NULL,
	  "PEM private key matching tls_cert.", NULL, true },
	{ "api", "tls_client_ca", CONF_T_STR, 0, 0, "", F(api_tls_client_ca), NULL,
	  "PEM CA certificate(s): HTTPS clients may present a certificate it signed instead of a "
	  "bearer token; its subject CN (or a SAN) names the API token it acts as. Read at start "
	  "and on SIGHUP; requires tls_cert. Empty: tokens only.",
	  NULL, true },
	{ "api", "tls_client_crl", CONF_T_STR, 0, 0, "", F(api_tls_client_crl), NULL,
	  "PEM CRL signed by tls_client_ca: the client certificates it revokes are refused. Read "
	  "at start and on SIGHUP. Empty: none.",
	  NULL, true },
	{ "api", "max_body", CONF_T_INT, 1024, 67108864, "1048576", F(api_max_body), NULL,
	  "Largest request body accepted, in bytes; larger requests get 413 (checked on "
	  "Content-Length before reading). A whole-bundle PUT must fit.",
	  NULL, true },
	{ "api", "rate", CONF_T_INT, 1, 100000, "50", F(api_rate), NULL,
	  "Requests per second allowed per client address (token bucket, checked before "
	  "authentication); above it: 429 with Retry-After.",
	  NULL, true },
	{ "api", "rate_burst", CONF_T_INT, 1, 100000, "100", F(api_rate_burst), NULL,
	  "Burst of requests allowed per client address (bucket size).", NULL, true },
	{ "api", "audit_retention", CONF_T_INT, 0, 36500, "0", F(api_audit_retention_days), NULL,
	  "Days an audit-log line is kept: older lines are deleted at start-up and then once a "
	  "day. 0 keeps them forever.",
	  NULL, true },
	{ "api", "max_connections", CONF_T_INT, 8, 100000, "512", F(api_max_conns), NULL,
	  "Simultaneous connections per API listener. A new connection beyond it closes the "
	  "connection that has waited longest for its request, so idle connections cannot lock "
	  "operators out.",
	  NULL, false },
	{ "api", "max_connections_per_source", CONF_T_INT, 1, 100000, "32",
	  F(api_max_conns_per_source), NULL,
	  "Simultaneous connections from one client address; more are closed at once.", NULL,
	  false },
	{ "api", "request_timeout", CONF_T_INT, 100, 600000, "5000", F(api_request_timeout_ms),
	  NULL,
	  "Milliseconds a connection has to send a complete request head, counted from its "
	  "connect and again from each response (keep-alive); then it is closed. Bytes that "
	  "trickle in do not extend it.",
	  NULL, false },
	/* [ha] */
	{ "ha", "enable", CONF_T_BOOL, 0, 0, "no", F(ha_enable), NULL,
	  "Run as one node of an active/standby pair (docs/ha.md): the active sends every "
	  "policy commit to the standby, which applies it and refuses writes of its own.",
	  NULL, false },
	{ "ha", "role", CONF_T_ENUM, 0, 0, "standby", F(ha_role), ha_roles,
	  "The role at start; keepalived's notify script (rgw-ha-notify) changes it at run time "
	  "through the API (PUT /api/v1/ha/role).",
	  NULL, false },
	{ "ha", "listen", CONF_T_ADDRPORTS, 7440, 0, "", F(ha_listen), NULL,
	  "This node's policy channel (address:port on the sync link, port 7440 when omitted): "
	  "the active serves its commits to the standby here.",
	  NULL, false },
	{ "ha", "peer", CONF_T_ADDRPORTS, 7440, 0, "", F(ha_peer), NULL,
	  "The peer's policy channel: a standby connects there to follow its active.", NULL,
	  false },
	{ "ha", "secret_file", CONF_T_STR, 0, 0, "", F(ha_secret_file), NULL,
	  "File holding the pair's shared secret (at least 16 bytes, the same on both nodes; "
	  "e.g. 32 random bytes, base64): every message of the policy channel carries an "
	  "HMAC-SHA256 made with it. Readable by rgwd only.",
	  NULL, false },
	{ "ha", "peer_api", CONF_T_STR, 0, 0, "", F(ha_peer_api), NULL,
	  "The peer's API URL, named in the answer to a write sent to the standby (e.g. "
	  "https://gwa.example:8443). Empty: the peer's channel address is named.",
	  NULL, false },
	{ "ha", "retry", CONF_T_INT, 100, 60000, "1000", F(ha_retry_ms), NULL,
	  "Milliseconds between a standby's attempts to reach its active, and the longest "
	  "silence on an open channel before it is considered lost (the active sends a "
	  "keepalive every third of it). A standby whose TLS handshake fails waits twice as "
	  "long after each failure in a row, up to 32 times this (at most 60 s).",
	  NULL, false },
	{ "ha", "tls", CONF_T_ENUM, 0, 0, "auto", F(ha_tls), ha_tls_modes,
	  "TLS 1.3 on the policy channel, both nodes presenting the API's certificate "
	  "(api.tls_cert, api.tls_key) and verifying the peer's (peer_ca, peer_fingerprint). "
	  "auto: TLS when api.tls_cert is set, plain otherwise; required: TLS, and rgwd does not "
	  "start without api.tls_cert; off: plain. A plain channel is logged as a warning at "
	  "start: it carries the whole policy and the API tokens' hashes in clear. The HMAC of "
	  "every message (secret_file) is kept under TLS, bound to the TLS session.",
	  NULL, false },
	{ "ha", "peer_ca", CONF_T_STR, 0, 0, "", F(ha_peer_ca), NULL,
	  "PEM CA certificate(s): with TLS, the peer's certificate must chain to one of them and "
	  "be within its validity. Read at start.",
	  NULL, false },
	{ "ha", "peer_fingerprint", CONF_T_STRLIST, 0, 0, "", F(ha_peer_fingerprint), NULL,
	  "SHA-256 fingerprints of the certificates the peer may present (hex, colons allowed, "
	  "as openssl x509 -noout -fingerprint -sha256 prints them; a list, for a rotation): "
	  "with TLS, the peer's certificate must be one of them and within its validity. With "
	  "peer_ca too, both must hold. TLS needs at least one of peer_ca and peer_fingerprint.",
	  check_fingerprint, false },
	/* [reputation] */
	{ "reputation", "period", CONF_T_INT, 1, 3600, "20", F(rep_period_s), NULL,
	  "Seconds between reputation period transitions: evidence fades one third of the way "
	  "back to each entity's prior.",
	  NULL, false },
	{ "reputation", "save_interval", CONF_T_INT, 1, 86400, "60", F(rep_save_interval_s), NULL,
	  "Seconds between saves of the reputation state to the store (and at shutdown): a "
	  "crash loses at most this much evidence.",
	  NULL, false },
	{ NULL, NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL, NULL, false },
};

#define CONF_NITEMS (ARRAY_SIZE(conf_schema) - 1)
_Static_assert(ARRAY_SIZE(conf_schema) - 1 <= 128, "struct parser.seen is too small");

static const char *
check_table(const char *v)
{
	for (const char *s = v; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return "only letters, digits, '_' and '-' are allowed";
	}
	return NULL;
}

static const char *
check_ifname(const char *v)
{
	if (strlen(v) > 15)
		return "interface names have at most 15 characters";
	for (const char *s = v; *s; s++) {
		if (*s == '/' || isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return "invalid character in interface name";
	}
	return NULL;
}

static const char *
check_prefix6(const char *v)
{
	struct prefix p;

	if (prefix_parse(v, false, &p) < 0 || p.addr.family != AF_INET6)
		return "expected an IPv6 prefix (address/length, host bits zero)";
	return NULL;
}

/* A SHA-256 fingerprint: 64 hex digits, optionally in pairs separated by colons. */
static const char *
check_fingerprint(const char *v)
{
	size_t n = 0;

	for (const char *p = v; *p != '\0'; p++) {
		if (*p == ':' && n > 0 && n % 2 == 0 && p[1] != '\0' && p[1] != ':')
			continue;
		if (!isxdigit((unsigned char)*p))
			return "expected a SHA-256 fingerprint: 64 hex digits (colons allowed)";
		n++;
	}
	return n == 64 ? NULL : "expected a SHA-256 fingerprint: 64 hex digits (colons allowed)";
}

static const char *
check_tsig(const char *v)
{
	static const char *const algs[] = { "hmac-md5",	   "hmac-sha1",	  "hmac-sha224",
					    "hmac-sha256", "hmac-sha384", "hmac-sha512" };
	const char *c1, *c2;
	size_t alen, slen;
	bool ok = false;

	if (*v == '\0')
		return NULL;
	c1 = strchr(v, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c1 == NULL || c2 == NULL || c1 == v)
		return "expected name:algorithm:base64secret";
	alen = (size_t)(c2 - c1 - 1);
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		if (strlen(algs[i]) == alen && strncasecmp(c1 + 1, algs[i], alen) == 0)
			ok = true;
	}
	if (!ok)
		return "unknown TSIG algorithm (hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, "
		       "hmac-sha1, hmac-md5)";
	slen = strlen(c2 + 1);
	if (slen == 0 || slen % 4 != 0)
		return "the secret is not base64";
	for (size_t i = 0; i < slen; i++) {
		char ch = c2[1 + i];

		if (isalnum((unsigned char)ch) || ch == '+' || ch == '/')
			continue;
		/* '=' only as padding at the end */
		if (ch == '=' && i >= slen - 2 && (i == slen - 1 || c2[2 + i] == '='))
			continue;
		return "the secret is not base64";
	}
	return NULL;
}

void
conf_report(struct conf_report *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->errors++;
	if (r->err != NULL)
		r->err(r->name, r->line, msg, r->arg);
	else if (r->line > 0)
		log_warnx("%s:%u: %s", r->name ? r->name : "", r->line, msg);
	else
		log_warnx("%s: %s", r->name ? r->name : "config", msg);
}

/* Split a raw value into items: quotes keep their content literal (including ',', '#', ';'
 * and spaces), unquoted surrounding whitespace is trimmed, an unquoted '#' or ';' at the
 * start or after whitespace starts a comment. Scalars yield exactly one item. */
static int
split_value(struct parser *p, const struct conf_item *it, const char *v,
	    char (*items)[CONF_STR_MAX], size_t *n)
{
	bool list = it->type == CONF_T_ADDRPORTS || it->type == CONF_T_INTLIST ||
		    it->type == CONF_T_STRLIST;
	size_t cnt = 0, len = 0, keep = 0;
	bool any = false, inq = false, comma = false;
	char cur[CONF_STR_MAX];

	for (const char *s = v;; s++) {
		char ch = *s;
		bool end = ch == '\0' && !inq;

		if (!inq && (ch == '#' || ch == ';') && (s == v || isspace((unsigned char)s[-1])))
			end = true;
		if (ch == '\0' && inq) {
			conf_report(&p->r, "%s.%s: unterminated quote", it->section, it->key);
			return -EINVAL;
		}
		if (end || (list && !inq && ch == ',')) {
			cur[keep] = '\0';
			if (list && !any && (comma || ch == ',')) {
				conf_report(&p->r, "%s.%s: empty item in list", it->section,
					    it->key);
				return -EINVAL;
			}
			if (any || !list) {
				if (cnt == CONF_MAX_LIST) {
					conf_report(&p->r, "%s.%s: too many items (at most %d)",
						    it->section, it->key, CONF_MAX_LIST);
					return -EINVAL;
				}
				memcpy(items[cnt++], cur, keep + 1);
			}
			if (end)
				break;
			comma = true;
			len = keep = 0;
			any = false;
			continue;
		}
		if (ch == '"') {
			inq = !inq;
			any = true;
			continue;
		}
		if (!inq && isspace((unsigned char)ch) && len == 0)
			continue;
		if (len >= CONF_STR_MAX - 1) {
			conf_report(&p->r, "%s.%s: value too long (at most %d characters)",
				    it->section, it->key, CONF_STR_MAX - 1);
			return -EINVAL;
		}
		cur[len++] = ch;
		if (inq || !isspace((unsigned char)ch))
			keep = len;
		any = true;
	}
	*n = cnt;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int
parse_int(struct parser *p, const struct conf_item *it, const char *s, long *out)
{
	int r = util_parse_long(s, it->min, it->max, out);

	if (r == -ERANGE)
		conf_report(&p->r, "%s.%s: %s is out of range %ld..%ld", it->section, it->key, s,
			    it->min, it->max);
	else if (r < 0)
		conf_report(&p->r, "%s.%s: '%s' is not an integer", it->section, it->key, s);
	return r;
}

static void
enum_list(const char *const *names, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; names[i] != NULL && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%s", i ? ", " : "", names[i]);
}

static int
find_name(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcasecmp(names[i], s) == 0)
			return i;
	}
	return -1;
}

/* Parse v as the value of it and store it into p->c; nothing is stored on error. */
static int
apply_value(struct parser *p, const struct conf_item *it, const char *v)
{
	char items[CONF_MAX_LIST][CONF_STR_MAX];
	char *field = (char *)p->c + it->offset;
	char names[128];
	const char *why;
	size_t n = 0;
	int idx;

	if (split_value(p, it, v, items, &n) < 0)
		return -EINVAL;
	switch (it->type) {
	case CONF_T_STR: {
		size_t l = strlen(items[0]);

		if (l >= it->size ||
		    (it->max > 0 && (l < (size_t)it->min || l > (size_t)it->max))) {
			conf_report(&p->r, "%s.%s: length must be %ld..%ld characters", it->section,
				    it->key, it->min, it->max > 0 ? it->max : (long)it->size - 1);
			return -EINVAL;
		}
		if (it->check != NULL && (why = it->check(items[0])) != NULL) {
			conf_report(&p->r, "%s.%s: '%s': %s", it->section, it->key, items[0], why);
			return -EINVAL;
		}
		memcpy(field, items[0], l + 1);
		return 0;
	}
	case CONF_T_INT: {
		long val;

		if (parse_int(p, it, items[0], &val) < 0)
			return -EINVAL;
		*(long *)(void *)field = val;
		return 0;
	}
	case CONF_T_BOOL:
		if (parse_bool(items[0], (bool *)field) < 0) {
			conf_report(
				&p->r,
				"%s.%s: '%s' is not a boolean (yes, no, true, false, on, off, 1, 0)",
				it->section, it->key, items[0]);
			return -EINVAL;
		}
		return 0;
	case CONF_T_ENUM:
		idx = find_name(it->enum_names, items[0]);
		if (idx < 0) {
			enum_list(it->enum_names, names, sizeof(names));
			conf_report(&p->r, "%s.%s: '%s' is not one of %s", it->section, it->key,
				    items[0], names);
			return -EINVAL;
		}
		*(int *)(void *)field = idx;
		return 0;
	case CONF_T_ADDRPORTS: {
		struct conf_addrports ap = { 0 };

		for (size_t i = 0; i < n; i++) {
			if (addr_port_parse(items[i], (uint16_t)it->min, &ap.v[i]) < 0) {
				conf_report(&p->r, "%s.%s: bad address '%s' (expected %s)",
					    it->section, it->key, items[i],
					    it->min ? "address, address:port or [v6]:port"
						    : "address:port or [v6]:port, port required");
				return -EINVAL;
			}
		}
		ap.n = n;
		memcpy(field, &ap, sizeof(ap));
		return 0;
	}
	case CONF_T_INTLIST: {
		struct conf_intlist il = { 0 };

		for (size_t i = 0; i < n; i++) {
			if (parse_int(p, it, items[i], &il.v[i]) < 0)
				return -EINVAL;
		}
		il.n = n;
		memcpy(field, &il, sizeof(il));
		return 0;
	}
	case CONF_T_STRLIST: {
		struct conf_strlist *sl = (struct conf_strlist *)(void *)field;

		for (size_t i = 0; i < n; i++) {
			if (it->enum_names != NULL && find_name(it->enum_names, items[i]) < 0) {
				enum_list(it->enum_names, names, sizeof(names));
				conf_report(&p->r, "%s.%s: '%s' is not one of %s", it->section,
					    it->key, items[i], names);
				return -EINVAL;
			}
			if (it->check != NULL && (why = it->check(items[i])) != NULL) {
				conf_report(&p->r, "%s.%s: '%s': %s", it->section, it->key,
					    items[i], why);
				return -EINVAL;
			}
		}
		for (size_t i = 0; i < n; i++) {
			util_strlcpy(sl->v[i], items[i], CONF_STR_MAX);
			if (it->enum_names != NULL)
				util_strlower(sl->v[i]);
		}
		sl->n = n;
		return 0;
	}
	}
	conf_report(&p->r, "%s.%s: unsupported type", it->section, it->key);
	return -EINVAL;
}

static bool
is_section(const char *name)
{
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		if (strcmp(it->section, name) == 0)
			return true;
	}
	return false;
}

const struct conf_item *
conf_find(const char *section, const char *key)
{
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		if (strcmp(it->section, section) == 0 && strcmp(it->key, key) == 0)
			return it;
	}
	return NULL;
}

static unsigned
edit_distance(const char *a, const char *b)
{
	unsigned row[64], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 64 || lb >= 64)
		return 99;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned prev = row[0];

		row[0] = i;
		for (unsigned j = 1; j <= lb; j++) {
			unsigned cur = row[j];
			unsigned sub = prev + (a[i - 1] != b[j - 1]);

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
		}
	}
	return row[lb];
}

static void
unknown_key(struct parser *p, const char *key)
{
	const struct conf_item *best = NULL;
	unsigned bd = 3;

	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		if (strcmp(it->key, key) == 0) {
			conf_report(&p->r, "unknown key '%s' in [%s] (did you mean [%s] %s?)", key,
				    p->section, it->section, it->key);
			return;
		}
	}
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		unsigned d;

		if (strcmp(it->section, p->section) != 0)
			continue;
		d = edit_distance(key, it->key);
		if (d < bd) {
			bd = d;
			best = it;
		}
	}
	if (best != NULL)
		conf_report(&p->r, "unknown key '%s' in [%s] (did you mean %s?)", key, p->section,
			    best->key);
	else
		conf_report(&p->r, "unknown key '%s' in [%s]", key, p->section);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
parse_section(struct parser *p, char *s)
{
	char *close = strchr(s, ']'), *rest, *name;

	if (close == NULL) {
		conf_report(&p->r, "missing ']' in section header");
		p->section = NULL;
		p->skip = true;
		return;
	}
	*close = '\0';
	rest = trim(close + 1);
	name = trim(s + 1);
	if (*rest != '\0' && *rest != '#' && *rest != ';') {
		conf_report(&p->r, "unexpected text after section header: '%s'", rest);
	}
	if (!is_section(name)) {
		conf_report(&p->r, "unknown section [%s]", name);
		p->section = NULL;
		p->skip = true;
		return;
	}
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		if (strcmp(it->section, name) == 0) {
			p->section = it->section;
			break;
		}
	}
	p->skip = false;
}

static void
parse_line(struct parser *p, char *s)
{
	const struct conf_item *it;
	char *eq, *key;

	s = trim(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		parse_section(p, s);
		return;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		conf_report(&p->r, "missing '=' (expected key = value)");
		return;
	}
	*eq = '\0';
	key = trim(s);
	if (*key == '\0') {
		conf_report(&p->r, "missing key before '='");
		return;
	}
	if (p->skip)
		return;
	if (p->section == NULL) {
		conf_report(&p->r, "key '%s' outside of any section", key);
		return;
	}
	it = conf_find(p->section, key);
	if (it == NULL) {
		unknown_key(p, key);
		return;
	}
	if (p->seen[it - conf_schema]) {
		conf_report(&p->r, "duplicate key '%s' in [%s]", key, p->section);
		return;
	}
	p->seen[it - conf_schema] = 1;
	apply_value(p, it, eq + 1);
}

void
conf_defaults(struct conf *c)
{
	struct parser p = { .c = c, .r = { .name = "defaults" } };

	memset(c, 0, sizeof(*c));
	for (const struct conf_item *it = conf_schema; it->key != NULL; it++)
		apply_value(&p, it, it->def);
}

int
conf_load_string(struct conf *c, const char *text, const char *name, conf_error_cb err, void *arg)
{
	struct parser p = { .c = c, .r = { .name = name, .err = err, .arg = arg } };
	char line[CONF_LINE_MAX + 1];
	const char *s = text;

	/* a UTF-8 byte order mark, as some editors write: not part of the first line */
	if (strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;

	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		p.r.line++;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len > CONF_LINE_MAX) {
			conf_report(&p.r, "line too long (%zu characters, at most %d)", len,
				    CONF_LINE_MAX);
		} else {
			memcpy(line, s, len);
			line[len] = '\0';
			parse_line(&p, line);
		}
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return p.r.errors ? -EINVAL : 0;
}

int
conf_load(struct conf *c, const char *path, conf_error_cb err, void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	text = malloc(CONF_FILE_MAX + 1);
	if (text == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(text, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f)) {
		r = -EIO;
		goto out;
	}
	if (len > CONF_FILE_MAX) {
		r = -EFBIG;
		goto out;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		struct parser p = { .c = c, .r = { .name = path, .err = err, .arg = arg } };

		conf_report(&p.r, "the file contains a NUL byte (not a text file)");
		r = -EINVAL;
		goto out;
	}
	util_strlcpy(c->source, path, sizeof(c->source));
	r = conf_load_string(c, text, path, err, arg);
out:
	free(text);
	fclose(f);
	return r;
}
