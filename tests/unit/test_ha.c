/* SPDX-License-Identifier: MIT */
/* tests/unit/test_ha.c -- the HA policy channel: two nodes (stores, committers, ha) in one
 * event loop over loopback TCP: the standby takes the whole policy at connect, follows each
 * commit with the digest chain, asks for the whole policy when a change does not follow its
 * own, refuses local writes naming the active; a peer without the secret is refused.
 * With TLS (certificates made here with GnuTLS): the pair follows; a standby whose
 * certificate another CA signed, or that has expired, or is not the pinned one, or that
 * speaks plain, is refused and counted on both sides, and retries with a backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "common/log.h"
#include "common/util.h"
#include "ha.h"
#include "policy/bundle.h"
#include "policy_fixture.h"

struct node {
	struct conf conf;
	struct policy_parts p;
	struct ha *ha;
};

struct fx {
	char *dir;
	struct ev_loop *loop;
	bool tls; /* the pair runs TLS: certificates from tls_files() in dir */
	struct node a, b;
};

/* A free port below the ephemeral range (as tests/system/free_ports.py): a released
 * ephemeral port may be taken by any outgoing connection on the machine before we bind it. */
static uint16_t
free_port(void)
{
	for (int i = 0; i < 2000; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(0x7f000001) };
		uint32_t r;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		assert_true(fd >= 0);
		assert_int_equal(util_random(&r, sizeof(r)), 0);
		sa.sin_port = htons((uint16_t)(10000 + r % 20000));
		ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return ntohs(sa.sin_port);
	}
	fail_msg("no free port");
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
node_init(struct fx *f, struct node *n, const char *name, bool active, uint16_t me, uint16_t peer,
	  const char *secret, const char *bundle)
{
	struct pol_err e = { 0 };
	char path[512];

	conf_defaults(&n->conf);
	n->conf.ha_enable = true;
	n->conf.ha_role = active ? CONF_HA_ACTIVE : CONF_HA_STANDBY;
	n->conf.ha_retry_ms = 200;
	n->conf.ha_listen.n = n->conf.ha_peer.n = 1;
	snprintf(path, sizeof(path), "127.0.0.1:%u", me);
	assert_int_equal(addr_port_parse(path, 0, &n->conf.ha_listen.v[0]), 0);
	snprintf(path, sizeof(path), "127.0.0.1:%u", peer);
	assert_int_equal(addr_port_parse(path, 0, &n->conf.ha_peer.v[0]), 0);
	snprintf(n->conf.ha_secret_file, sizeof(n->conf.ha_secret_file), "%s/%s.secret", f->dir,
		 name);
	write_file(n->conf.ha_secret_file, secret);
	if (f->tls) {
		/* each node presents its own certificate ("a" or "b"); the CA signed both */
		snprintf(n->conf.api_tls_cert, CONF_STR_MAX, "%s/%s.crt", f->dir, name);
		snprintf(n->conf.api_tls_key, CONF_STR_MAX, "%s/%s.key", f->dir, name);
		snprintf(n->conf.ha_peer_ca, CONF_STR_MAX, "%s/ca.crt", f->dir);
		assert_true(conf_ha_tls_on(&n->conf));
	}
	snprintf(path, sizeof(path), "%s/%s.db", f->dir, name);
	n->p.store = pol_store_open(path, &e);
	assert_non_null(n->p.store);
	if (bundle != NULL) {
		struct pol_snap *s = NULL;

		assert_int_equal(pol_bundle_parse(bundle, strlen(bundle), &s, &e), 0);
		assert_int_equal(pol_store_replace(n->p.store, s, &e), 0);
		pol_snap_unref(s);
	}
	n->ha = ha_new(f->loop, &n->conf, &n->p);
	assert_non_null(n->ha);
	assert_int_equal(policy_reload(&n->p, &(struct pol_change){ .actor = "unit" }, &e), 0);
}

static void
node_free(struct node *n)
{
	ha_free(n->ha);
	pol_snap_unref(n->p.snap);
	pol_store_close(n->p.store);
}

/* ---- certificates for the TLS tests, made with GnuTLS ---- */

