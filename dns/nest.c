/* SPDX-License-Identifier: MIT */
/* dns/nest.c -- resolution through nested gateways: one question each, asynchronous, bounded */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "nest.h"
#include "server.h"
#include "upq.h"

/*
 * A WAN query for a name below a nested gateway arrives here after dns_answer() admitted it and
 * reserved one of our pool addresses (DNS_ANS_NESTED). We ask the nested gateway the client's
 * own question once (dns/upq.c: attempts with [dns] nested_timeouts, TCP when it truncates), and
 * then bind the reservation to its answer or withdraw it, and answer every waiter. Nothing
 * waits on the nested gateway but the queries for its names: a dead one costs its timeouts to
 * its own names only.
 *
 * Identical questions in flight (same name, type, resolver and resolver port: a resolver's
 * retransmission) join the first one: one question, one reservation, one binding on the nested
 * gateway. This is also what breaks a loop of gateways that do not share a policy (A nests B
 * nests C nests A): the question that comes back to A carries, in ECI, the resolver and port it
 * started with, joins itself, and everyone times out.
 */

#define NEST_MAX_PENDING 4096
#define NEST_MAX_WAITERS 8
#define NEST_TCP_MS	 1000

struct waiter {
	struct waiter *next;
	struct dns_reply_to to;
	struct addr src; /* the query's source (cookies) */
	uint16_t sport;
	bool tcp;
	size_t len;
	uint8_t pkt[];
};

struct nq {
	struct list node; /* in n->reqs */
	struct dns_nest *n;
	uint8_t name[DNS_NAME_MAX]; /* lowercase */
	uint16_t qtype;
	struct addr resolver;
	uint16_t rport;
	bool relay;
	int64_t host_id;
	struct addr_port server;
	struct dns_upq_req *q;
	uint64_t binding; /* our reservation (0: none) */
	bool fresh;
	struct addr outer;
	struct waiter *waiters;
	unsigned n_waiters;
	uint64_t timer; /* SERVFAIL from the loop: the question could not be sent */
};

struct dns_nest {
	struct dns *d;
	struct dns_upq *upq;
	long timeouts[CONF_MAX_LIST];
	size_t n_to;
	struct list reqs; /* questions in flight, newest first */
	uint8_t out[DNS_TCP_MAX];
};

static struct nq *find(struct dns_nest *n, const uint8_t *name, uint16_t qtype,
		       const struct dns_nest_req *r);
static void nq_free(struct nq *e);
static void withdraw(struct dns_nest *n, uint64_t id, bool fresh, bool denied);
static void on_done(void *arg, enum dns_upq_status st, uint8_t *msg, size_t len, size_t server);
static void on_fail_now(struct ev_loop *loop, uint64_t id, void *arg);
static void reply_all(struct nq *e, enum dns_nest_outcome o, const struct dns_nest_answer *a,
		      const struct addr *addr);

static struct log_rl rl_nest = LOG_RL_INIT(10000, 5);

