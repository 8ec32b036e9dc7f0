/* SPDX-License-Identifier: MIT */
/* ids/ids.c -- IDS alerts: Suricata EVE in, flows torn down, sources blocked, evidence */
#include "ids.h"

#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nf_conntrack_common.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"

#define IDS_MAX_CLIENTS 8

struct ids_client {
	struct ids *ids;
	int fd;
	char *buf; /* IDS_EVE_MAX + 1 bytes */
	size_t len;
	bool skipping; /* inside an overlong line: drop until its newline */
};

struct ids {
	struct ev_loop *loop;
	struct nat *nat;
	struct nat_rep *rep;
	ids_audit_cb audit;
	void *audit_arg;
	bool dgram;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int severity;
	uint64_t block_ms;
	ids_inside_cb inside;
	void *inside_arg;
	struct ids_client *clients[IDS_MAX_CLIENTS];
	char *dbuf; /* datagram buffer */
	struct ids_stats st;
	struct log_rl rl_bad, rl_act;
};

static int open_socket(struct ids *ids, const char *path);
static void on_listen(struct ev_loop *loop, int fd, int events, void *arg);
static void on_client(struct ev_loop *loop, int fd, int events, void *arg);
static void on_dgram(struct ev_loop *loop, int fd, int events, void *arg);
static void client_free(struct ids_client *c);
static void act(struct ids *ids, const struct ids_alert *a);
static bool remote_end(struct ids *ids, const struct ids_alert *a, const struct nat_teardown *td,
		       struct addr *out);
static bool ours(struct ids *ids, const struct addr *a);
static int64_t wall_us(void);

static int
open_socket(struct ids *ids, const char *path)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)];
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	util_strlcpy(dir, path, sizeof(dir));
	/* /run/rgw may not exist yet (tmpfs): make the last directory, nothing above it */
	if (mkdir(dirname(dir), 0750) == -1 && errno != EEXIST)
		log_debug("%s: mkdir %s: %s", __func__, dir, strerror(errno));
	fd = socket(AF_UNIX, (ids->dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd == -1)
		return -errno;
	/* A socket left by an earlier run is ours to replace (the path is rgwd's own). */
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    (!ids->dgram && listen(fd, IDS_MAX_CLIENTS) == -1))
		goto fail;
	if (chmod(path, 0660) == -1)
		log_debug("%s: chmod %s: %s", __func__, path, strerror(errno));
	if (ids->dgram) {
		/* Suricata writes alerts in bursts: room for some while the loop is busy */
		int sz = 4 * 1024 * 1024;

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	return -saved;
}

struct ids *
ids_new(struct ev_loop *loop, const struct conf *conf, struct nat *nat, struct nat_rep *rep)
{
	struct ids *ids = calloc(1, sizeof(*ids));
	int rc;

	if (ids == NULL)
		return NULL;
	ids->loop = loop;
	ids->nat = nat;
	ids->rep = rep;
	ids->fd = -1;
	ids->dgram = conf->ids_eve_type == CONF_EVE_DGRAM;
	ids->severity = (int)conf->ids_severity;
	ids->block_ms = (uint64_t)conf->ids_block_s * 1000;
	ids->rl_bad = (struct log_rl)LOG_RL_INIT(5000, 5);
	ids->rl_act = (struct log_rl)LOG_RL_INIT(1000, 50);
	util_strlcpy(ids->path, conf->ids_eve_socket, sizeof(ids->path));
	if (!nat_defence_enabled(nat)) {
		log_warnx("ids: the nat subsystem has no flow defence ([nat] enable = no?)");
		goto fail;
	}
	ids->dbuf = malloc(IDS_EVE_MAX + 1);
	if (ids->dbuf == NULL)
		goto fail;
	rc = open_socket(ids, ids->path);
	if (rc < 0) {
		log_warnx("ids: cannot create the EVE socket %s: %s", ids->path, strerror(-rc));
		goto fail;
	}
	ids->fd = rc;
	rc = ev_io_add(loop, ids->fd, EV_READ, ids->dgram ? on_dgram : on_listen, ids);
	if (rc < 0)
		goto fail;
	log_info("ids: reading Suricata EVE alerts on %s (%s), severity <= %d, block %llu s",
		 ids->path, ids->dgram ? "unix_dgram" : "unix_stream", ids->severity,
		 (unsigned long long)(ids->block_ms / 1000));
	return ids;
fail:
	ids_free(ids);
	return NULL;
}