struct pki {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

/* A P-256 certificate for cn, valid from..to, signed by ca (NULL: a self-signed CA). */
static void
pki_make(struct pki *p, const char *cn, const struct pki *ca, time_t from, time_t to)
{
	uint8_t serial[8];

	assert_int_equal(gnutls_x509_privkey_init(&p->key), 0);
	assert_int_equal(
		gnutls_x509_privkey_generate(p->key, GNUTLS_PK_ECDSA,
					     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
		0);
	assert_int_equal(gnutls_x509_crt_init(&p->crt), 0);
	assert_int_equal(util_random(serial, sizeof(serial)), 0);
	serial[0] &= 0x7f;
	assert_int_equal(gnutls_x509_crt_set_version(p->crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(p->crt, serial, sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(p->crt, from), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(p->crt, to), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(p->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						       (unsigned)strlen(cn)),
			 0);
	assert_int_equal(gnutls_x509_crt_set_key(p->crt, p->key), 0);
	assert_int_equal(gnutls_x509_crt_set_basic_constraints(p->crt, ca == NULL, -1), 0);
	assert_int_equal(
		gnutls_x509_crt_set_key_usage(p->crt, ca == NULL ? GNUTLS_KEY_KEY_CERT_SIGN
								 : GNUTLS_KEY_DIGITAL_SIGNATURE),
		0);
	assert_int_equal(gnutls_x509_crt_sign2(p->crt, ca ? ca->crt : p->crt, ca ? ca->key : p->key,
					       GNUTLS_DIG_SHA256, 0),
			 0);
}

/* dir/stem.ext from d (taken). */
static void
pem_write(const char *dir, const char *stem, const char *ext, gnutls_datum_t *d)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, stem, ext);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(d->data, 1, d->size, f), d->size);
	fclose(f);
	gnutls_free(d->data);
}

/* dir/stem.crt and dir/stem.key (PEM), and free p. */
static void
pki_write(struct pki *p, const char *dir, const char *stem)
{
	gnutls_datum_t d = { NULL, 0 };

	assert_int_equal(gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_PEM, &d), 0);
	pem_write(dir, stem, "crt", &d);
	assert_int_equal(gnutls_x509_privkey_export2(p->key, GNUTLS_X509_FMT_PEM, &d), 0);
	pem_write(dir, stem, "key", &d);
	gnutls_x509_crt_deinit(p->crt);
	gnutls_x509_privkey_deinit(p->key);
}

/* The SHA-256 fingerprint of dir/stem.crt as [ha] peer_fingerprint takes it. */
static void
fingerprint(const char *dir, const char *stem, char out[CONF_STR_MAX])
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = { NULL, 0 };
	uint8_t fp[32];
	size_t sz = sizeof(fp);
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.crt", dir, stem);
	assert_int_equal(gnutls_load_file(path, &pem), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &sz), 0);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 3 * i, 4, "%02X%s", fp[i], i < 31 ? ":" : "");
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
}

/* ca, a and b (signed by ca), expired (signed by ca, valid last year), other (signed by
 * another CA). */
static void
tls_files(const char *dir)
{
	time_t now = time(NULL);
	struct pki ca, other_ca, p;

	pki_make(&ca, "rgw pair CA", NULL, now - 86400, now + 86400 * 365);
	pki_make(&other_ca, "another CA", NULL, now - 86400, now + 86400 * 365);
	pki_make(&p, "gwa.example", &ca, now - 3600, now + 86400);
	pki_write(&p, dir, "a");
	pki_make(&p, "gwb.example", &ca, now - 3600, now + 86400);
	pki_write(&p, dir, "b");
	pki_make(&p, "gwb.example", &ca, now - 86400 * 400, now - 86400 * 35);
	pki_write(&p, dir, "expired");
	pki_make(&p, "gwb.example", &other_ca, now - 3600, now + 86400);
	pki_write(&p, dir, "other");
	pki_write(&ca, dir, "ca");
	pki_write(&other_ca, dir, "other-ca");
}

