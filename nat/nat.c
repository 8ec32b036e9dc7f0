/* SPDX-License-Identifier: MIT */
/* nat/nat.c -- the NAT subsystem: circular pool, nftables table, NFQUEUE admission */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <libnftnl/rule.h>

#include "../common/buf.h"
#include "../common/log.h"
#include "../common/util.h"
#include "ct.h"
#include "flowmem.h"
#include "nat.h"
#include "nft_io.h"
#include "packet.h"
#include "rules.h"

/* Headers of the first packet are all we look at: IPv6 + TCP with options fit in 128. */
#define QUEUE_COPY_RANGE 128
#define QUEUE_MAXLEN	 8192

struct nat {
	struct ev_loop *loop;
	const struct conf *conf;
	struct nat_rules_cfg cfg;
	struct nat_pool *pool;
	struct nat_rejmem *rej;
	struct nat_nft_io *io;
	struct nat_queue *queue;
	struct nat_model *model; /* what the kernel table holds now */
	bool stale; /* the table may differ from model: the next batch recreates it whole */
	uint64_t timer;
	uint64_t timer_deadline;
	uint64_t drops_timer;
	struct nat_stats st;
	struct log_rl rl_bad;
	/* flow defence ([ids] enable): admitted flows, conntrack, blocked sources */
	struct nat_flowmem *flows;
	struct nat_ct *ct;
	struct nat_blocks *blocks;
};

/* Flows remembered with the binding that admitted them (about 130 bytes each). */
#define NAT_FLOWMEM_MAX 32768
#define NAT_BLOCKS_MAX	65536

static void on_queue(struct ev_loop *loop, int fd, int events, void *arg);
static void on_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void on_deadline(void *arg, uint64_t deadline_ms);
static void on_drops_timer(struct ev_loop *loop, uint64_t id, void *arg);
static void arm(struct nat *n, uint64_t deadline_ms);
static bool probe_native_queue(struct nat *n);
static void check_synproxy_sysctl(void);
static int send_batch(struct nat *n, struct nat_plan *pl);
static void revert(struct nat *n, struct nat_plan *pl);
static void remember_flow(struct nat *n, const struct nat_pkt *p, const struct nat_pool_hit *hit);
static int block_elem(struct nat *n, const struct addr *a, uint64_t ms, bool del);

/* A policy change for nat, built by nat_prepare and then committed or aborted. */
struct nat_plan {
	struct nat_model *model;     /* the table of the new policy (NULL without nftables) */
	struct nat_nft_batch *batch; /* the commands that move the kernel from n->model to it */
	struct nat_pool_plan *pool;
	uint64_t generation;
	bool sent; /* the kernel holds the new table */
};

static int
queue_cb(void *arg, const uint8_t *pkt, size_t len, uint32_t *mark)
{
	return nat_packet_verdict(arg, pkt, len, mark);
}

int
nat_packet_verdict(struct nat *n, const uint8_t *data, size_t len, uint32_t *mark)
{
	uint64_t now = ev_now_ms(n->loop);
	struct nat_rej_key key;
	struct nat_pool_hit hit;
	struct nat_pkt p;
	enum nat_pkt_result pr = nat_pkt_parse(data, len, &p);

	if (pr != NAT_PKT_OK) {
		n->st.bad_packets++;
		log_rl(&n->rl_bad, LOG_LVL_WARN, "nat: unparseable first packet (%zu bytes, %s)",
		       len, pr == NAT_PKT_NEED_MORE ? "truncated" : "malformed");
		return NF_DROP;
	}
	nat_pkt_rej_key(&p, &key);
	/* The table only queues SYNs for TCP; anything else is refused outright. */
	if (p.proto == 6 && !nat_pkt_is_syn(&p))
		goto refuse;
	if (nat_rejmem_check(n->rej, &key, now)) {
		n->st.refused_memory++;
		goto refuse_known;
	}
	if (nat_pool_lookup(n->pool, &p.src, &p.dst, p.proto, p.dport, now, &hit) ==
	    NAT_LOOKUP_OK) {
		uint32_t m = hit.nested ? nat_rules_nest_mark(&hit.private_addr)
					: nat_rules_host_mark(hit.host_id);

		if (m != 0) {
			*mark = (*mark & ~NAT_MARK_MASK) | m;
			n->st.admitted++;
			if (n->flows != NULL)
				remember_flow(n, &p, &hit);
			return NF_ACCEPT;
		}
	}
refuse:
	(void)nat_rejmem_record(n->rej, &key, now);
refuse_known:
	*mark = (*mark & ~NAT_MARK_MASK) | NAT_MARK_REJECT;
	n->st.refused++;
	return NF_ACCEPT;
}

