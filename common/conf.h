/* SPDX-License-Identifier: MIT */
/* common/conf.h -- rgw.conf: the INI configuration, parsed through a schema table */
#ifndef RGW_COMMON_CONF_H
#define RGW_COMMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

/*
 * The config file holds what the process needs to start; policy lives in SQLite.
 * Format: "[section]" lines, "key = value" lines, '#' or ';' comments, blank lines.
 * List values are comma-separated. Every key is described once in the schema table
 * (conf.c: type, range, default, help), which drives parsing, defaults, --check-config,
 * --help and the rgw.conf(5) page.
 */

#define CONF_MAX_LIST 16
#define CONF_STR_MAX  256

enum conf_type {
	CONF_T_STR = 0,	  /* char[CONF_STR_MAX] */
	CONF_T_INT,	  /* long, in [min, max] */
	CONF_T_BOOL,	  /* bool: yes/no, true/false, on/off, 1/0 */
	CONF_T_ENUM,	  /* int: index into the item's enum_names */
	CONF_T_ADDRPORTS, /* struct conf_addrports: list of address:port */
	CONF_T_INTLIST,	  /* struct conf_intlist: list of long in [min, max] */
	CONF_T_STRLIST,	  /* struct conf_strlist */
};

struct conf_addrports {
	size_t n;
	struct addr_port v[CONF_MAX_LIST];
};

struct conf_intlist {
	size_t n;
	long v[CONF_MAX_LIST];
};

struct conf_strlist {
	size_t n;
	char v[CONF_MAX_LIST][CONF_STR_MAX];
};

enum conf_eve_type {
	CONF_EVE_STREAM = 0, /* eve-log filetype: unix_stream (rgwd listens, Suricata connects) */
	CONF_EVE_DGRAM,	     /* filetype: unix_dgram (one alert per datagram) */
};

enum conf_ha_role {
	CONF_HA_STANDBY = 0,
	CONF_HA_ACTIVE,
};

enum conf_ha_tls {
	CONF_HA_TLS_AUTO = 0, /* TLS when the API has a certificate, plain (warned) otherwise */
	CONF_HA_TLS_REQUIRED, /* TLS, or the daemon does not start */
	CONF_HA_TLS_OFF,      /* plain (warned) */
};

enum conf_fw_policy {
	CONF_FW_ACCEPT = 0,
	CONF_FW_DROP,
};

/* All settings; conf_defaults() fills every field from the schema table. */
struct conf {
	/* [daemon] */
	char database[CONF_STR_MAX];	/* SQLite policy store path */
	char bundle_seed[CONF_STR_MAX]; /* bundle imported when the store is empty ("" = none) */

	/* [log] */
	int log_level; /* enum log_level */
	bool log_syslog;

	/* [dns] */
	bool dns_enable;
	struct conf_addrports dns_wan;	    /* authoritative WAN listeners (UDP and TCP) */
	struct conf_addrports dns_lan;	    /* LAN listeners: local names + forwarding */
	struct conf_addrports dns_local;    /* local-only listeners: out-of-zone REFUSED */
	struct conf_addrports dns_ddns;	    /* DNS UPDATE listeners */
	struct conf_addrports dns_upstream; /* resolvers for LAN forwarding, in failover order */
	struct conf_intlist dns_upstream_timeouts_ms; /* per-attempt timeouts */
	struct conf_intlist dns_nested_timeouts_ms;   /* per-attempt, to nested gateways */
	long dns_edns_size;			      /* advertised EDNS0 UDP payload size */
	long dns_tcp_idle_ms;
	long dns_tcp_max_conns;
	long dns_tcp_max_per_source;	 /* per client address */
	long dns_tcp_max_per_prefix;	 /* per /24 (IPv4) or /64 (IPv6) */
	long dns_tcp_max_queries;	 /* per connection */
	long dns_cookie_rotate_s;	 /* server cookie secret rotation period */
	long dns_workers;		 /* extra UDP worker threads (0 = main loop only) */
	char dns_tsig_key[CONF_STR_MAX]; /* "name:algorithm:base64secret", "" = no TSIG */
	long dns_lan_ttl;
	bool dns_qmin_release;
	long dns_alias_max;
	/* live one-time CNAME aliases */ /* QNAME minimisation steps give their unused bindings back */

	/* [nat] */
	bool nat_enable;
	char nat_table[64]; /* nftables table (family inet) owned by rgwd */
	long nat_queue;	    /* NFQUEUE number */
	struct conf_strlist nat_wan_ifaces;
	struct conf_strlist nat_lan_ifaces;
	struct conf_strlist nat_lan_prefixes6; /* IPv6 source prefixes allowed from the LAN */
	bool nat_synproxy;
	struct conf_strlist nat_helpers; /* conntrack helpers: ftp, sip, tftp */
	int nat_forward_policy;		 /* enum conf_fw_policy */
	long nat_reject_memory_s;	 /* remember rejected packets this long */
	long nat_reject_memory_max;	 /* bounded number of remembered packets */
	bool nat_keep_table;		 /* a clean stop leaves the table (restart keeps flows) */

	/* [alg] */
	bool alg_enable;
	struct conf_addrports alg_listen; /* empty: service addresses from policy, on alg_ports */
	struct conf_intlist alg_ports;
	long alg_workers; /* 0 = alg_default_workers() of the usable CPUs */
	long alg_hostname_timeout_ms;
	long alg_connect_timeout_ms;
	long alg_idle_timeout_ms;
	long alg_min_progress; /* bytes that restart a relayed connection's idle clock */
	long alg_max_conns;
	long alg_max_conns_per_source;
	long alg_accept_rate; /* token bucket: new connections per second */
	long alg_accept_burst;
	bool alg_access_log;
	bool alg_access_log_ok;			/* also the connections that ended ok */
	char alg_access_log_file[CONF_STR_MAX]; /* "" = the main log */
	bool alg_splice;
	bool alg_sched_batch;	    /* worker threads under SCHED_BATCH */
	long alg_rep_threshold_pct; /* refuse at accept below this reputation (percent) ... */
	long alg_rep_load_pct;	    /* ... once this share of max_connections is open */

