/* SPDX-License-Identifier: MIT */
/* dns/dns.c -- the DNS subsystem: listeners, policy apply, cookie secrets, statistics */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/array.h"
#include "../common/util.h"
#include "../common/histo.h"
#include "server.h"

static int add_listeners(struct dns *d, const struct conf_addrports *aps, enum dns_view view,
			 bool ddns, bool reuseport);
static void rotate_cb(struct ev_loop *loop, uint64_t id, void *arg);
static void handoff_cb(struct ev_loop *loop, void *arg);
static int parse_tsig(struct dns *d, const char *spec);
static void stats_add(struct dns_stats *sum, const struct dns_stats *s);
static void listener_close(struct dns *d, struct dns_listener *l);
static bool same_listener(const struct dns_listener *l, const struct addr_port *ap,
			  enum dns_view view, bool ddns, bool tcp);

/* Until rgwd connects the pool, allocations are refused (and said so, once). */
static int
no_allocator(void *arg, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	static bool said;

	(void)arg;
	(void)req;
	(void)out;
	if (!said) {
		log_warnx(
			"dns: no pool allocator connected: service addresses cannot be given out");
		said = true;
	}
	*why = NAT_REFUSE_EXHAUSTED;
	return -ENODEV;
}

void
dns_ctx_init(struct dns *d, struct dns_answer_ctx *ctx, const struct dns_db *db, enum dns_view view,
	     bool tcp, const struct sockaddr *peer)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->db = db;
	ctx->view = view;
	ctx->tcp = tcp;
	if (peer)
		addr_from_sockaddr(peer, &ctx->src, &ctx->sport);
	ctx->edns_size = __atomic_load_n(&d->edns_size, __ATOMIC_RELAXED);
	ctx->lan_ttl = __atomic_load_n(&d->lan_ttl, __ATOMIC_RELAXED);
	ctx->cookies = &d->cookies;
	ctx->now_s = (uint32_t)(util_wall_ms() / 1000);
	ctx->alloc = d->alloc ? d->alloc : no_allocator;
	ctx->alloc_arg = d->alloc_arg;
	ctx->alias = d->alias;
	ctx->alias_arg = d->alias_arg;
	ctx->qmin = d->qmin;
	ctx->qmin_arg = d->qmin_arg;
	ctx->step = d->step;
	ctx->step_arg = d->step_arg;
	if (d->nest != NULL && d->nest_hooks != NULL) {
		ctx->nest_reserve = d->nest_hooks->reserve;
		ctx->nest_arg = d->nest_arg;
	}
	ctx->sessions = d->sessions;
	ctx->sess_ended = d->sess_ended;
	ctx->sess_arg = d->sess_arg;
	ctx->now_ms = (int64_t)util_wall_ms();
}

void
dns_account(struct dns_stats *st, enum dns_answer_res res, const struct dns_answer_info *info,
	    bool tcp)
{
	(void)tcp;
	switch (info->cookie) {
	case DNS_COOKIE_VALID:
		DNS_STAT_INC(st, cookie_valid);
		break;
	case DNS_COOKIE_BAD:
		DNS_STAT_INC(st, cookie_bad);
		break;
	case DNS_COOKIE_CLIENT_ONLY:
		DNS_STAT_INC(st, cookie_client_only);
		break;
	case DNS_COOKIE_NONE:
		break;
	}
	if (info->allocated)
		DNS_STAT_INC(st, allocations);
	if (info->alloc_refused)
		DNS_STAT_INC(st, alloc_refused);
	/* once per query: not on a pass that hands over or retries (it is answered again) */
	if (info->eci_ignored && res != DNS_ANS_NEED_ALLOC && res != DNS_ANS_RETRY)
		DNS_STAT_INC(st, eci_ignored);
	if (info->session)
		DNS_STAT_INC(st, sessions);
	if (info->session_ended)
		DNS_STAT_INC(st, sessions_ended);
	if (res == DNS_ANS_DROP) {
		DNS_STAT_INC(st, dropped);
		return;
	}
	if (res != DNS_ANS_SEND)
		return;
	if (info->rcode < ARRAY_SIZE(st->rcode))
		DNS_STAT_INC(st, rcode[info->rcode]);
	if (info->tc)
		DNS_STAT_INC(st, tc_sent);
	if (info->formerr_like)
		DNS_STAT_INC(st, malformed);
}