static int
setup_with(void **state, bool tls)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *bundle = fx_example();
	uint16_t pa = free_port(), pb = free_port();

	assert_non_null(f);
	assert_non_null(bundle);
	log_set_level(LOG_LVL_ERR);
	f->dir = fx_tmpdir();
	f->loop = ev_loop_new();
	f->tls = tls;
	if (tls)
		tls_files(f->dir);
	node_init(f, &f->a, "a", true, pa, pb, "0123456789abcdef-pair-secret\n", bundle);
	node_init(f, &f->b, "b", false, pb, pa, "0123456789abcdef-pair-secret\n", NULL);
	free(bundle);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, false);
}

static int
setup_tls(void **state)
{
	return setup_with(state, true);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	node_free(&f->a);
	node_free(&f->b);
	ev_loop_free(f->loop);
	fx_rmdir(f->dir);
	free(f);
	return 0;
}

static json_t *
st(const struct node *n)
{
	json_t *o = ha_status_json(n->ha);

	assert_non_null(o);
	return o;
}

static const char *
digest_of(const struct node *n, char out[HA_DIGEST_LEN])
{
	json_t *o = st(n);

	util_strlcpy(out, json_string_value(json_object_get(o, "digest")), HA_DIGEST_LEN);
	json_decref(o);
	return out;
}

static json_int_t
counter(const struct node *n, const char *name)
{
	json_t *o = st(n);
	json_int_t v = json_integer_value(json_object_get(json_object_get(o, "counters"), name));

	json_decref(o);
	return v;
}

static bool
in_sync(const struct fx *f)
{
	char da[HA_DIGEST_LEN], db[HA_DIGEST_LEN];

	return strcmp(digest_of(&f->a, da), digest_of(&f->b, db)) == 0;
}

/* Run the loop until cond holds or 5 s pass. */
static bool
run_until(struct fx *f, bool (*cond)(const struct fx *f))
{
	uint64_t end = util_mono_ms() + 5000;

	while (!cond(f)) {
		if (util_mono_ms() > end)
			return false;
		ev_run_once(f->loop, 20);
	}
	return true;
}

/* Write one host through the node's writer path (what the API does), committed by ha. */
static int
add_host(struct node *n, const char *fqdn, const char *ip, struct pol_err *e)
{
	struct pol_host h = { .pool_limit = 100 };

	struct pol_store *st = policy_store(&n->p); /* the commit thread's own on that thread */

	util_strlcpy(h.fqdn, fqdn, sizeof(h.fqdn));
	assert_int_equal(addr_parse(ip, &h.ipv4), 0);
	assert_int_equal(pol_store_begin(st), 0);
	if (pol_row_insert(st, &pol_t_host, &h, e) < 0) {
		(void)pol_store_rollback(st);
		return -EINVAL;
	}
	return ha_commit(n->ha,
			 &(struct pol_change){ .actor = "unit",
					       .action = "POST",
					       .resource = "/api/v1/hosts",
					       .detail = fqdn },
			 NULL, e);
}

static bool
has_host(const struct node *n, const char *fqdn)
{
	for (size_t i = 0; n->p.snap != NULL && i < n->p.snap->n_hosts; i++) {
		if (strcmp(n->p.snap->hosts[i].fqdn, fqdn) == 0)
			return true;
	}
	return false;
}

static bool
b_has_new(const struct fx *f)
{
	return has_host(&f->b, "new.gwa.demo");
}

/* The empty standby takes the whole policy at connect; then each commit, in order. */
static void
test_follow(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };
	struct pol_audit *rows = NULL;
	size_t n = 0;
	char d[HA_DIGEST_LEN];

	assert_true(run_until(f, in_sync));
	assert_int_equal(counter(&f->b, "full_syncs"), 1);
	assert_int_equal(f->b.p.snap->n_hosts, f->a.p.snap->n_hosts);
	/* same policy, same digest, and here the same rows: the same ETag too */
	assert_string_equal(f->a.p.snap->etag, f->b.p.snap->etag);
	assert_int_equal(add_host(&f->a, "new.gwa.demo", "192.168.77.1", &e), 0);
	assert_true(run_until(f, b_has_new));
	assert_true(run_until(f, in_sync));
	assert_int_equal(counter(&f->a, "commits_sent"), 1);
	assert_int_equal(counter(&f->b, "commits_applied"), 2);
	/* the standby's audit line says where the change came from */
	assert_int_equal(pol_audit_list(f->b.p.store, NULL, 0, 1, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].actor, "ha:unit");
	assert_string_equal(rows[0].action, "POST");
	assert_non_null(strstr(rows[0].detail, "from the active 127.0.0.1:"));
	assert_non_null(strstr(rows[0].detail, f->a.p.snap->etag));
	pol_audit_free(rows, n);
	(void)digest_of(&f->b, d);
	assert_int_equal(ha_digest(f->b.p.snap, d), 0);
	assert_string_equal(d, digest_of(&f->a, (char[HA_DIGEST_LEN]){ 0 }));
}