/* The flow's original tuple and the binding that admitted it. */
static void
remember_flow(struct nat *n, const struct nat_pkt *p, const struct nat_pool_hit *hit)
{
	struct nat_ct_tuple t = { .src = p->src, .dst = p->dst, .proto = p->proto };
	struct nat_flow_origin o;

	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP || p->proto == IPPROTO_SCTP) {
		t.sport = p->sport;
		t.dport = p->dport;
	}
	memset(&o, 0, sizeof(o));
	o.binding_id = hit->binding_id;
	o.client = p->src;
	o.host_id = hit->host_id;
	o.service_id = hit->service_id;
	o.resolver = hit->resolver;
	o.has_requestor = hit->has_requestor;
	o.requestor = hit->requestor;
	o.admitted_ms = ev_now_ms(n->loop);
	nat_flowmem_add(n->flows, &t, &o);
	/* The flow as the LAN side sees it (after the DNAT, which keeps the port): an alert on
	 * the host's answer after the teardown still finds its client. */
	if (hit->private_addr.family == t.dst.family) {
		t.dst = hit->private_addr;
		nat_flowmem_add(n->flows, &t, &o);
	}
}

static void
on_queue(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct nat *n = arg;

	(void)loop;
	(void)fd;
	(void)events;
	if (nat_queue_dispatch(n->queue) < 0)
		log_rl(&n->rl_bad, LOG_LVL_WARN, "nat: queue read failed");
}

static void
arm(struct nat *n, uint64_t deadline)
{
	uint64_t now = ev_now_ms(n->loop);

	if (n->timer && n->timer_deadline <= deadline)
		return;
	if (n->timer)
		ev_timer_del(n->loop, n->timer);
	n->timer = 0;
	if (deadline == UINT64_MAX)
		return;
	n->timer = ev_timer_add(n->loop, deadline > now ? deadline - now : 0, on_timer, n);
	n->timer_deadline = deadline;
}

static void
on_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct nat *n = arg;
	uint64_t next;

	(void)id;
	n->timer = 0;
	next = nat_pool_expire(n->pool, ev_now_ms(loop));
	nat_rejmem_purge(n->rej, ev_now_ms(loop));
	arm(n, next);
}

/* The kernel does not tell the queue's owner about packets it dropped: look every 2 s. */
#define DROPS_CHECK_MS 2000

static void
on_drops_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct nat *n = arg;

	(void)id;
	(void)nat_queue_check_drops(n->queue);
	n->drops_timer = ev_timer_add(loop, DROPS_CHECK_MS, on_drops_timer, n);
}

static void
on_deadline(void *arg, uint64_t deadline_ms)
{
	arm(arg, deadline_ms);
}

/* The synproxy only sees the client's ACK if conntrack does not pick up mid-stream
 * connections: tell the operator (rgwd does not change system settings). */
static void
check_synproxy_sysctl(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_tcp_loose", "re");
	int v = -1;

	if (f == NULL)
		return;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	if (v != 0)
		log_warnx("nat: synproxy needs net.netfilter.nf_conntrack_tcp_loose = 0 "
			  "(it is %d): handshakes through the synproxy will fail",
			  v);
}