struct dns_nest *
dns_nest_new(struct dns *d, const struct conf *conf)
{
	struct dns_nest *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->d = d;
	list_init(&n->reqs);
	n->n_to = conf->dns_nested_timeouts_ms.n;
	memcpy(n->timeouts, conf->dns_nested_timeouts_ms.v, sizeof(long) * n->n_to);
	if (n->n_to == 0) {
		n->timeouts[0] = n->timeouts[1] = n->timeouts[2] = 250;
		n->n_to = 3;
	}
	n->upq = dns_upq_new(d->loop, NEST_MAX_PENDING);
	if (n->upq == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

void
dns_nest_free(struct dns_nest *n)
{
	if (n == NULL)
		return;
	while (!list_empty(&n->reqs)) {
		struct nq *e = list_item(n->reqs.next, struct nq, node);

		withdraw(n, e->binding, e->fresh, false);
		nq_free(e);
	}
	dns_upq_free(n->upq);
	free(n);
}

static void
nq_free(struct nq *e)
{
	struct dns_nest *n = e->n;

	dns_upq_cancel(e->q);
	if (e->timer)
		ev_timer_del(n->d->loop, e->timer);
	list_unlink(&e->node);
	while (e->waiters) {
		struct waiter *w = e->waiters;

		e->waiters = w->next;
		free(w);
	}
	free(e);
}

static void
withdraw(struct dns_nest *n, uint64_t id, bool fresh, bool denied)
{
	const struct dns_nest_hooks *h = n->d->nest_hooks;

	/* a live binding answered again stays for the answer it gave before */
	if (id != 0 && fresh && h != NULL && h->withdraw)
		h->withdraw(n->d->nest_arg, id, denied);
}

static struct nq *
find(struct dns_nest *n, const uint8_t *name, uint16_t qtype, const struct dns_nest_req *r)
{
	for (struct list *le = n->reqs.next; le != &n->reqs; le = le->next) {
		struct nq *e = list_item(le, struct nq, node);

		if (e->qtype == qtype && e->rport == r->rport && e->relay == r->relay &&
		    e->host_id == r->host_id && addr_eq(&e->resolver, &r->resolver) &&
		    dns_name_eq(e->name, name))
			return e;
	}
	return NULL;
}

void
dns_nest_cancel_conn(struct dns_nest *n, const struct dns_tcp_conn *c)
{
	for (struct list *le = n->reqs.next; le != &n->reqs; le = le->next) {
		struct nq *e = list_item(le, struct nq, node);
		struct waiter **pp = &e->waiters;

		while (*pp) {
			struct waiter *w = *pp;

			if (w->to.conn == c) {
				*pp = w->next;
				e->n_waiters--;
				free(w);
			} else {
				pp = &w->next;
			}
		}
	}
}

void
dns_nest_ask(struct dns_nest *n, const uint8_t *pkt, size_t len, const struct dns_reply_to *to,
	     const struct dns_answer_ctx *ctx, const struct dns_answer_info *info)
{
	const struct dns_nest_req *r = &info->nest;
	const struct pol_host *h;
	struct dns_upq_params p;
	uint8_t query[DNS_UDP_MIN + 64];
	struct dns_query q;
	struct waiter *w;
	struct nq *e;
	size_t qlen;

	/* dns_answer parsed it; only memory can fail here (then a TCP client waits for its
	 * idle timeout, a UDP one retransmits) */
	if (dns_query_parse(pkt, len, false, &q) != DNS_QERR_NONE ||
	    (w = malloc(sizeof(*w) + len)) == NULL) {
		withdraw(n, r->binding, r->fresh, false);
		return;
	}
	memset(w, 0, sizeof(*w));
	w->to = *to;
	w->tcp = ctx->tcp;
	w->src = ctx->src;
	w->sport = ctx->sport;
	w->len = len;
	memcpy(w->pkt, pkt, len);
	e = find(n, q.qname, q.qtype, r);
	if (e != NULL) {
		/* a retransmission (or a loop coming back): the question in flight answers it */
		DNS_STAT_INC(&n->d->stats, nested_joined);
		withdraw(n, r->binding, r->fresh, false);
		if (e->n_waiters >= NEST_MAX_WAITERS && !ctx->tcp) {
			free(w); /* bounded; a TCP connection always gets its answer */
			return;
		}
		w->next = e->waiters;
		e->waiters = w;
		e->n_waiters++;
		return;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		free(w);
		withdraw(n, r->binding, r->fresh, false);
		return;
	}
	h = n->d->db ? pol_snap_host(n->d->db->snap, r->host_id) : NULL;
	e->n = n;
	memcpy(e->name, q.qname, q.qname_len);
	e->qtype = q.qtype;
	e->resolver = r->resolver;
	e->rport = r->rport;
	e->relay = r->relay;
	e->host_id = r->host_id;
	e->binding = r->binding;
	e->fresh = r->fresh;
	e->outer = r->outer;
	e->waiters = w;
	e->n_waiters = 1;
	list_insert_after(&n->reqs, &e->node);
	if (h == NULL || h->nested_port == 0) {
		e->timer = ev_timer_add(n->d->loop, 0, on_fail_now, e);
		return;
	}
	addr_to_sockaddr(&h->ipv4, h->nested_port, &e->server);
	/* the client's spelling (0x20), its type; ECS passed on, ECI: who asked us */
	qlen = dns_nest_query(query, sizeof(query), q.qname_orig, q.qtype,
			      r->has_requestor ? &r->requestor : NULL, &r->resolver,
			      r->proven ? DNS_ECI_PROVEN : DNS_ECI_UNPROVEN, r->rport);
	memset(&p, 0, sizeof(p));
	p.servers = &e->server;
	p.n_servers = 1;
	p.timeouts = n->timeouts;
	p.n_timeouts = n->n_to;
	p.tcp_on_tc = true; /* its admission may want TCP from us too */
	p.tcp_timeout_ms = NEST_TCP_MS;
	DNS_STAT_INC(&n->d->stats, nested);
	e->q = qlen ? dns_upq_start(n->upq, query, qlen, &p, on_done, e) : NULL;
	if (e->q == NULL)
		e->timer = ev_timer_add(n->d->loop, 0, on_fail_now, e);
}

static void
on_fail_now(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct nq *e = arg;

	(void)loop;
	(void)id;
	e->timer = 0;
	reply_all(e, DNS_NEST_SERVFAIL, NULL, NULL);
}

static void
on_done(void *arg, enum dns_upq_status st, uint8_t *msg, size_t len, size_t server)
{
	struct nq *e = arg;
	struct dns_nest *n = e->n;
	const struct dns_nest_hooks *hk = n->d->nest_hooks;
	const struct pol_host *h = n->d->db ? pol_snap_host(n->d->db->snap, e->host_id) : NULL;
	struct dns_nest_answer a;
	char t[ADDR_STRLEN];

	(void)server;
	e->q = NULL; /* the engine freed its request */
	if (st != DNS_UPQ_ANSWER || h == NULL || h->nested_port == 0 ||
	    dns_nest_parse(msg, len, e->qtype, &a) != 0) {
		log_rl(&rl_nest, LOG_LVL_DEBUG, "dns: nested gateway %s: %s",
		       h ? h->fqdn : "(gone)",
		       st == DNS_UPQ_TIMEOUT	   ? "no answer in time"
		       : st == DNS_UPQ_UNREACHABLE ? "port unreachable"
						   : "no usable answer");
		reply_all(e, DNS_NEST_SERVFAIL, NULL, NULL);
		return;
	}
	if (a.rcode == DNS_RC_REFUSED) {
		/* its shortage (no fault), or its admission refused the resolver we named */
		bool denied = a.ede == DNS_EDE_PROHIBITED;

		DNS_STAT_INC(&n->d->stats, nested_refused);
		if (denied)
			DNS_STAT_INC(&n->d->stats, nested_denied);
		withdraw(n, e->binding, e->fresh, denied);
		e->binding = 0;
		reply_all(e, DNS_NEST_REFUSED, NULL, NULL);
		return;
	}
	if (a.rcode == DNS_RC_NOERROR && a.has_addr && !pol_nested_contains(h, &a.addr)) {
		/* not its address: we would DNAT the client anywhere it says */
		DNS_STAT_INC(&n->d->stats, nested_bogus);
		log_rl(&rl_nest, LOG_LVL_WARN,
		       "dns: nested gateway %s answered %s, an address it does not own: SERVFAIL",
		       h->fqdn, addr_ntop(&a.addr, t, sizeof(t)));
		reply_all(e, DNS_NEST_SERVFAIL, NULL, NULL);
		return;
	}
	if ((a.rcode != DNS_RC_NOERROR && a.rcode != DNS_RC_NXDOMAIN)) {
		reply_all(e, DNS_NEST_SERVFAIL, NULL, NULL);
		return;
	}
	if (e->relay || e->binding == 0 || !a.has_addr) {
		/* relayed to our LAN as it is, or a negative answer (the reservation goes back) */
		reply_all(e, DNS_NEST_ANSWER, &a, a.has_addr ? &a.addr : NULL);
		return;
	}
	if (addr_eq(&a.addr, &h->ipv4)) {
		/* its service address: a web name. Our ALG routes it to its ALG; no address of
		 * ours is spent (alg/routes.c, nested routes). */
		const struct addr *svc = &n->d->db->svc_addr4;

		DNS_STAT_INC(&n->d->stats, nested_web);
		reply_all(e, svc->family ? DNS_NEST_ANSWER : DNS_NEST_SERVFAIL, &a, svc);
		return;
	}
	if (hk == NULL || hk->bind == NULL || hk->bind(n->d->nest_arg, e->binding, &a.addr) != 0) {
		/* our reservation ended meanwhile (policy change): nothing to answer with */
		reply_all(e, DNS_NEST_SERVFAIL, NULL, NULL);
		return;
	}
	e->binding = 0; /* bound: no longer ours to withdraw */
	reply_all(e, DNS_NEST_ANSWER, &a, &e->outer);
}

/* Answer every waiter, then forget the question. A reservation still held is withdrawn. */
static void
reply_all(struct nq *e, enum dns_nest_outcome o, const struct dns_nest_answer *a,
	  const struct addr *addr)
{
	struct dns_nest *n = e->n;
	struct dns *d = n->d;
	struct waiter *ws = e->waiters;
	struct addr at; /* addr may point into e (its reservation), freed below */

	if (addr != NULL) {
		at = *addr;
		addr = &at;
	}
	if (o == DNS_NEST_SERVFAIL)
		DNS_STAT_INC(&d->stats, nested_failed);
	withdraw(n, e->binding, e->fresh, false);
	e->waiters = NULL;
	nq_free(e);
	while (ws) {
		struct waiter *w = ws;
		struct dns_answer_ctx ctx;
		struct dns_answer_info info = { 0 };
		enum dns_answer_res res = DNS_ANS_DROP;

		ws = w->next;
		if (d->db != NULL) {
			dns_ctx_init(d, &ctx, d->db, w->to.l->view, w->tcp, NULL);
			ctx.src = w->src;
			ctx.sport = w->sport;
			res = dns_answer_nested(&ctx, w->pkt, w->len, o, a, addr, n->out,
						w->tcp ? DNS_TCP_MAX : DNS_UDP_QMAX, &info);
			dns_account(&d->stats, res, &info, w->tcp);
		}
		if (w->to.conn)
			dns_tcp_forward_done(d, w->to.conn, w->to.conn_serial, n->out,
					     res == DNS_ANS_SEND ? info.len : 0);
		else if (res == DNS_ANS_SEND)
			dns_udp_reply(&w->to, n->out, info.len);
		free(w);
	}
}