/* A write on the standby is refused naming the active, and changes nothing. */
static void
test_standby_refuses(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };
	size_t hosts;

	assert_true(run_until(f, in_sync));
	hosts = f->b.p.snap->n_hosts;
	assert_int_equal(add_host(&f->b, "local.gwa.demo", "192.168.77.2", &e), -EROFS);
	assert_non_null(strstr(e.msg, "standby"));
	assert_non_null(strstr(e.msg, "127.0.0.1:"));
	assert_non_null(ha_refusal(f->b.ha));
	assert_null(ha_refusal(f->a.ha));
	assert_int_equal(f->b.p.snap->n_hosts, hosts);
	assert_false(has_host(&f->b, "local.gwa.demo"));
}

/* The standby's store changed under it: the next change does not follow its digest, so it
 * asks for the whole policy and ends with the active's. */
static void
test_chain_broken_resync(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };
	struct pol_host h = { .pool_limit = 100 };

	assert_true(run_until(f, in_sync));
	util_strlcpy(h.fqdn, "stray.gwa.demo", sizeof(h.fqdn));
	assert_int_equal(addr_parse("192.168.77.3", &h.ipv4), 0);
	assert_int_equal(pol_store_begin(f->b.p.store), 0);
	assert_int_equal(pol_row_insert(f->b.p.store, &pol_t_host, &h, &e), 0);
	assert_int_equal(
		policy_commit(&f->b.p, &(struct pol_change){ .actor = "import" }, NULL, &e), 0);
	assert_false(in_sync(f));
	assert_int_equal(add_host(&f->a, "new.gwa.demo", "192.168.77.1", &e), 0);
	assert_true(run_until(f, in_sync));
	assert_int_equal(counter(&f->b, "resyncs"), 1);
	assert_true(has_host(&f->b, "new.gwa.demo"));
	assert_false(has_host(&f->b, "stray.gwa.demo"));
}

static bool
auth_failed(const struct fx *f)
{
	return counter(&f->a, "auth_failures") > 0;
}

/* A standby with another secret is refused and follows nothing. */
static void
test_wrong_secret(void **state)
{
	struct fx *f = *state;
	struct node c = { 0 };
	char dc[HA_DIGEST_LEN], da[HA_DIGEST_LEN];

	/* c follows a with another secret; b is stopped so that only c knocks */
	ha_free(f->b.ha);
	f->b.ha = NULL;
	node_init(f, &c, "c", false, free_port(), addr_port_port(&f->a.conf.ha_listen.v[0]),
		  "another-secret-of-16-bytes", NULL);
	assert_true(run_until(f, auth_failed));
	assert_string_not_equal(digest_of(&c, dc), digest_of(&f->a, da));
	assert_int_equal(c.p.snap->n_hosts, 0);
	node_free(&c);
	f->b.ha = ha_new(f->loop, &f->b.conf, &f->b.p);
	assert_non_null(f->b.ha);
}

/* A REST write on the active's commit thread (what the API hands over). */
struct held_write {
	struct fx *f;
	int rc;
	bool done;
};
static struct held_write held;

static void
held_work(void *arg, struct pol_store *st)
{
	struct held_write *w = arg;
	struct pol_err e = { 0 };

	(void)st;
	w->rc = add_host(&w->f->a, "held.gwa.demo", "192.168.77.6", &e);
}

static void
held_done(void *arg)
{
	((struct held_write *)arg)->done = true;
}

static bool
held_finished(const struct fx *f)
{
	(void)f;
	return held.done;
}