static void
client_free(struct ids_client *c)
{
	struct ids *ids = c->ids;
	size_t i;

	for (i = 0; i < IDS_MAX_CLIENTS; i++)
		if (ids->clients[i] == c)
			ids->clients[i] = NULL;
	ev_io_close(ids->loop, c->fd);
	ids->st.clients--;
	free(c->buf);
	free(c);
}

void
ids_free(struct ids *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < IDS_MAX_CLIENTS; i++)
		if (ids->clients[i] != NULL)
			client_free(ids->clients[i]);
	if (ids->fd != -1) {
		ev_io_close(ids->loop, ids->fd);
		(void)unlink(ids->path);
	}
	free(ids->dbuf);
	free(ids);
}

static void
on_listen(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct ids *ids = arg;
	struct ids_client *c;
	size_t i;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		for (i = 0; i < IDS_MAX_CLIENTS && ids->clients[i] != NULL; i++)
			;
		c = i < IDS_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (c != NULL)
			c->buf = malloc(IDS_EVE_MAX + 1);
		if (c == NULL || c->buf == NULL) {
			log_rl(&ids->rl_bad, LOG_LVL_WARN, "ids: EVE writer refused (%d connected)",
			       IDS_MAX_CLIENTS);
			if (c != NULL)
				free(c);
			close(cfd);
			continue;
		}
		c->ids = ids;
		c->fd = cfd;
		if (ev_io_add(loop, cfd, EV_READ, on_client, c) < 0) {
			free(c->buf);
			free(c);
			close(cfd);
			continue;
		}
		ids->clients[i] = c;
		ids->st.clients++;
		log_info("ids: EVE writer connected on %s", ids->path);
	}
}

/* unix_stream: newline-delimited records; a line longer than IDS_EVE_MAX is dropped. */
static void
on_client(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct ids_client *c = arg;
	struct ids *ids = c->ids;
	int rounds;

	(void)loop;
	(void)events;
	for (rounds = 0; rounds < 64; rounds++) {
		ssize_t n = recv(fd, c->buf + c->len, IDS_EVE_MAX + 1 - c->len, 0);
		char *start, *nl;

		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			log_info("ids: EVE writer disconnected from %s", ids->path);
			client_free(c);
			return;
		}
		if (n == -1)
			return;
		c->len += (size_t)n;
		start = c->buf;
		while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf))) != NULL) {
			if (!c->skipping)
				ids_record(ids, start, (size_t)(nl - start));
			c->skipping = false;
			start = nl + 1;
		}
		c->len -= (size_t)(start - c->buf);
		memmove(c->buf, start, c->len);
		if (c->len > IDS_EVE_MAX) {
			if (!c->skipping) {
				ids->st.records++;
				ids->st.invalid++;
				log_rl(&ids->rl_bad, LOG_LVL_WARN,
				       "ids: EVE record longer than %d bytes dropped", IDS_EVE_MAX);
			}
			c->skipping = true;
			c->len = 0;
		}
	}
}

static void
on_dgram(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct ids *ids = arg;
	int rounds;

	(void)loop;
	(void)events;
	for (rounds = 0; rounds < 256; rounds++) {
		ssize_t n = recv(fd, ids->dbuf, IDS_EVE_MAX + 1, MSG_TRUNC);

		if (n == -1)
			return;
		if (n > IDS_EVE_MAX) {
			ids->st.records++;
			ids->st.invalid++;
			log_rl(&ids->rl_bad, LOG_LVL_WARN,
			       "ids: EVE datagram of %zd bytes dropped (limit %d)", n, IDS_EVE_MAX);
			continue;
		}
		ids_record(ids, ids->dbuf, (size_t)n);
	}
}

void
ids_record(struct ids *ids, const char *data, size_t len)
{
	struct ids_alert a;

	ids->st.records++;
	switch (ids_eve_parse(data, len, &a)) {
	case IDS_EVE_OTHER:
		return;
	case IDS_EVE_INVALID:
		ids->st.invalid++;
		log_rl(&ids->rl_bad, LOG_LVL_WARN, "ids: invalid EVE record (%zu bytes) dropped",
		       len);
		return;
	case IDS_EVE_ALERT:
		break;
	}
	ids->st.alerts++;
	if (a.severity > ids->severity) {
		ids->st.below_severity++;
		return;
	}
	act(ids, &a);
}

/* Suricata's timestamps are wall-clock microseconds. */
static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
ids_set_audit(struct ids *ids, ids_audit_cb cb, void *arg)
{
	ids->audit = cb;
	ids->audit_arg = arg;
}

