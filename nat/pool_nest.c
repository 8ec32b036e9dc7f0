/* SPDX-License-Identifier: MIT */
/* nat/pool_nest.c -- bindings to nested gateways: reservation bound to an answer, or withdrawn */
#include <errno.h>

#include "pool_int.h"

/*
 * A name below a nested gateway costs this gateway one of its own addresses, bound to the
 * address the nested gateway answered (its pool address, or its service address). The DNS
 * reserves the address first (nat_pool_request_id with req->nested: admission, per-host limit,
 * exhaustion are decided here, before the nested gateway is asked, so that a refusal here never
 * wastes the nested gateway's binding), then asks the nested gateway, then binds or withdraws.
 * A reservation admits no flow: its private address is unset until bound.
 */

struct binding *
nat_pool_by_id(const struct nat_pool *p, uint64_t id)
{
	for (struct list *e = p->ids.prev; e != &p->ids; e = e->prev) {
		struct binding *b = list_item(e, struct binding, inode);

		if (b->info.id == id)
			return b;
	}
	return NULL;
}

bool
nat_pool_nested_has(const struct phost *h, const struct addr *a)
{
	for (unsigned i = 0; i < h->n_nested; i++)
		if (prefix_contains(&h->nested[i], a))
			return true;
	return false;
}

int
nat_pool_nest_bind(struct nat_pool *p, uint64_t id, const struct addr *target, uint64_t now_ms)
{
	struct binding *b = nat_pool_by_id(p, id);
	const struct phost *h;
	uint64_t until;

	if (b == NULL || b->info.expires_ms <= now_ms)
		return -ENOENT;
	h = nat_pool_host_find(p, b->info.host_id);
	if (!b->info.nested || h == NULL || target->family != AF_INET ||
	    !nat_pool_nested_has(h, target))
		return -EINVAL;
	if (b->info.private_addr.family == 0)
		p->st.nested++;
	/* a coalesced answer may move the binding to the nested gateway's newer answer: the
	 * flows it admitted live on in conntrack, later ones go where the answer says */
	b->info.private_addr = *target;
	/* the connect grace runs from the answer the client gets, not from the reservation */
	until = now_ms + b->info.window_ms +
		(h->nested_timeout_ms ? h->nested_timeout_ms : POL_BINDING_TIMEOUT_MS);
	if (until > b->info.expires_ms)
		nat_pool_set_deadline(p, b, until);
	return 0;
}

int
nat_pool_nest_withdraw(struct nat_pool *p, uint64_t id, bool denied, uint64_t now_ms)
{
	struct binding *b = nat_pool_by_id(p, id);

	if (b == NULL || !b->info.nested)
		return -ENOENT;
	if (b->info.flows > 0)
		return -EBUSY;
	nat_pool_binding_end(p, b, denied ? NAT_BINDING_DENIED : NAT_BINDING_WITHDRAWN, now_ms);
	return 0;
}