static bool
b_has_held(const struct fx *f)
{
	return has_host(&f->b, "held.gwa.demo");
}

/* The role is handed over with a write on the commit thread: it cannot change until the
 * write is done (the thread reads it without a lock), then it can. */
static void
test_role_held_by_write(void **state)
{
	struct fx *f = *state;
	char db[512];

	assert_true(run_until(f, in_sync));
	snprintf(db, sizeof(db), "%s/a.db", f->dir);
	assert_int_equal(policy_thread_start(&f->a.p, f->loop, db), 0);
	held = (struct held_write){ .f = f };
	assert_int_equal(policy_thread_run(&f->a.p, held_work, held_done, &held), 0);
	/* its steps run on this thread: it cannot be over before the loop runs */
	assert_int_equal(ha_set_role(f->a.ha, "standby"), -EBUSY);
	assert_true(ha_is_active(f->a.ha));
	assert_true(run_until(f, held_finished));
	assert_int_equal(held.rc, 0);
	assert_true(run_until(f, b_has_held));
	assert_int_equal(ha_set_role(f->a.ha, "standby"), 0);
	assert_false(ha_is_active(f->a.ha));
	policy_thread_stop(&f->a.p);
}

/* Roles switch: the old active follows the new one. */
static void
test_role_switch(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };

	assert_true(run_until(f, in_sync));
	assert_int_equal(ha_set_role(f->a.ha, "leader"), -EINVAL);
	assert_int_equal(ha_set_role(f->b.ha, "active"), 0);
	assert_int_equal(ha_set_role(f->a.ha, "standby"), 0);
	assert_int_equal(add_host(&f->b, "back.gwa.demo", "192.168.77.4", &e), 0);
	assert_int_equal(add_host(&f->a, "no.gwa.demo", "192.168.77.5", &e), -EROFS);
	assert_true(run_until(f, in_sync));
	assert_true(has_host(&f->a, "back.gwa.demo"));
}

static bool
b_took_reputation(const struct fx *f)
{
	return counter(&f->b, "reputation_applied") > 0;
}

/* Reputation is soft state: after a save on the active, the standby holds the same rows. */
static void
test_reputation_follows(void **state)
{
	struct fx *f = *state;
	struct pol_reputation r = { .kind = POL_REP_HOST,
				    .periods = 3,
				    .prev_initial = 0.5,
				    .prev_ok = 7,
				    .prev_nok = 2,
				    .prev_neutral = 5,
				    .cur_initial = 0.4,
				    .cur_ok = 1,
				    .cur_nok = 9,
				    .cur_neutral = 5,
				    .has_override = true,
				    .override_value = 0.25,
				    .updated_ms = 1234567 };
	struct pol_reputation *rows = NULL;
	size_t n = 0;

	util_strlcpy(r.key, "test.gwa.demo", sizeof(r.key));
	assert_true(run_until(f, in_sync));
	assert_int_equal(pol_reputation_save(f->a.p.store, &r), 0);
	ha_reputation_saved(f->b.ha); /* a standby sends nothing */
	ha_reputation_saved(f->a.ha);
	assert_true(run_until(f, b_took_reputation));
	assert_int_equal(counter(&f->b, "reputation_sent"), 0);
	assert_int_equal(pol_reputation_list(f->b.p.store, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].key, "test.gwa.demo");
	assert_int_equal(rows[0].kind, POL_REP_HOST);
	assert_int_equal(rows[0].periods, 3);
	assert_int_equal(rows[0].prev_nok, 2);
	assert_int_equal(rows[0].cur_nok, 9);
	assert_true(rows[0].has_override);
	assert_true(rows[0].override_value > 0.24 && rows[0].override_value < 0.26);
	free(rows);
}

static bool
a_refused_empty(const struct fx *f)
{
	return counter(&f->a, "empty_refused") > 0;
}

/* A node with an empty store that is active for a moment (it won VRRP while its peer was
 * starting) does not wipe the policy of the node that follows it. */