static int
add_listeners(struct dns *d, const struct conf_addrports *aps, enum dns_view view, bool ddns,
	      bool reuseport)
{
	for (size_t i = 0; i < aps->n; i++) {
		for (int tcp = 0; tcp < 2; tcp++) {
			struct dns_listener *l = calloc(1, sizeof(*l));
			int r;

			if (l == NULL)
				return -ENOMEM;
			d->listeners[d->n_listeners++] = l;
			l->fd = -1;
			l->ap = aps->v[i];
			l->view = view;
			l->ddns = ddns;
			r = tcp ? dns_tcp_open(d, l) : dns_udp_open(d, l, reuseport);
			if (r != 0)
				return r;
			r = ev_io_add(d->loop, l->fd, EV_READ,
				      tcp ? dns_tcp_accept : dns_udp_readable, l);
			if (r != 0)
				return r;
			char buf[ADDR_PORT_STRLEN];
			log_info("dns: %s %s listener on %s", tcp ? "TCP" : "UDP",
				 ddns			? "update"
				 : view == DNS_VIEW_WAN ? "WAN"
				 : view == DNS_VIEW_LAN ? "LAN"
							: "local",
				 addr_port_ntop(&l->ap, buf, sizeof(buf)));
		}
	}
	return 0;
}

/* "name:algorithm:secret" (conf.c checks the syntax). */
static int
parse_tsig(struct dns *d, const char *spec)
{
	const char *a = strchr(spec, ':');
	const char *b = a ? strchr(a + 1, ':') : NULL;

	if (!a || !b || a == spec || b == a + 1 || !b[1])
		return -EINVAL;
	if ((size_t)(a - spec) >= sizeof(d->tsig_name) ||
	    (size_t)(b - a - 1) >= sizeof(d->tsig_alg) || strlen(b + 1) >= sizeof(d->tsig_secret))
		return -EINVAL;
	memcpy(d->tsig_name, spec, (size_t)(a - spec));
	memcpy(d->tsig_alg, a + 1, (size_t)(b - a - 1));
	util_strlcpy(d->tsig_secret, b + 1, sizeof(d->tsig_secret));
	return 0;
}

static void
rotate_cb(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct dns *d = arg;
	struct dns_cookie_secrets s = d->cookies;

	(void)id;
	if (dns_cookie_rotate(&s) == 0) {
		pthread_mutex_lock(&d->lock);
		d->cookies = s;
		pthread_mutex_unlock(&d->lock);
		log_debug("%s: cookie secret rotated", __func__);
	}
	d->rotate_timer = ev_timer_add(loop, (uint64_t)d->rotate_s * 1000, rotate_cb, d);
}

/* Queries from workers that need the pool: answer them here, where the pool lives. */
static void
handoff_cb(struct ev_loop *loop, void *arg)
{
	struct dns *d = arg;
	struct dns_handoff *list;
	uint8_t *out = d->batch->sbuf;

	(void)loop;
	pthread_mutex_lock(&d->handoff_lock);
	list = d->handoff_head;
	d->handoff_head = d->handoff_tail = NULL;
	d->handoff_len = 0;
	pthread_mutex_unlock(&d->handoff_lock);
	while (list) {
		struct dns_handoff *h = list;
		struct dns_answer_ctx ctx;
		struct dns_answer_info info;
		list = h->next;
		dns_ctx_init(d, &ctx, d->db, h->to.l->view, false,
			     (const struct sockaddr *)&h->to.peer);
		if (d->db) {
			uint64_t t0 = histo_now_ns();
			enum dns_answer_res res =
				dns_answer(&ctx, h->pkt, h->len, out, d->batch->sbuf_size, &info);

			histo_since(&histo_dns_answer, t0);
			dns_account(&d->stats, res, &info, false);
			if (res == DNS_ANS_SEND)
				dns_udp_reply(&h->to, out, info.len);
			else if (res == DNS_ANS_NESTED)
				dns_nest_ask(d->nest, h->pkt, h->len, &h->to, &ctx, &info);
			else if (res == DNS_ANS_FORWARD)
				dns_fwd_query(d->fwd, h->pkt, h->len, &h->to);
		}
		free(h);
	}
}