void
ids_set_inside(struct ids *ids, ids_inside_cb cb, void *arg)
{
	ids->inside = cb;
	ids->inside_arg = arg;
}

/* The gateway's own addresses and the private hosts: never blocked. */
static bool
ours(struct ids *ids, const struct addr *a)
{
	struct nat_pool *pool = nat_get_pool(ids->nat);
	struct addr svc;

	if (nat_pool_is_pool_addr(pool, a))
		return true;
	if (nat_pool_service_addr(pool, a->family, &svc) == 0 && addr_eq(&svc, a))
		return true;
	return ids->inside != NULL && ids->inside(ids->inside_arg, a);
}

/* Which end of the flow to block: the outside one. */
static bool
remote_end(struct ids *ids, const struct ids_alert *a, const struct nat_teardown *td,
	   struct addr *out)
{
	if (td->admitted) {
		*out = td->origin.client; /* in through a pool binding */
	} else if (td->known && (td->entry.status & IPS_DST_NAT)) {
		*out = td->entry.orig.src; /* in through the ALG or a host's own rule */
	} else if (td->known && (td->entry.status & IPS_SRC_NAT)) {
		/* out from a LAN host: the peer it went to */
		*out = td->entry.orig.dst;
	} else {
		*out = ours(ids, &a->src) ? a->dst : a->src;
	}
	if (addr_is_any(out) || ours(ids, out))
		return false;
	return true;
}

static void
act(struct ids *ids, const struct ids_alert *a)
{
	struct nat_ct_tuple t = { .src = a->src, .dst = a->dst, .proto = a->proto };
	struct nat_teardown td;
	struct addr victim;
	char src[ADDR_STRLEN], dst[ADDR_STRLEN], blk[ADDR_STRLEN], reason[NAT_BLOCK_REASON_MAX];
	char lat[32] = "-";
	int64_t now_us;
	int deleted, brc = 0;
	bool block;

	ids->st.acted++;
	if (a->proto == IPPROTO_TCP || a->proto == IPPROTO_UDP || a->proto == IPPROTO_SCTP) {
		t.sport = a->sport;
		t.dport = a->dport;
	}
	deleted = nat_flow_teardown(ids->nat, &t, &td);
	now_us = wall_us();
	if (deleted < 0) {
		ids->st.errors++;
		log_rl(&ids->rl_bad, LOG_LVL_WARN, "ids: conntrack teardown failed: %s",
		       strerror(-deleted));
		memset(&td, 0, sizeof(td));
	} else if (deleted == 0) {
		ids->st.no_flow++;
	} else {
		ids->st.flows_torn_down += (uint64_t)deleted;
	}
	if (td.admitted)
		ids->st.admitted++;
	if (a->ts_us > 0 && deleted > 0) {
		/* Suricata saw the packet at ts_us (same clock: same host or NTP) */
		int64_t d = now_us - a->ts_us;

		if (d >= 0) {
			ids->st.latency_us_sum += (uint64_t)d;
			ids->st.latency_n++;
			snprintf(lat, sizeof(lat), "%.3f", (double)d / 1000.0);
		}
	}
	block = remote_end(ids, a, &td, &victim);
	snprintf(reason, sizeof(reason), "sid %llu: %.64s", (unsigned long long)a->sid, a->sig);
	/* The same flow again after its teardown: extend a block still active, never block anew
	 * (an operator's unblock holds), no evidence. */
	if (td.again) {
		ids->st.again++;
		if (!nat_is_blocked(ids->nat, &victim))
			block = false;
	}
	if (block && ids->block_ms > 0) {
		brc = nat_block(ids->nat, &victim, ids->block_ms, reason);
		if (brc < 0) {
			ids->st.errors++;
			log_rl(&ids->rl_bad, LOG_LVL_WARN, "ids: cannot block %s: %s",
			       addr_ntop(&victim, blk, sizeof(blk)), strerror(-brc));
		} else {
			ids->st.blocked++;
		}
	}
	/* Evidence once per flow: a late alert on a flow already gone, against a source already
	 * blocked, is the same event again. */
	if (block && !td.again && (deleted > 0 || brc == 1 || ids->block_ms == 0))
		nat_rep_flow_nok(ids->rep, NAT_REP_FLOW_IDS_ALERT, &victim,
				 td.admitted ? &td.origin.resolver : NULL,
				 td.admitted && td.origin.has_requestor ? &td.origin.requestor
									: NULL);
	addr_ntop(&a->src, src, sizeof(src));
	addr_ntop(&a->dst, dst, sizeof(dst));
	if (block)
		addr_ntop(&victim, blk, sizeof(blk));
	else
		strcpy(blk, "-");
	log_rl(&ids->rl_act, LOG_LVL_INFO,
	       "ids: alert sid=%llu severity=%d flow=%s:%u->%s:%u proto=%u conntrack_deleted=%d "
	       "admitted=%s binding=%llu blocked=%s%s%s latency_ms=%s sig=\"%s\"",
	       (unsigned long long)a->sid, a->severity, src, a->sport, dst, a->dport, a->proto,
	       deleted < 0 ? -1 : deleted, td.admitted ? "yes" : "no",
	       (unsigned long long)(td.admitted ? td.origin.binding_id : 0), blk,
	       brc == 1 ? " (new)" : (block && brc == 0 ? " (extended)" : ""),
	       td.again ? " again" : "", lat, a->sig);
	/* The block is runtime state (no policy change): an audit line without ETags, written
	 * later by the hook (the block is in force already). */
	if (brc == 1 && ids->audit != NULL) {
		struct pol_change c = {
			.actor = "ids", .action = "block", .resource = blk, .detail = reason
		};

		ids->audit(ids->audit_arg, &c);
	}
}