static void
test_empty_active_does_not_wipe(void **state)
{
	struct fx *f = *state;
	size_t hosts = f->a.p.snap->n_hosts;

	assert_true(hosts > 0);
	assert_int_equal(ha_set_role(f->a.ha, "standby"), 0);
	assert_int_equal(ha_set_role(f->b.ha, "active"), 0);
	assert_true(run_until(f, a_refused_empty));
	assert_int_equal(f->a.p.snap->n_hosts, hosts);
	/* and once the node with the policy is the active again, the other one follows it */
	assert_int_equal(ha_set_role(f->b.ha, "standby"), 0);
	assert_int_equal(ha_set_role(f->a.ha, "active"), 0);
	assert_true(run_until(f, in_sync));
	assert_int_equal(f->b.p.snap->n_hosts, hosts);
}

static const char *
text_of(const struct node *n, const char *key, char *out, size_t len)
{
	json_t *o = st(n);

	util_strlcpy(out, json_string_value(json_object_get(o, key)), len);
	json_decref(o);
	return out;
}

/* Over TLS, the standby takes the whole policy and then each commit, as over a plain one. */
static void
test_tls_follow(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };
	char t[256];

	assert_true(run_until(f, in_sync));
	assert_string_equal(text_of(&f->a, "tls", t, sizeof(t)), "on");
	assert_string_equal(text_of(&f->b, "tls", t, sizeof(t)), "on");
	assert_int_equal(add_host(&f->a, "new.gwa.demo", "192.168.77.1", &e), 0);
	assert_true(run_until(f, b_has_new));
	assert_true(run_until(f, in_sync));
	assert_int_equal(counter(&f->a, "tls_failures"), 0);
	assert_int_equal(counter(&f->b, "tls_failures"), 0);
	assert_int_equal(counter(&f->a, "auth_failures"), 0);
	/* an idle channel waits: in 500 ms the loop wakes for the keepalives (one per 66 ms
	 * each way) and little else, never for a socket it has nothing to write to */
	uint64_t end = util_mono_ms() + 500;
	int wakes = 0;

	while (util_mono_ms() < end) {
		int n = ev_run_once(f->loop, 20);

		wakes += n > 0 ? n : 0;
	}
	if (wakes > 100)
		fail_msg("the idle TLS channel woke the loop %d times in 500 ms", wakes);
}

static json_int_t a_failures0, b_failures0;

static bool
a_refused(const struct fx *f)
{
	return counter(&f->a, "tls_failures") > a_failures0;
}

static bool
both_refused(const struct fx *f)
{
	return a_refused(f) && counter(&f->b, "tls_failures") > b_failures0;
}

/* Restart b with its configuration changed by the caller; wait until cond holds; b took no
 * policy, and each side's last failure says why (a_why, b_why: NULL not checked). */
static void
restart_b_refused(struct fx *f, bool (*cond)(const struct fx *f), const char *a_why,
		  const char *b_why)
{
	char t[256];

	ha_free(f->b.ha);
	a_failures0 = counter(&f->a, "tls_failures");
	f->b.ha = ha_new(f->loop, &f->b.conf, &f->b.p);
	assert_non_null(f->b.ha);
	b_failures0 = counter(&f->b, "tls_failures");
	assert_true(run_until(f, cond));
	assert_int_equal(f->b.p.snap->n_hosts, 0);
	assert_int_equal(counter(&f->b, "full_syncs"), 0);
	if (a_why != NULL &&
	    strstr(text_of(&f->a, "tls_last_failure", t, sizeof(t)), a_why) == NULL)
		fail_msg("the active's last failure '%s' does not say '%s'", t, a_why);
	if (b_why != NULL &&
	    strstr(text_of(&f->b, "tls_last_failure", t, sizeof(t)), b_why) == NULL)
		fail_msg("the standby's last failure '%s' does not say '%s'", t, b_why);
}

/* A standby whose certificate another CA signed, or has expired, is refused by the active
 * during the handshake; one that pins another certificate refuses the active; one that
 * speaks plain is refused. Each refusal is counted, and says why. */