struct dns *
dns_new(struct ev_loop *loop, const struct conf *conf, struct pol_store *store)
{
	struct dns *d = calloc(1, sizeof(*d));
	size_t n;

	if (!d)
		return NULL;
	list_init(&d->conns);
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->handoff_lock, NULL);
	d->loop = loop;
	d->store = store;
	d->edns_size = (uint16_t)conf->dns_edns_size;
	d->lan_ttl = (uint32_t)conf->dns_lan_ttl;
	d->tcp_idle_ms = (uint64_t)conf->dns_tcp_idle_ms;
	d->tcp_max_conns = conf->dns_tcp_max_conns;
	d->tcp_max_queries = conf->dns_tcp_max_queries;
	d->tcp_max_per_source = conf->dns_tcp_max_per_source;
	d->tcp_max_per_prefix = conf->dns_tcp_max_per_prefix;
	d->tcp_src = srccnt_new((size_t)d->tcp_max_conns);
	d->tcp_pfx = srccnt_new((size_t)d->tcp_max_conns);
	if (!d->tcp_src || !d->tcp_pfx)
		goto fail;
	d->rotate_s = conf->dns_cookie_rotate_s;
	if (conf->dns_tsig_key[0] && parse_tsig(d, conf->dns_tsig_key) != 0) {
		log_warnx("dns: tsig_key: expected name:algorithm:secret");
		goto fail;
	}
	if (dns_cookie_rotate(&d->cookies) != 0 || dns_cookie_rotate(&d->cookies) != 0)
		goto fail;
	d->cookies.has_prev = false; /* two fresh secrets; the "previous" one was never issued */
	d->rotate_timer = ev_timer_add(loop, (uint64_t)d->rotate_s * 1000, rotate_cb, d);
	d->batch = dns_udp_batch_new(d->edns_size > DNS_UDP_MIN ? d->edns_size : DNS_UDP_MIN);
	d->tcp_out = malloc(DNS_TCP_MAX);
	if (!d->batch || !d->tcp_out)
		goto fail;
	n = 2 * (conf->dns_wan.n + conf->dns_lan.n + conf->dns_local.n + conf->dns_ddns.n);
	d->listeners = calloc(n ? n : 1, sizeof(*d->listeners));
	if (!d->listeners)
		goto fail;
	bool reuse = conf->dns_workers > 0;
	if (add_listeners(d, &conf->dns_wan, DNS_VIEW_WAN, false, reuse) != 0 ||
	    add_listeners(d, &conf->dns_lan, DNS_VIEW_LAN, false, false) != 0 ||
	    add_listeners(d, &conf->dns_local, DNS_VIEW_LOCAL, false, false) != 0 ||
	    add_listeners(d, &conf->dns_ddns, DNS_VIEW_LOCAL, true, false) != 0)
		goto fail;
	if (conf->dns_lan.n) {
		d->fwd = dns_fwd_new(d, conf);
		if (!d->fwd)
			goto fail;
	}
	d->nest = dns_nest_new(d, conf);
	if (!d->nest)
		goto fail;
	d->handoff = ev_async_new(loop, handoff_cb, d);
	if (!d->handoff || dns_standin_start(d) != 0)
		goto fail;
	if (conf->dns_workers > 0 && conf->dns_wan.n > 0 &&
	    dns_workers_start(d, (size_t)conf->dns_workers) != 0)
		goto fail;
	return d;
fail:
	dns_free(d);
	return NULL;
}

int
dns_prepare(struct pol_snap *snap, struct dns_db **db, struct pol_err *e)
{
	*db = dns_db_build(snap);
	if (*db == NULL) {
		pol_err_setk(e, POL_ERR_APPLY, "dns", "cannot build the name index: out of memory");
		return -ENOMEM;
	}
	return 0;
}