/* Does the kernel have the nft queue expression? One throw-away batch tells. */
static bool
probe_native_queue(struct nat *n)
{
	struct nat_nft_batch *b = nat_nft_batch_new(nat_nft_io_seq(n->io));
	struct nftnl_rule *r;
	char table[64];
	bool ok = false;

	if (b == NULL)
		return false;
	snprintf(table, sizeof(table), "%s_probe%d", n->cfg.table, (int)getpid());
	if (nat_nft_add_table(b, NFPROTO_INET, table) == 0 &&
	    nat_nft_add_chain(b, NFPROTO_INET, table, "q", NULL, 0, 0, 0) == 0 &&
	    (r = nat_nft_rule_new(NFPROTO_INET, table, "q")) != NULL) {
		if (nat_nft_x_queue(r, n->cfg.queue, true) == 0 &&
		    nat_nft_add_rule(b, r, "probe: native queue") == 0 &&
		    nat_nft_del_table(b, NFPROTO_INET, table) == 0) {
			/* A refusal here is expected on kernels without nft_queue: stay quiet. */
			enum log_level lvl = log_get_level();

			log_set_level(LOG_LVL_ERR);
			ok = nat_nft_io_send(n->io, b) == 0;
			log_set_level(lvl);
		} else {
			nftnl_rule_free(r);
		}
	}
	nat_nft_batch_free(b);
	return ok;
}

/*
 * Send the plan's batch. When acks were lost, whether the kernel committed is unknown and the
 * next diff could be wrong: rebuild the whole table from the plan's model in a second batch
 * (one transaction: flows are not disturbed).
 */
static int
send_batch(struct nat *n, struct nat_plan *pl)
{
	int rc = nat_nft_io_send(n->io, pl->batch);

	if (rc == -ENOBUFS || rc == -EPROTO) {
		log_warnx("nat: outcome of the last batch unknown (%s): rebuilding table %s",
			  strerror(-rc), n->cfg.table);
		n->stale = true;
		nat_nft_batch_free(pl->batch);
		pl->batch = nat_nft_batch_new(nat_nft_io_seq(n->io));
		rc = pl->batch ? nat_model_diff(NULL, pl->model, pl->batch) : -ENOMEM;
		if (rc == 0)
			rc = nat_nft_io_send(n->io, pl->batch);
		if (rc == 0)
			n->stale = false;
	}
	return rc;
}

int
nat_prepare(const struct nat *n, const struct pol_snap *snap, struct nat_plan **out,
	    struct pol_err *e)
{
	struct nat_plan *pl = calloc(1, sizeof(*pl));
	unsigned skipped = 0;
	int rc = -ENOMEM;

	*out = NULL;
	if (pl == NULL)
		goto fail;
	pl->generation = snap->generation;
	if (n->io != NULL) {
		pl->model = nat_rules_build(&n->cfg, snap, &skipped);
		pl->batch = nat_nft_batch_new(nat_nft_io_seq(n->io));
		if (pl->model == NULL || pl->batch == NULL)
			goto fail;
		rc = nat_model_diff(n->stale ? NULL : n->model, pl->model, pl->batch);
		if (rc < 0)
			goto fail;
	}
	rc = nat_pool_prepare(snap, &pl->pool);
	if (rc < 0)
		goto fail;
	*out = pl;
	return 0;
fail:
	pol_err_setk(e, POL_ERR_APPLY, "nat", "cannot build the table and the pool: %s",
		     strerror(-rc));
	nat_plan_free(pl);
	return rc;
}

int
nat_send(struct nat *n, struct nat_plan *pl, struct pol_err *e)
{
	int rc;

	if (n->io == NULL)
		return 0;
	/* prepared on the commit thread: a message sent since (a block) took its numbers */
	if (nat_nft_batch_seq_first(pl->batch) != nat_nft_io_seq(n->io)) {
		nat_nft_batch_free(pl->batch);
		pl->batch = nat_nft_batch_new(nat_nft_io_seq(n->io));
		rc = pl->batch != NULL
			     ? nat_model_diff(n->stale ? NULL : n->model, pl->model, pl->batch)
			     : -ENOMEM;
		if (rc < 0) {
			pol_err_setk(e, POL_ERR_APPLY, "nat", "cannot build the batch: %s",
				     strerror(-rc));
			return rc;
		}
	}
	n->st.applies++;
	rc = send_batch(n, pl);
	if (rc < 0) {
		n->st.apply_errors++;
		log_warnx("nat: policy generation %llu not applied to table %s: %s",
			  (unsigned long long)pl->generation, n->cfg.table, strerror(-rc));
		pol_err_setk(e, POL_ERR_APPLY, "nat", "the kernel refused the nftables batch: %s",
			     nat_nft_io_last_error(n->io)[0] ? nat_nft_io_last_error(n->io)
							     : strerror(-rc));
		return rc;
	}
	log_debug("%s: table %s: %zu commands, %zu rules", __func__, n->cfg.table,
		  nat_nft_batch_ncmds(pl->batch), nat_model_nrules(pl->model));
	pl->sent = true;
	return 0;
}