void
ids_get_stats(const struct ids *ids, struct ids_stats *out)
{
	*out = ids->st;
}

void
ids_metrics(const struct ids *ids, struct buf *out)
{
	const struct ids_stats *s = &ids->st;

	buf_printf(
		out,
		"# HELP rgw_ids_records_total EVE records read from Suricata.\n"
		"# TYPE rgw_ids_records_total counter\nrgw_ids_records_total %llu\n"
		"# HELP rgw_ids_invalid_total EVE records dropped (not JSON, no flow, too long).\n"
		"# TYPE rgw_ids_invalid_total counter\nrgw_ids_invalid_total %llu\n"
		"# HELP rgw_ids_alerts_total Alerts read, by what was done.\n"
		"# TYPE rgw_ids_alerts_total counter\n"
		"rgw_ids_alerts_total{result=\"acted\"} %llu\n"
		"rgw_ids_alerts_total{result=\"below_severity\"} %llu\n"
		"# HELP rgw_ids_flows_torn_down_total Conntrack entries deleted for alerts.\n"
		"# TYPE rgw_ids_flows_torn_down_total counter\nrgw_ids_flows_torn_down_total %llu\n"
		"# HELP rgw_ids_no_flow_total Alerts acted upon whose flow had no conntrack entry.\n"
		"# TYPE rgw_ids_no_flow_total counter\nrgw_ids_no_flow_total %llu\n"
		"# HELP rgw_ids_again_total Alerts on admitted flows already torn down.\n"
		"# TYPE rgw_ids_again_total counter\nrgw_ids_again_total %llu\n"
		"# HELP rgw_ids_admitted_total Alerts on flows a pool binding had admitted.\n"
		"# TYPE rgw_ids_admitted_total counter\nrgw_ids_admitted_total %llu\n"
		"# HELP rgw_ids_blocks_total Sources blocked or whose block was extended.\n"
		"# TYPE rgw_ids_blocks_total counter\nrgw_ids_blocks_total %llu\n"
		"# HELP rgw_ids_errors_total Conntrack or nftables failures while acting.\n"
		"# TYPE rgw_ids_errors_total counter\nrgw_ids_errors_total %llu\n"
		"# HELP rgw_ids_writers EVE writers connected (unix_stream).\n"
		"# TYPE rgw_ids_writers gauge\nrgw_ids_writers %llu\n"
		"# HELP rgw_ids_teardown_delay_seconds Time from the packet Suricata flagged to "
		"its flow's teardown.\n# TYPE rgw_ids_teardown_delay_seconds summary\n"
		"rgw_ids_teardown_delay_seconds_sum %.6f\n"
		"rgw_ids_teardown_delay_seconds_count %llu\n",
		(unsigned long long)s->records, (unsigned long long)s->invalid,
		(unsigned long long)s->acted, (unsigned long long)s->below_severity,
		(unsigned long long)s->flows_torn_down, (unsigned long long)s->no_flow,
		(unsigned long long)s->again, (unsigned long long)s->admitted,
		(unsigned long long)s->blocked, (unsigned long long)s->errors,
		(unsigned long long)s->clients, (double)s->latency_us_sum / 1e6,
		(unsigned long long)s->latency_n);
}