void
dns_abort(struct dns_db *db)
{
	dns_db_unref(db);
}

struct dns_db *
dns_commit(struct dns *d, struct dns_db *db)
{
	struct dns_db *old;

	pthread_mutex_lock(&d->lock);
	old = d->db;
	d->db = db;
	pthread_mutex_unlock(&d->lock);
	log_info("dns: serving %zu zones, %zu names (%zu services)", db->n_zones, db->n_nodes,
		 db->n_svcs);
	return old;
}

void
dns_set_allocator(struct dns *d, dns_alloc_fn fn, void *arg)
{
	d->alloc = fn;
	d->alloc_arg = arg;
}

void
dns_set_alias_hooks(struct dns *d, const struct dns_alias_hooks *hooks, void *arg)
{
	d->alias = hooks;
	d->alias_arg = arg;
}

void
dns_set_qmin_hook(struct dns *d, dns_qmin_fn fn, void *arg)
{
	d->qmin = fn;
	d->qmin_arg = arg;
}

void
dns_set_sessions(struct dns *d, struct pol_sessions *t, dns_sess_ended_fn fn, void *arg)
{
	d->sessions = t;
	d->sess_ended = fn;
	d->sess_arg = arg;
}

void
dns_set_step_hook(struct dns *d, dns_step_fn fn, void *arg)
{
	d->step = fn;
	d->step_arg = arg;
}

void
dns_set_nest_hooks(struct dns *d, const struct dns_nest_hooks *hooks, void *arg)
{
	d->nest_hooks = hooks;
	d->nest_arg = arg;
}

void
dns_set_committer(struct dns *d, pol_commit_fn fn, void *arg)
{
	d->commit = fn;
	d->commit_arg = arg;
}

static void
stats_add(struct dns_stats *sum, const struct dns_stats *s)
{
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)sum;

	/* struct dns_stats is only uint64_t counters */
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void
dns_get_stats(const struct dns *d, struct dns_stats *out)
{
	memset(out, 0, sizeof(*out));
	stats_add(out, &d->stats);
	dns_workers_stats(d, out);
	if (dns_standin_stats(d) != NULL)
		stats_add(out, dns_standin_stats(d));
}