void
nat_commit(struct nat *n, struct nat_plan *pl)
{
	if (pl->model != NULL) {
		struct nat_model *old = n->model;

		n->model = pl->model;
		n->st.nft_rules = nat_model_nrules(pl->model);
		pl->model = old; /* freed with the plan */
	}
	nat_pool_commit(n->pool, pl->pool, ev_now_ms(n->loop));
	pl->pool = NULL;
	arm(n, nat_pool_next_deadline(n->pool));
}

/*
 * The kernel took the plan but the change is called off (the store could not commit): move
 * the table back to n->model, the table in force. If even that fails, the next batch
 * recreates the table whole.
 */
static void
revert(struct nat *n, struct nat_plan *pl)
{
	int rc;

	nat_nft_batch_free(pl->batch);
	pl->batch = nat_nft_batch_new(nat_nft_io_seq(n->io));
	rc = pl->batch ? nat_model_diff(pl->model, n->model, pl->batch) : -ENOMEM;
	if (rc == 0)
		rc = nat_nft_io_send(n->io, pl->batch);
	if (rc < 0) {
		nat_nft_batch_free(pl->batch);
		pl->batch = nat_nft_batch_new(nat_nft_io_seq(n->io));
		rc = pl->batch ? nat_model_diff(NULL, n->model, pl->batch) : -ENOMEM;
		if (rc == 0)
			rc = nat_nft_io_send(n->io, pl->batch);
	}
	n->stale = rc < 0;
	if (rc < 0)
		log_warnx("nat: cannot put table %s back to the policy in force (%s); it is "
			  "recreated with the next policy change",
			  n->cfg.table, strerror(-rc));
	else
		log_info("nat: table %s is back to the policy in force", n->cfg.table);
}

void
nat_plan_free(struct nat_plan *pl)
{
	if (pl == NULL)
		return;
	nat_model_free(pl->model);
	nat_nft_batch_free(pl->batch);
	nat_pool_plan_free(pl->pool);
	free(pl);
}

void
nat_abort(struct nat *n, struct nat_plan *pl)
{
	if (pl != NULL && pl->sent)
		revert(n, pl);
	nat_plan_free(pl);
}

struct nat *
nat_new(struct ev_loop *loop, const struct conf *conf)
{
	struct nat *n = calloc(1, sizeof(*n));
	struct nat_plan *pl = NULL;
	struct pol_snap empty;
	int rc;

	if (n == NULL)
		return NULL;
	n->loop = loop;
	n->conf = conf;
	n->rl_bad = (struct log_rl)LOG_RL_INIT(5000, 5);
	nat_rules_cfg_from_conf(&n->cfg, conf);
	n->pool = nat_pool_new();
	n->rej = nat_rejmem_new((size_t)conf->nat_reject_memory_max,
				(uint64_t)conf->nat_reject_memory_s * 1000);
	if (n->pool == NULL || n->rej == NULL)
		goto fail;
	nat_pool_set_deadline_hook(n->pool, on_deadline, n);
	if (!conf->nat_enable) {
		log_info("nat: data plane disabled ([nat] enable = no): pool only");
		return n;
	}
	n->io = nat_nft_io_open();
	if (n->io == NULL)
		goto fail;
	if (conf->nat_synproxy) {
		size_t i;

		check_synproxy_sysctl();
		for (i = 0; i < conf->nat_helpers.n; i++)
			if (strcmp(conf->nat_helpers.v[i], "ftp") == 0)
				log_warnx(
					"nat: with the synproxy, passive FTP data connections to pool "
					"addresses fail (the client's handshake ACK consumes the ftp "
					"helper's expectation); active mode works");
	}
	n->cfg.queue_native = probe_native_queue(n);
	if (!n->cfg.queue_native)
		log_info("nat: kernel without nft queue: using the xtables NFQUEUE target");
	/* Start from nothing: the old table (if any) goes in the same transaction. */
	memset(&empty, 0, sizeof(empty));
	if ((rc = nat_prepare(n, &empty, &pl, NULL)) < 0 || (rc = nat_send(n, pl, NULL)) < 0) {
		log_warnx("nat: cannot create table inet %s: %s", n->cfg.table, strerror(-rc));
		nat_abort(n, pl);
		goto fail;
	}
	nat_commit(n, pl);
	nat_plan_free(pl);
	n->queue = nat_queue_open(n->cfg.queue, QUEUE_COPY_RANGE, QUEUE_MAXLEN, queue_cb, n);
	if (n->queue == NULL)
		goto fail;
	if ((rc = ev_io_add(loop, nat_queue_fd(n->queue), EV_READ, on_queue, n)) < 0) {
		log_warnx("nat: queue watcher: %s", strerror(-rc));
		goto fail;
	}
	n->drops_timer = ev_timer_add(loop, DROPS_CHECK_MS, on_drops_timer, n);
	if (conf->ids_enable) {
		n->flows = nat_flowmem_new(NAT_FLOWMEM_MAX);
		n->blocks = nat_blocks_new(NAT_BLOCKS_MAX);
		n->ct = nat_ct_open();
		if (n->flows == NULL || n->blocks == NULL || n->ct == NULL)
			goto fail;
	}
	log_info("nat: table inet %s created, NFQUEUE %u bound", n->cfg.table,
		 (unsigned)n->cfg.queue);
	return n;
fail:
	nat_free(n);
	return NULL;
}