	/* [ids] */
	bool ids_enable;
	char ids_eve_socket[CONF_STR_MAX]; /* UNIX socket Suricata's eve-log writes to */
	int ids_eve_type;		   /* enum conf_eve_type */
	long ids_severity;		   /* act on alerts with severity <= this (1 = highest) */
	long ids_block_s;		   /* seconds a source stays blocked (0: no block) */

	/* [api] */
	bool api_enable;
	struct conf_addrports api_listen;
	struct conf_addrports api_metrics_listen; /* GET /metrics without a token */
	char api_tls_cert[CONF_STR_MAX];
	char api_tls_key[CONF_STR_MAX];
	char api_tls_client_ca[CONF_STR_MAX];
	char api_tls_client_crl[CONF_STR_MAX];
	long api_max_body;
	long api_rate; /* requests per second per client */
	long api_rate_burst;
	long api_audit_retention_days; /* 0 = keep the audit log forever */
	long api_max_conns;	       /* per listener */
	long api_max_conns_per_source;
	long api_request_timeout_ms; /* connect (or last response) to a complete request head */

	/* [ha] an active/standby pair (docs/ha.md) */
	bool ha_enable;
	int ha_role;			   /* enum conf_ha_role: the role at start */
	struct conf_addrports ha_listen;   /* this node's policy channel, on the sync link */
	struct conf_addrports ha_peer;	   /* the peer's policy channel */
	char ha_secret_file[CONF_STR_MAX]; /* the pair's shared secret */
	char ha_peer_api[CONF_STR_MAX];	   /* the peer's API URL, named to misdirected writes */
	long ha_retry_ms;		   /* a standby reconnects to its active this often */
	int ha_tls;			   /* enum conf_ha_tls */
	char ha_peer_ca[CONF_STR_MAX];	   /* TLS: CA(s) the peer's certificate must chain to */
	struct conf_strlist ha_peer_fingerprint; /* TLS: SHA-256 of the peer's certificate */

	/* [reputation] */
	long rep_period_s;
	long rep_save_interval_s;

	/* not a key: the path given to the last conf_load ("" after conf_defaults) */
	char source[CONF_STR_MAX];
};

struct conf_item {
	const char *section;
	const char *key;
	enum conf_type type;
	long min, max;		       /* INT, INTLIST range; ADDRPORTS: default port in min;
				     STR: length range when max > 0 */
	const char *def;	       /* default as it would be written in the file */
	size_t offset;		       /* offsetof(struct conf, field) */
	size_t size;		       /* sizeof the field (STR) */
	const char *const *enum_names; /* ENUM: NULL-terminated; STRLIST: allowed values or NULL */
	const char *help;
	/* STR, STRLIST (per item): extra validation; NULL if fine, else a message. Optional. */
	const char *(*check)(const char *value);
	bool reload; /* SIGHUP applies a new value; otherwise it needs a restart */
};

/* The schema table, terminated by an entry with key == NULL. */
extern const struct conf_item conf_schema[];

/* Called once per error: file, line (0 if none), message. */
typedef void (*conf_error_cb)(const char *file, unsigned line, const char *msg, void *arg);

/* Fill c with every default. */
void conf_defaults(struct conf *c);
/*
 * Parse a file on top of the current values of c (call conf_defaults first).
 * Every error is reported through err (or logged with log_warnx when err is NULL);
 * parsing continues after an error so that all of them are reported.
 * Returns 0, -EINVAL if any error was found, or -errno if the file cannot be read.
 */
int conf_load(struct conf *c, const char *path, conf_error_cb err, void *arg);
/* Same, from a string (tests); name is used in messages. */
int conf_load_string(struct conf *c, const char *text, const char *name, conf_error_cb err,
		     void *arg);
/* Checks that need several keys (tls_cert without tls_key, ...), after conf_load.
 * Every problem is reported through err with file = c->source (or "rgw.conf" when empty) and
 * line 0, or logged with log_warnx when err is NULL.
 * Returns 0 or -EINVAL. */
int conf_validate(const struct conf *c, conf_error_cb err, void *arg);
/* Whether the HA policy channel runs TLS: [ha] tls = required, or auto with [api] tls_cert
 * set. */
bool conf_ha_tls_on(const struct conf *c);
/* Called by conf_reload_merge for each key whose value differs; reload says whether SIGHUP
 * applies it. */
typedef void (*conf_change_cb)(const struct conf_item *it, bool reload, void *arg);
/*
 * A reload: compare neu (just parsed) with old (in force). For every key whose value
 * differs, cb (may be NULL) is told; a key that cannot change at run time gets old's value
 * back in neu, so that neu is what the daemon will run with. Returns the number of keys
 * that will change.
 */
int conf_reload_merge(const struct conf *old, struct conf *neu, conf_change_cb cb, void *arg);

/* The schema entry for section.key, or NULL. */
const struct conf_item *conf_find(const char *section, const char *key);
/* Write an annotated example config with every key and its default. */
void conf_write_example(FILE *f);
/* Write the keys as man-page (roff) paragraphs for rgw.conf(5). */
void conf_write_man(FILE *f);

#endif