int
dns_metrics(const struct dns *d, struct buf *out)
{
	static const char *const rc_names[24] = {
		[0] = "NOERROR",    [1] = "FORMERR", [2] = "SERVFAIL", [3] = "NXDOMAIN",
		[4] = "NOTIMP",	    [5] = "REFUSED", [6] = "YXDOMAIN", [7] = "YXRRSET",
		[8] = "NXRRSET",    [9] = "NOTAUTH", [10] = "NOTZONE", [16] = "BADVERS",
		[23] = "BADCOOKIE",
	};
	struct dns_stats s;
	int r = 0;

	dns_get_stats(d, &s);
	r |= buf_printf(out,
			"# HELP rgw_dns_queries_total DNS queries received, by transport.\n"
			"# TYPE rgw_dns_queries_total counter\n"
			"rgw_dns_queries_total{transport=\"udp\"} %" PRIu64 "\n"
			"rgw_dns_queries_total{transport=\"tcp\"} %" PRIu64 "\n",
			s.queries_udp, s.queries_tcp);
	r |= buf_printf(out, "# HELP rgw_dns_responses_total DNS responses sent, by rcode.\n"
			     "# TYPE rgw_dns_responses_total counter\n");
	for (size_t i = 0; i < ARRAY_SIZE(rc_names); i++)
		if (rc_names[i])
			r |= buf_printf(out, "rgw_dns_responses_total{rcode=\"%s\"} %" PRIu64 "\n",
					rc_names[i], s.rcode[i]);
#define M(name, field, help)                                                                       \
	r |= buf_printf(out,                                                                       \
			"# HELP rgw_dns_" name " " help "\n# TYPE rgw_dns_" name                   \
			" counter\nrgw_dns_" name " %" PRIu64 "\n",                                \
			s.field)
	M("dropped_total", dropped, "Queries not answered.");
	M("malformed_total", malformed, "FORMERR, NOTIMP and BADVERS answers.");
	M("truncated_total", tc_sent, "Responses sent with TC=1.");
	M("cookies_valid_total", cookie_valid, "Queries with a valid server cookie.");
	M("cookies_bad_total", cookie_bad, "Queries with an invalid server cookie.");
	M("cookies_client_only_total", cookie_client_only, "Queries with a client cookie only.");
	M("allocations_total", allocations, "Circular pool addresses given out.");
	M("allocations_refused_total", alloc_refused, "Allocations refused by the pool.");
	M("forwarded_total", forwarded, "LAN queries forwarded upstream.");
	M("forward_failed_total", forward_failed, "Forwarded queries answered SERVFAIL.");
	M("tcp_accepted_total", tcp_accepted, "TCP connections accepted.");
	M("tcp_capped_total", tcp_rejected,
	  "TCP connections closed at the connection cap (no idle one to close instead).");
	M("tcp_idle_closed_total", tcp_idle_closed, "TCP connections closed when idle.");
	M("tcp_refused_source_total", tcp_refused_source,
	  "TCP connections closed at accept: per-address cap.");
	M("tcp_refused_prefix_total", tcp_refused_prefix,
	  "TCP connections closed at accept: per-/24 or /64 cap.");
	M("tcp_evicted_total", tcp_evicted,
	  "Idle TCP connections closed to make room for a new one at the cap.");
	M("updates_ok_total", updates_ok, "DNS UPDATE messages applied.");
	M("updates_refused_total", updates_refused, "DNS UPDATE messages refused.");
	M("nested_total", nested, "Questions sent to nested gateways.");
	M("nested_joined_total", nested_joined,
	  "Queries that joined an identical question to a nested gateway in flight.");
	M("nested_failed_total", nested_failed,
	  "Names below nested gateways answered SERVFAIL (timeout, unreachable, bogus answer).");
	M("nested_refused_total", nested_refused, "Questions refused by nested gateways.");
	M("nested_denied_total", nested_denied,
	  "... of which refused by their admission (NOK for the resolver).");
	M("nested_bogus_total", nested_bogus,
	  "Answers from nested gateways with an address they do not own.");
	M("nested_web_total", nested_web,
	  "Names below nested gateways answered with the service address (ALG).");
	M("eci_ignored_total", eci_ignored, "ECI options from sources that are not parents.");
	M("sessions_total", sessions, "Session names answered with an address.");
	M("sessions_ended_total", sessions_ended, "Queries for ended session names.");
#undef M
	return r ? -ENOMEM : 0;
}

/* Stop watching and close l, then free it. NULL or a never-opened l are fine. */
static void
listener_close(struct dns *d, struct dns_listener *l)
{
	if (l == NULL)
		return;
	if (l->pause_timer)
		ev_timer_del(d->loop, l->pause_timer);
	if (l->fd >= 0) {
		ev_io_del(d->loop, l->fd);
		close(l->fd);
	}
	free(l);
}

static bool
same_listener(const struct dns_listener *l, const struct addr_port *ap, enum dns_view view,
	      bool ddns, bool tcp)
{
	return l->view == view && l->ddns == ddns && l->tcp == tcp && addr_port_equal(&l->ap, ap);
}

/* What a reload will change: the new listener set and the new limits. */
struct dns_reconf {
	struct dns_listener **listeners; /* the new set: kept ones and opened ones */
	size_t n;
	bool *opened; /* per entry: opened by this reload (closed again on abort) */
	uint16_t edns_size;
	uint32_t lan_ttl;
	uint64_t tcp_idle_ms;
	long tcp_max_conns, tcp_max_queries;
};

int
dns_reconf_prepare(struct dns *d, const struct conf *old, struct conf *conf,
		   struct dns_reconf **out)
{
	static const struct {
		size_t off;
		enum dns_view view;
		bool ddns;
	} kinds[] = {
		{ offsetof(struct conf, dns_wan), DNS_VIEW_WAN, false },
		{ offsetof(struct conf, dns_lan), DNS_VIEW_LAN, false },
		{ offsetof(struct conf, dns_local), DNS_VIEW_LOCAL, false },
		{ offsetof(struct conf, dns_ddns), DNS_VIEW_LOCAL, true },
	};
	struct dns_reconf *rc = calloc(1, sizeof(*rc));
	size_t cap;
	int r = 0;