int
nat_apply(struct nat *n, const struct pol_snap *snap)
{
	struct nat_plan *pl;
	int rc = nat_prepare(n, snap, &pl, NULL);

	if (rc == 0 && (rc = nat_send(n, pl, NULL)) < 0)
		nat_abort(n, pl);
	else if (rc == 0) {
		nat_commit(n, pl);
		nat_plan_free(pl);
	}
	return rc;
}

void
nat_free(struct nat *n)
{
	if (n == NULL)
		return;
	if (n->timer)
		ev_timer_del(n->loop, n->timer);
	if (n->drops_timer)
		ev_timer_del(n->loop, n->drops_timer);
	if (n->queue) {
		ev_io_del(n->loop, nat_queue_fd(n->queue));
		nat_queue_close(n->queue);
	}
	if (n->io && n->model && n->conf->nat_keep_table) {
		log_info("nat: table inet %s kept ([nat] keep_table_on_stop): established flows "
			 "and the firewall stay; the next start replaces it atomically",
			 n->cfg.table);
	} else if (n->io && n->model) {
		struct nat_nft_batch *b = nat_nft_batch_new(nat_nft_io_seq(n->io));

		if (b && nat_nft_del_table(b, NFPROTO_INET, n->cfg.table) == 0 &&
		    nat_nft_io_send(n->io, b) == 0)
			log_info("nat: table inet %s removed", n->cfg.table);
		nat_nft_batch_free(b);
	}
	nat_model_free(n->model);
	nat_nft_io_close(n->io);
	nat_ct_close(n->ct);
	nat_flowmem_free(n->flows);
	nat_blocks_free(n->blocks);
	nat_rejmem_free(n->rej);
	nat_pool_free(n->pool);
	free(n);
}

struct nat_pool *
nat_get_pool(struct nat *n)
{
	return n->pool;
}

int
nat_request(struct nat *n, const struct nat_request *req, struct addr *out, enum nat_refusal *why)
{
	return nat_pool_request(n->pool, req, ev_now_ms(n->loop), out, why);
}

int
nat_request_id(struct nat *n, const struct nat_request *req, struct addr *out,
	       enum nat_refusal *why, uint64_t *id, bool *fresh)
{
	return nat_pool_request_id(n->pool, req, ev_now_ms(n->loop), out, why, id, fresh);
}

int
nat_nest_bind(struct nat *n, uint64_t id, const struct addr *target)
{
	return nat_pool_nest_bind(n->pool, id, target, ev_now_ms(n->loop));
}

int
nat_nest_withdraw(struct nat *n, uint64_t id, bool denied)
{
	return nat_pool_nest_withdraw(n->pool, id, denied, ev_now_ms(n->loop));
}

