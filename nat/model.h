/* SPDX-License-Identifier: MIT */
/* nat/model.h -- desired content of rgwd's nft table, and the diff that moves the kernel to it */
#ifndef RGW_NAT_MODEL_H
#define RGW_NAT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft_msg.h"

struct nftnl_rule;

/*
 * A model is what the table must contain: sets with their elements, conntrack helper
 * objects, chains with their rules (each rule also kept as bytes for comparison). The
 * projection of the policy is built as a model (rules.c); nat_model_diff() then emits the
 * commands that turn the previous model into the new one inside one batch, so that only
 * what changed is touched and conntrack state (established flows) is never disturbed.
 * Pure. Main thread.
 */
struct nat_model;

struct nat_model *nat_model_new(int family, const char *table);
void nat_model_free(struct nat_model *m);

/* Add a set/map (elements added with nat_model_elem). 0, -EEXIST or -ENOMEM. */
int nat_model_set(struct nat_model *m, const struct nat_nft_set_spec *spec);
int nat_model_elem(struct nat_model *m, const char *set, const struct nat_nft_elem *e);
/* Add a chain (base when type != NULL). */
int nat_model_chain(struct nat_model *m, const char *name, const char *type, int hook, int prio,
		    int policy);
/* Append r to chain (the model takes ownership, also on error). */
int nat_model_rule(struct nat_model *m, const char *chain, struct nftnl_rule *r, const char *desc);
int nat_model_ct_helper(struct nat_model *m, const char *name, const char *helper, uint8_t l4proto);

/*
 * Append to b the commands that turn old into new (same family and table). old == NULL:
 * the table is (re)created from scratch: add, delete and add again, so that a table left by
 * an earlier run (crash, SIGKILL) is replaced in the same transaction.
 * 0 or -ENOMEM.
 */
int nat_model_diff(const struct nat_model *old, const struct nat_model *new,
		   struct nat_nft_batch *b);

size_t nat_model_nrules(const struct nat_model *m);
size_t nat_model_nchains(const struct nat_model *m);
size_t nat_model_nelems(const struct nat_model *m, const char *set);

#endif
