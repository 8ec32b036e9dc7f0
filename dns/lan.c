/* SPDX-License-Identifier: MIT */
/* dns/lan.c -- LAN forwarding of out-of-zone names to upstream resolvers, with failover */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "upq.h"

#define FWD_MAX_PENDING	   4096
#define FWD_TCP_TIMEOUT_MS 2000

/*
 * The queries themselves go through dns/upq.c (own socket and ID per query, answer
 * validation, TCP refetch). Attempt i goes to upstream (preferred + i) mod n with timeout
 * timeouts[i]; the preferred upstream is the last one that answered. A truncated answer for a
 * TCP client is fetched again over TCP from the same upstream.
 */
struct fwd_req {
	struct list node; /* in f->reqs */
	struct dns_fwd *f;
	struct dns_reply_to to;
	struct dns_upq_req *q;
	uint16_t client_id;
	uint8_t *query; /* the client's query, for the SERVFAIL */
	size_t qlen;
};

struct dns_fwd {
	struct dns *d;
	struct dns_upq *upq;
	struct addr_port up[CONF_MAX_LIST];
	size_t n_up;
	long timeouts[CONF_MAX_LIST];
	size_t n_to;
	size_t preferred;
	struct list reqs; /* pending, newest first */
};

static void req_free(struct fwd_req *r);
static void on_done(void *arg, enum dns_upq_status st, uint8_t *msg, size_t len, size_t server);
static void fail(struct fwd_req *r);

struct dns_fwd *
dns_fwd_new(struct dns *d, const struct conf *conf)
{
	struct dns_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->d = d;
	list_init(&f->reqs);
	f->n_up = conf->dns_upstream.n;
	memcpy(f->up, conf->dns_upstream.v, sizeof(f->up[0]) * f->n_up);
	f->n_to = conf->dns_upstream_timeouts_ms.n;
	memcpy(f->timeouts, conf->dns_upstream_timeouts_ms.v, sizeof(long) * f->n_to);
	if (f->n_to == 0) {
		f->timeouts[0] = 100;
		f->timeouts[1] = f->timeouts[2] = 250;
		f->n_to = 3;
	}
	f->upq = dns_upq_new(d->loop, FWD_MAX_PENDING);
	if (f->upq == NULL) {
		free(f);
		return NULL;
	}
	if (f->n_up == 0)
		log_warnx("dns: LAN listeners without upstream resolvers: out-of-zone names get "
			  "SERVFAIL");
	return f;
}

void
dns_fwd_free(struct dns_fwd *f)
{
	if (!f)
		return;
	while (!list_empty(&f->reqs))
		req_free(list_item(f->reqs.next, struct fwd_req, node));
	dns_upq_free(f->upq);
	free(f);
}

static void
req_free(struct fwd_req *r)
{
	dns_upq_cancel(r->q);
	list_unlink(&r->node);
	free(r->query);
	free(r);
}

void
dns_fwd_cancel_conn(struct dns_fwd *f, const struct dns_tcp_conn *c)
{
	for (struct list *e = f->reqs.next, *next; e != &f->reqs; e = next) {
		struct fwd_req *r = list_item(e, struct fwd_req, node);

		next = e->next;
		if (r->to.conn == c)
			req_free(r);
	}
}

void
dns_fwd_query(struct dns_fwd *f, const uint8_t *pkt, size_t len, const struct dns_reply_to *to)
{
	struct dns_upq_params p;
	struct fwd_req *r;

	if (!f || len < DNS_HDR_LEN)
		return;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->query = malloc(len))) {
		free(r);
		return;
	}
	r->f = f;
	r->to = *to;
	memcpy(r->query, pkt, len);
	r->qlen = len;
	r->client_id = dns_get16(pkt);
	list_insert_after(&f->reqs, &r->node);
	memset(&p, 0, sizeof(p));
	p.servers = f->up;
	p.n_servers = f->n_up;
	p.first = f->preferred;
	p.timeouts = f->timeouts;
	p.n_timeouts = f->n_to;
	p.tcp_on_tc = to->conn != NULL;
	p.tcp_timeout_ms = FWD_TCP_TIMEOUT_MS;
	if (f->n_up > 0)
		DNS_STAT_INC(&f->d->stats, forwarded);
	/* the engine answers from the loop, never from inside this call */
	r->q = dns_upq_start(f->upq, pkt, len, &p, on_done, r);
	if (r->q == NULL)
		req_free(r);
}

static void
on_done(void *arg, enum dns_upq_status st, uint8_t *msg, size_t len, size_t server)
{
	struct fwd_req *r = arg;
	struct dns_fwd *f = r->f;
	struct dns_reply_to to = r->to;

	r->q = NULL; /* the engine freed its request */
	if (st != DNS_UPQ_ANSWER) {
		fail(r);
		return;
	}
	dns_put16(msg, r->client_id);
	f->preferred = server;
	req_free(r);
	if (to.conn)
		dns_tcp_forward_done(f->d, to.conn, to.conn_serial, msg, len);
	else
		dns_udp_reply(&to, msg, len);
}

static void
fail(struct fwd_req *r)
{
	struct dns_fwd *f = r->f;
	struct dns_reply_to to = r->to;
	uint8_t out[DNS_UDP_MIN];
	struct dns_query q;
	size_t len = 0;

	DNS_STAT_INC(&f->d->stats, forward_failed);
	if (dns_query_parse(r->query, r->qlen, false, &q) == DNS_QERR_NONE) {
		len = dns_answer_error(r->query, &q, DNS_RC_SERVFAIL, true, out, sizeof(out));
		if (len)
			dns_put16(out, r->client_id);
	}
	DNS_STAT_INC(&f->d->stats, rcode[DNS_RC_SERVFAIL]);
	req_free(r);
	if (to.conn)
		dns_tcp_forward_done(f->d, to.conn, to.conn_serial, out, len);
	else if (len)
		dns_udp_reply(&to, out, len);
}