int
nat_release_unused(struct nat *n, const struct addr *resolver, const struct prefix *requestor,
		   int64_t service_id)
{
	uint64_t now = ev_now_ms(n->loop);
	struct nat_binding_info b;
	char pub[ADDR_STRLEN], res[ADDR_STRLEN];

	if (nat_pool_release_unused(n->pool, resolver, requestor, service_id, now, &b) != 1)
		return 0;
	log_debug("%s: binding %llu (%s, service %lld) released unused after %llu ms: resolver "
		  "%s asked a name below it (QNAME minimisation)",
		  __func__, (unsigned long long)b.id, addr_ntop(&b.public_addr, pub, sizeof(pub)),
		  (long long)b.service_id, (unsigned long long)(now - b.created_ms),
		  addr_ntop(resolver, res, sizeof(res)));
	return 1;
}

int
nat_note_step(struct nat *n, const struct addr *resolver, int64_t service_id)
{
	return nat_pool_note_step(n->pool, resolver, service_id, ev_now_ms(n->loop));
}

void
nat_set_hooks(struct nat *n, nat_admit_cb admit, nat_binding_cb binding, void *arg)
{
	nat_pool_set_hooks(n->pool, admit, binding, arg);
}

/* ---- flow defence ---- */

int
nat_flow_teardown(struct nat *n, const struct nat_ct_tuple *t, struct nat_teardown *out)
{
	struct nat_ct_entry found[4];
	struct nat_ct_tuple r;
	int k, i;

	memset(out, 0, sizeof(*out));
	if (n->ct == NULL)
		return -ENOTSUP;
	k = nat_ct_teardown(n->ct, t, found, ARRAY_SIZE(found));
	if (k < 0) {
		n->st.ct_errors++;
		return k;
	}
	n->st.ct_deleted += (uint64_t)k;
	out->deleted = k;
	if (k > 0) {
		out->known = true;
		out->entry = found[0];
	}
	for (i = 0; i < k && i < (int)ARRAY_SIZE(found) && !out->admitted; i++)
		out->admitted = nat_flowmem_find(n->flows, &found[i].orig, &out->origin);
	/* The entry may be gone already (a reset ended it): the tuple itself still tells which
	 * binding admitted the flow, when the alert saw the client's side. */
	if (!out->admitted)
		out->admitted = nat_flowmem_find(n->flows, t, &out->origin);
	if (!out->admitted) {
		nat_ct_tuple_reverse(t, &r);
		out->admitted = nat_flowmem_find(n->flows, &r, &out->origin);
	}
	if (!out->admitted)
		return k;
	/* Suricata alerts again on a flow it still tracks (its retransmissions, the end of the
	 * flow): the flow's entries (client side, LAN side) remember that it was torn down. */
	out->again = k == 0 && out->origin.torn_down;
	nat_ct_tuple_reverse(t, &r);
	(void)nat_flowmem_mark_torn(n->flows, t);
	(void)nat_flowmem_mark_torn(n->flows, &r);
	for (i = 0; i < k && i < (int)ARRAY_SIZE(found); i++) {
		nat_ct_tuple_reverse(&found[i].reply, &r);
		(void)nat_flowmem_mark_torn(n->flows, &found[i].orig);
		(void)nat_flowmem_mark_torn(n->flows, &r);
	}
	return k;
}

/* Add (or delete) the element of a in block4 / block6, in a batch of its own. */
static int
block_elem(struct nat *n, const struct addr *a, uint64_t ms, bool del)
{
	struct nat_nft_batch *b;
	struct nat_nft_elem e;
	const char *set = a->family == AF_INET ? "block4" : "block6";
	int rc;

	if (a->family == AF_INET)
		nat_nft_elem_ipv4(&e, a);
	else
		nat_nft_elem_ipv6(&e, a);
	e.timeout_ms = del ? 0 : ms;
	b = nat_nft_batch_new(nat_nft_io_seq(n->io));
	if (b == NULL)
		return -ENOMEM;
	rc = nat_nft_elems(b, del, NFPROTO_INET, n->cfg.table, set, &e, 1);
	if (rc == 0)
		rc = nat_nft_io_send(n->io, b);
	nat_nft_batch_free(b);
	return rc;
}