static void
test_tls_refused(void **state)
{
	struct fx *f = *state;
	char fp[CONF_STR_MAX];

	/* b is stopped before it ever connects: it starts again with each configuration */
	snprintf(f->b.conf.api_tls_cert, CONF_STR_MAX, "%s/other.crt", f->dir);
	snprintf(f->b.conf.api_tls_key, CONF_STR_MAX, "%s/other.key", f->dir);
	restart_b_refused(f, both_refused, "refused by ha.peer_ca", "the peer refused");
	snprintf(f->b.conf.api_tls_cert, CONF_STR_MAX, "%s/expired.crt", f->dir);
	snprintf(f->b.conf.api_tls_key, CONF_STR_MAX, "%s/expired.key", f->dir);
	restart_b_refused(f, both_refused, "expired", "the peer refused");
	/* b pins a certificate that is not the active's (its own) */
	snprintf(f->b.conf.api_tls_cert, CONF_STR_MAX, "%s/b.crt", f->dir);
	snprintf(f->b.conf.api_tls_key, CONF_STR_MAX, "%s/b.key", f->dir);
	f->b.conf.ha_peer_ca[0] = '\0';
	fingerprint(f->dir, "b", fp);
	f->b.conf.ha_peer_fingerprint.n = 1;
	util_strlcpy(f->b.conf.ha_peer_fingerprint.v[0], fp, CONF_STR_MAX);
	restart_b_refused(f, both_refused, "the peer refused", "is not in ha.peer_fingerprint");
	/* a plain standby */
	f->b.conf.ha_tls = CONF_HA_TLS_OFF;
	f->b.conf.ha_peer_fingerprint.n = 0;
	restart_b_refused(f, both_refused, "TLS:", "the peer speaks TLS");
	/* and with the active's certificate pinned, b follows */
	f->b.conf.ha_tls = CONF_HA_TLS_AUTO;
	fingerprint(f->dir, "a", fp);
	f->b.conf.ha_peer_fingerprint.n = 1;
	util_strlcpy(f->b.conf.ha_peer_fingerprint.v[0], fp, CONF_STR_MAX);
	ha_free(f->b.ha);
	f->b.ha = ha_new(f->loop, &f->b.conf, &f->b.p);
	assert_non_null(f->b.ha);
	assert_true(run_until(f, in_sync));
	assert_int_equal(counter(&f->b, "tls_failures"), 0);
}

/* A TLS standby meeting a plain active: both see the mismatch and say so. */
static void
test_tls_plain_active(void **state)
{
	struct fx *f = *state;

	ha_free(f->a.ha);
	f->a.conf.ha_tls = CONF_HA_TLS_OFF;
	f->a.ha = ha_new(f->loop, &f->a.conf, &f->a.p);
	assert_non_null(f->a.ha);
	restart_b_refused(f, both_refused, "the peer speaks TLS but this node's channel is plain",
			  "is the peer's channel plain?");
}

static uint64_t backoff_end;

static bool
time_passed(const struct fx *f)
{
	(void)f;
	return util_mono_ms() >= backoff_end;
}

/* A refused standby waits twice as long after each failure in a row: in 1.6 s with a retry
 * of 200 ms it tries at most 5 times (0, 0.2, 0.6, 1.4 s; every 200 ms it would be 9), and a
 * loaded machine only makes it fewer. */
static void
test_tls_backoff(void **state)
{
	struct fx *f = *state;
	json_int_t c0;

	snprintf(f->b.conf.api_tls_cert, CONF_STR_MAX, "%s/other.crt", f->dir);
	snprintf(f->b.conf.api_tls_key, CONF_STR_MAX, "%s/other.key", f->dir);
	restart_b_refused(f, both_refused, NULL, NULL);
	c0 = counter(&f->b, "connects");
	backoff_end = util_mono_ms() + 1600;
	while (!time_passed(f))
		ev_run_once(f->loop, 20);
	assert_true(counter(&f->b, "connects") - c0 <= 4);
	assert_true(counter(&f->b, "tls_failures") >= 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standby_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_broken_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_held_by_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_active_does_not_wipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reputation_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_follow, setup_tls, teardown),
		cmocka_unit_test_setup_teardown(test_tls_refused, setup_tls, teardown),
		cmocka_unit_test_setup_teardown(test_tls_plain_active, setup_tls, teardown),
		cmocka_unit_test_setup_teardown(test_tls_backoff, setup_tls, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