	*out = NULL;
	if (rc == NULL)
		return -ENOMEM;
	/* the workers' own WAN sockets are made once: with workers the WAN set stays */
	if (d->n_workers > 0 && memcmp(&old->dns_wan, &conf->dns_wan, sizeof(conf->dns_wan))) {
		log_warnx("dns: dns.wan changed but [dns] workers = %zu: the WAN listeners need a "
			  "restart; keeping the old ones",
			  d->n_workers);
		conf->dns_wan = old->dns_wan;
	}
	cap = 2 * (conf->dns_wan.n + conf->dns_lan.n + conf->dns_local.n + conf->dns_ddns.n);
	rc->listeners = calloc(cap ? cap : 1, sizeof(*rc->listeners));
	rc->opened = calloc(cap ? cap : 1, sizeof(*rc->opened));
	if (rc->listeners == NULL || rc->opened == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		const struct conf_addrports *aps =
			(const struct conf_addrports *)((const char *)conf + kinds[k].off);

		for (size_t i = 0; i < aps->n; i++) {
			for (int tcp = 0; tcp < 2; tcp++) {
				struct dns_listener *l = NULL;

				for (size_t j = 0; j < d->n_listeners && l == NULL; j++)
					if (same_listener(d->listeners[j], &aps->v[i],
							  kinds[k].view, kinds[k].ddns, tcp))
						l = d->listeners[j];
				if (l == NULL) {
					l = calloc(1, sizeof(*l));
					if (l == NULL) {
						r = -ENOMEM;
						goto fail;
					}
					l->fd = -1;
					l->ap = aps->v[i];
					l->view = kinds[k].view;
					l->ddns = kinds[k].ddns;
					rc->opened[rc->n] = true;
					rc->listeners[rc->n++] = l;
					/* opened and watched now: a listener that cannot be
					 * bound fails the reload before anything changed */
					r = tcp ? dns_tcp_open(d, l)
						: dns_udp_open(d, l,
							       kinds[k].view == DNS_VIEW_WAN &&
								       d->n_workers > 0);
					if (r == 0)
						r = ev_io_add(
							d->loop, l->fd, EV_READ,
							tcp ? dns_tcp_accept : dns_udp_readable, l);
					if (r != 0) {
						char where[ADDR_PORT_STRLEN];

						addr_port_ntop(&aps->v[i], where, sizeof(where));
						log_warnx("dns: reload: cannot listen on %s (%s)",
							  where, tcp ? "tcp" : "udp");
						goto fail;
					}
					continue;
				}
				rc->listeners[rc->n++] = l;
			}
		}
	}
	rc->edns_size = (uint16_t)conf->dns_edns_size;
	rc->lan_ttl = (uint32_t)conf->dns_lan_ttl;
	rc->tcp_idle_ms = (uint64_t)conf->dns_tcp_idle_ms;
	rc->tcp_max_conns = conf->dns_tcp_max_conns;
	rc->tcp_max_queries = conf->dns_tcp_max_queries;
	*out = rc;
	return 0;
fail:
	dns_reconf_abort(d, rc);
	return r < 0 ? r : -EADDRINUSE;
}

void
dns_reconf_abort(struct dns *d, struct dns_reconf *rc)
{
	if (rc == NULL)
		return;
	for (size_t i = 0; i < rc->n; i++)
		if (rc->opened[i])
			listener_close(d, rc->listeners[i]);
	free(rc->listeners);
	free(rc->opened);
	free(rc);
}