int
nat_block(struct nat *n, const struct addr *a, uint64_t ms, const char *reason)
{
	uint64_t now = ev_now_ms(n->loop);
	struct nat_block_info old;
	bool active;
	int rc;

	if (n->blocks == NULL || n->io == NULL)
		return -ENOTSUP;
	if (a->family != AF_INET && a->family != AF_INET6)
		return -EINVAL;
	active = nat_blocks_find(n->blocks, a, now, &old);
	if (active && old.expires_ms >= now + ms)
		return nat_blocks_add(n->blocks, a, now, ms, reason); /* nothing to extend */
	/* A live element keeps its timeout when added again: replace it. The kernel may have
	 * expired it a moment before us, so a refused delete is retried as a plain add. */
	if (active && block_elem(n, a, 0, true) < 0)
		log_debug("%s: element already gone", __func__);
	rc = block_elem(n, a, ms, false);
	if (rc < 0) {
		n->st.block_errors++;
		return rc;
	}
	rc = nat_blocks_add(n->blocks, a, now, ms, reason);
	if (rc == 1)
		n->st.blocks_added++;
	return rc;
}

int
nat_unblock(struct nat *n, const struct addr *a)
{
	int rc;

	if (n->blocks == NULL || n->io == NULL)
		return -ENOTSUP;
	rc = nat_blocks_del(n->blocks, a, ev_now_ms(n->loop));
	if (rc < 0)
		return rc;
	n->st.blocks_removed++;
	rc = block_elem(n, a, 0, true);
	return rc == -ENOENT ? 0 : rc;
}

void
nat_blocks_walk(struct nat *n, nat_block_cb cb, void *arg)
{
	if (n->blocks != NULL)
		nat_blocks_foreach(n->blocks, ev_now_ms(n->loop), cb, arg);
}

bool
nat_is_blocked(struct nat *n, const struct addr *a)
{
	struct nat_block_info bi;

	return n->blocks != NULL && nat_blocks_find(n->blocks, a, ev_now_ms(n->loop), &bi);
}

bool
nat_defence_enabled(const struct nat *n)
{
	return n->blocks != NULL;
}

int
nat_check_drops(struct nat *n)
{
	return n->queue ? nat_queue_check_drops(n->queue) : 0;
}

void
nat_get_stats(const struct nat *n, struct nat_stats *out)
{
	*out = n->st;
	if (n->blocks != NULL)
		out->blocks_active = nat_blocks_count(n->blocks, ev_now_ms(n->loop));
	if (n->flows != NULL)
		out->flows_remembered = nat_flowmem_count(n->flows);
	nat_pool_get_stats(n->pool, &out->pool);
	nat_rejmem_get_stats(n->rej, &out->rejmem);
	if (n->queue)
		nat_queue_get_stats(n->queue, &out->queue);
}

int
nat_rejected_sources(const struct nat *n, struct nat_rej_source *out, size_t max, size_t *total)
{
	return nat_rejmem_sources(n->rej, ev_now_ms(n->loop), out, max, total);
}

void
nat_rej_source_addr(const struct nat_rej_source *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = s->family;
	memcpy(a->u.bytes, s->src, s->family == AF_INET ? 4 : 16);
}

void
nat_rejected_metrics(const struct nat *n, struct buf *out, size_t top)
{
	struct nat_rej_source src[32];
	char ip[ADDR_STRLEN];
	size_t total = 0;
	struct addr a;
	int k, j;

	k = nat_rejected_sources(n, src, top < 32 ? top : 32, &total);
	buf_printf(out,
		   "# HELP rgw_rejected_sources Sources with rejected packets remembered.\n"
		   "# TYPE rgw_rejected_sources gauge\nrgw_rejected_sources %zu\n"
		   "# HELP rgw_rejected_source_packets Rejected packets remembered, for the "
		   "busiest sources.\n# TYPE rgw_rejected_source_packets gauge\n",
		   total);
	for (j = 0; j < k; j++) {
		nat_rej_source_addr(&src[j], &a);
		addr_ntop(&a, ip, sizeof(ip));
		buf_printf(out, "rgw_rejected_source_packets{source=\"%s\"} %llu\n", ip,
			   (unsigned long long)src[j].packets);
	}
}