void
dns_reconf_commit(struct dns *d, struct dns_reconf *rc)
{
	size_t n_old = d->n_listeners;
	bool room;

	/* the listeners that are not in the new set: their connections close, the structs
	 * stay (forwards and hand-offs in flight may name them; a reply to a closed one is
	 * dropped, as the client would see after any restart) */
	room = ARRAY_RESERVE(d->retired, d->retired_cap, d->n_retired + n_old) == 0;
	for (size_t j = 0; j < n_old; j++) {
		struct dns_listener *l = d->listeners[j];
		bool kept = false;

		for (size_t i = 0; i < rc->n && !kept; i++)
			kept = rc->listeners[i] == l;
		if (kept)
			continue;
		if (l->tcp)
			dns_tcp_close_listener(d, l);
		if (l->pause_timer)
			ev_timer_del(d->loop, l->pause_timer);
		l->pause_timer = 0;
		ev_io_del(d->loop, l->fd);
		close(l->fd);
		l->fd = -1;
		if (room)
			d->retired[d->n_retired++] = l;
		/* without room to remember it (out of memory) it leaks, never dangles */
	}
	free(d->listeners);
	d->listeners = rc->listeners;
	d->n_listeners = rc->n;
	/* workers read these when they build an answer context */
	__atomic_store_n(&d->edns_size, rc->edns_size, __ATOMIC_RELAXED);
	__atomic_store_n(&d->lan_ttl, rc->lan_ttl, __ATOMIC_RELAXED);
	d->tcp_idle_ms = rc->tcp_idle_ms;
	d->tcp_max_conns = rc->tcp_max_conns;
	d->tcp_max_queries = rc->tcp_max_queries;
	free(rc->opened);
	free(rc);
	log_info("dns: %zu listeners, EDNS size %u, TCP idle %llu ms, max %ld connections, %ld "
		 "queries each",
		 d->n_listeners, (unsigned)d->edns_size, (unsigned long long)d->tcp_idle_ms,
		 d->tcp_max_conns, d->tcp_max_queries);
}

void
dns_free(struct dns *d)
{
	if (!d)
		return;
	if (d->db) {
		struct dns_stats s;
		dns_get_stats(d, &s);
		log_info("dns: stats: queries udp %" PRIu64 " tcp %" PRIu64 ", noerror %" PRIu64
			 ", nxdomain %" PRIu64 ", refused %" PRIu64 ", formerr %" PRIu64
			 ", truncated %" PRIu64 ", badcookie %" PRIu64 ", cookies valid %" PRIu64
			 ", allocations %" PRIu64 " refused %" PRIu64 ", forwarded %" PRIu64
			 ", updates %" PRIu64 " refused %" PRIu64 ", tcp accepted %" PRIu64
			 " capped %" PRIu64 " idle-closed %" PRIu64 " evicted %" PRIu64
			 " refused-source %" PRIu64 " refused-prefix %" PRIu64,
			 s.queries_udp, s.queries_tcp, s.rcode[0], s.rcode[3], s.rcode[5],
			 s.rcode[1], s.tc_sent, s.rcode[23], s.cookie_valid, s.allocations,
			 s.alloc_refused, s.forwarded, s.updates_ok, s.updates_refused,
			 s.tcp_accepted, s.tcp_rejected, s.tcp_idle_closed, s.tcp_evicted,
			 s.tcp_refused_source, s.tcp_refused_prefix);
	}
	dns_workers_stop(d);
	dns_standin_stop(d);
	dns_tcp_close_all(d);
	srccnt_free(d->tcp_src);
	srccnt_free(d->tcp_pfx);
	for (size_t i = 0; i < d->n_listeners; i++)
		listener_close(d, d->listeners[i]);
	free(d->listeners);
	for (size_t i = 0; i < d->n_retired; i++)
		free(d->retired[i]);
	free(d->retired);
	dns_fwd_free(d->fwd);
	dns_nest_free(d->nest);
	if (d->rotate_timer)
		ev_timer_del(d->loop, d->rotate_timer);
	ev_async_free(d->handoff);
	while (d->handoff_head) {
		struct dns_handoff *h = d->handoff_head;
		d->handoff_head = h->next;
		free(h);
	}
	dns_udp_batch_free(d->batch);
	free(d->tcp_out);
	dns_db_unref(d->db);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->handoff_lock);
	free(d);
}
