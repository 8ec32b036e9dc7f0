/* SPDX-License-Identifier: MIT */
/* tests/unit/test_commit.c -- policy_commit: all or nothing, whatever step fails */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alg/alg.h"
#include "commit.h"
#include "common/conf.h"
#include "common/ev.h"
#include "common/log.h"
#include "dns/server.h"
#include "nat/nat.h"
#include "nat/reputation.h"
#include "policy/bundle.h"
#include "policy/session.h"

/*
 * Fault injection, linked only into this test (Makefile: --wrap): the k-th allocation made
 * by rgwd's own code on the test thread fails, or the next COMMIT of the store.
 */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
int __real_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s);

static __thread bool armed; /* only the test thread's allocations count */
static long countdown = -1; /* the allocation that fails: 0 = the next one */
static bool fail_commit;

static bool
inject(void)
{
	if (!armed || countdown < 0)
		return false;
	return countdown-- == 0;
}

void *
__wrap_malloc(size_t n)
{
	return inject() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return inject() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return inject() ? NULL : __real_realloc(p, n);
}

int
__wrap_sqlite3_step(sqlite3_stmt *s)
{
	if (fail_commit && strcmp(sqlite3_sql(s), "COMMIT") == 0) {
		fail_commit = false;
		return SQLITE_IOERR;
	}
	return __real_sqlite3_step(s);
}

/* The policy in force at the start, and the change every test tries to put in force: a new
 * host with a proxied name, an ALG route, a service address (so a new ALG listener), a pool
 * address and a resolver group. */
#define BUNDLE_HEAD                                                                                \
	"{\"version\":1,\"zones\":[{\"name\":\"gwa.demo\",\"kind\":\"forward\","                   \
	"\"nameservers\":[{\"name\":\"ns1.gwa.demo\",\"ipv4\":\"100.64.1.1\"}]}],"
#define OLD_HOST                                                                                   \
	"{\"fqdn\":\"old.gwa.demo\",\"ipv4\":\"192.168.0.10\",\"services\":[{\"fqdn\":"            \
	"\"old.gwa.demo\"},{\"fqdn\":\"www.old.gwa.demo\",\"proxy_required\":true}]}"

static const char before_text[] = BUNDLE_HEAD
	"\"service_addresses\":[\"127.0.0.1\"],\"pool\":[\"100.64.1.131-100.64.1.135\"],"
	"\"hosts\":[" OLD_HOST "],"
	"\"resolver_groups\":[{\"name\":\"r1\",\"nodes\":[\"100.64.0.1\"]}]}";
/* %s: the second service address; %d, %d: the ALG port, the backend port */
static const char after_fmt[] = BUNDLE_HEAD
	"\"service_addresses\":[\"127.0.0.1\",\"%s\"],\"pool\":[\"100.64.1.131-100.64.1.136\"],"
	"\"hosts\":[" OLD_HOST ",{\"fqdn\":\"new.gwa.demo\",\"ipv4\":\"192.168.0.20\","
	"\"services\":[{\"fqdn\":\"new.gwa.demo\"},{\"fqdn\":\"www.new.gwa.demo\","
	"\"proxy_required\":true}]}],"
	"\"alg_routes\":[{\"hostname\":\"route.gwa.demo\",\"port\":%d,"
	"\"backend\":\"127.0.0.1:%d\"}],"
	"\"resolver_groups\":[{\"name\":\"r1\",\"nodes\":[\"100.64.0.1\"]},"
	"{\"name\":\"r2\",\"nodes\":[\"100.64.0.2\"]}]}";

struct fx {
	char dir[64];
	struct conf conf;
	struct ev_loop *loop;
	struct policy_parts p;
	int alg_port;
	int backend; /* a listening socket: the ALG route's backend */
	int backend_port;
	struct pol_snap *before; /* the policy in force after setup */
	char etag[POL_ETAG_LEN];
	size_t audit_lines;
};

static int
listen_on(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 8) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static int
port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	getsockname(fd, (struct sockaddr *)&sa, &len);
	return ntohs(sa.sin_port);
}

/* A port free on 127.0.0.0/8 right now. */
static int
free_port(void)
{
	int fd = listen_on("127.0.0.1", 0), port = port_of(fd);

	close(fd);
	return port;
}

static size_t
audit_count(struct pol_store *st)
{
	struct pol_audit *rows = NULL;
	size_t n = 0;

	assert_int_equal(pol_audit_list(st, NULL, 0, 10000, &rows, &n), 0);
	pol_audit_free(rows, n);
	return n;
}

/* A LAN query for name/A through the name index in force: the rcode; *a gets the address
 * of the first answer (0 if none). */
static int
lan_query(struct fx *f, const char *name, uint32_t *a)
{
	uint8_t q[512], out[1232];
	struct dns_answer_ctx ctx;
	struct dns_answer_info info;
	int n;

	memset(q, 0, 12);
	q[0] = 0x12, q[1] = 0x34, q[5] = 1; /* id, qdcount 1 */
	n = dns_name_from_str(name, q + 12, sizeof(q) - 16);
	assert_true(n > 0);
	memcpy(q + 12 + n, "\0\1\0\1", 4); /* A IN */
	dns_ctx_init(f->p.dns, &ctx, f->p.dns->db, DNS_VIEW_LAN, false, NULL);
	assert_int_equal(dns_answer(&ctx, q, 12 + (size_t)n + 4, out, sizeof(out), &info),
			 DNS_ANS_SEND);
	*a = 0;
	/* the answer's RDATA: the last four bytes of a one-record answer section */
	if (info.rcode == 0 && out[7] == 1)
		memcpy(a, out + info.len - 4, 4);
	return info.rcode;
}

/* Connect to ip:port (0 or -errno); *fd gets the socket. */
static int
connect_to(const char *ip, int port, int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &sa.sin_addr);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(*fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;

		close(*fd);
		return -e;
	}
	return 0;
}

/*
 * A real HTTP request for route.gwa.demo to the ALG listener on 127.0.0.1: true when the ALG
 * routed it to the backend (the backend accepted a connection), false when it answered
 * 421 (no such route).
 */
static bool
alg_routes_it(struct fx *f)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: route.gwa.demo\r\n\r\n";
	struct pollfd pfd[2];
	char buf[64] = { 0 };
	bool routed = false;
	int c, b;

	assert_int_equal(connect_to("127.0.0.1", f->alg_port, &c), 0);
	assert_int_equal(write(c, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	pfd[0] = (struct pollfd){ .fd = f->backend, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = c, .events = POLLIN };
	/* one of the two happens; the deadline is only a bound */
	assert_true(poll(pfd, 2, 10000) > 0);
	if (pfd[0].revents & POLLIN) {
		b = accept(f->backend, NULL, NULL);
		assert_true(b >= 0);
		close(b);
		routed = true;
	} else {
		assert_true(read(c, buf, sizeof(buf) - 1) > 0);
		assert_non_null(strstr(buf, "421"));
	}
	close(c);
	return routed;
}

/* Everything is as setup left it: store, policy in force, DNS, pool, reputation, ALG. */
static void
assert_unchanged(struct fx *f)
{
	struct pol_snap *s = NULL;
	struct nat_stats ns;
	struct nat_rep_stats rs;
	uint32_t a;
	int fd;

	assert_ptr_equal(f->p.snap, f->before);
	assert_int_equal(pol_store_snapshot(f->p.store, &s), 0);
	assert_string_equal(s->etag, f->etag);
	pol_snap_unref(s);
	assert_int_equal(audit_count(f->p.store), f->audit_lines);
	assert_int_equal(lan_query(f, "new.gwa.demo", &a), 3); /* NXDOMAIN */
	assert_int_equal(lan_query(f, "old.gwa.demo", &a), 0);
	assert_int_equal(a, htonl(0xc0a8000a));
	nat_get_stats(f->p.nat, &ns);
	assert_int_equal(ns.pool.size, 5);
	nat_rep_get_stats(f->p.rep, &rs);
	assert_int_equal(rs.n_groups, 1);
	assert_false(alg_routes_it(f));
	/* the listener the change wanted was never opened, or is closed again */
	assert_int_equal(connect_to("127.0.0.3", f->alg_port, &fd), -ECONNREFUSED);
}

static void
assert_changed(struct fx *f)
{
	struct nat_stats ns;
	struct nat_rep_stats rs;
	uint32_t a;
	int fd;

	assert_ptr_not_equal(f->p.snap, f->before);
	assert_string_not_equal(f->p.snap->etag, f->etag);
	assert_int_equal(lan_query(f, "new.gwa.demo", &a), 0);
	assert_int_equal(a, htonl(0xc0a80014));
	nat_get_stats(f->p.nat, &ns);
	assert_int_equal(ns.pool.size, 6);
	nat_rep_get_stats(f->p.rep, &rs);
	assert_int_equal(rs.n_groups, 2);
	assert_true(alg_routes_it(f));
	assert_int_equal(connect_to("127.0.0.3", f->alg_port, &fd), 0);
	close(fd);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };
	char db[128];

	log_set_level(LOG_LVL_ERR);
	strcpy(f->dir, "/tmp/rgwcommitXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(db, sizeof(db), "%s/rgw.db", f->dir);
	conf_defaults(&f->conf);
	f->conf.nat_enable = false;
	f->conf.alg_workers = 2;
	f->alg_port = free_port();
	f->conf.alg_ports.n = 1;
	f->conf.alg_ports.v[0] = f->alg_port;
	f->backend = listen_on("127.0.0.1", 0);
	f->backend_port = port_of(f->backend);
	f->loop = ev_loop_new();
	f->p.store = pol_store_open(db, &e);
	assert_non_null(f->p.store);
	assert_int_equal(pol_bundle_parse(before_text, strlen(before_text), &s, &e), 0);
	assert_int_equal(pol_store_replace(f->p.store, s, &e), 0);
	pol_snap_unref(s);
	f->p.nat = nat_new(f->loop, &f->conf);
	f->p.rep = nat_rep_new(100);
	f->p.dns = dns_new(f->loop, &f->conf, f->p.store);
	f->p.alg = alg_new(f->loop, &f->conf);
	assert_true(f->p.nat && f->p.rep && f->p.dns && f->p.alg);
	assert_int_equal(policy_reload(&f->p, &(struct pol_change){ .actor = "unit" }, &e), 0);
	f->before = pol_snap_ref(f->p.snap);
	strcpy(f->etag, f->p.snap->etag);
	f->audit_lines = audit_count(f->p.store);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	policy_thread_stop(&f->p);
	alg_free(f->p.alg);
	dns_free(f->p.dns);
	nat_free(f->p.nat);
	nat_rep_free(f->p.rep);
	pol_snap_unref(f->p.snap);
	pol_snap_unref(f->before);
	pol_store_close(f->p.store);
	ev_loop_free(f->loop);
	close(f->backend);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Open the write transaction of the change (the bundle replace, as PUT /bundle does). */
static void
write_change(struct fx *f, const char *second_service_addr)
{
	char text[4096];
	struct pol_snap *s = NULL;
	struct pol_err e = { 0 };

	snprintf(text, sizeof(text), after_fmt, second_service_addr, f->alg_port, f->backend_port);
	assert_int_equal(pol_bundle_parse(text, strlen(text), &s, &e), 0);
	assert_int_equal(pol_store_begin(f->p.store), 0);
	assert_int_equal(pol_store_replace(f->p.store, s, &e), 0);
	pol_snap_unref(s);
}

static const struct pol_change change = {
	.actor = "unit", .action = "PUT", .resource = "/api/v1/bundle", .detail = "{...}"
};

/*
 * Every allocation of the commit fails in turn (the validator, the pool, the reputation
 * engine, the DNS name index, the ALG routes and listeners): each failed commit leaves
 * everything exactly as it was, and once no allocation is failed it goes through.
 */
static void
test_out_of_memory_at_every_step(void **state)
{
	struct fx *f = *state;
	bool seen_nat = false, seen_rep = false, seen_dns = false, seen_alg = false;
	long k;
	int rc;

	for (k = 0;; k++) {
		struct pol_err e = { 0 };

		write_change(f, "127.0.0.3");
		countdown = k;
		armed = true;
		rc = policy_commit(&f->p, &change, NULL, &e);
		armed = false;
		if (countdown >= 0) {
			/* allocation k was never reached: the commit ran out of steps */
			countdown = -1;
			assert_int_equal(rc, 0);
			break;
		}
		assert_true(rc < 0);
		seen_nat |= strcmp(e.field, "nat") == 0;
		seen_rep |= strcmp(e.field, "reputation") == 0;
		seen_dns |= strcmp(e.field, "dns") == 0;
		seen_alg |= strcmp(e.field, "alg") == 0;
		assert_unchanged(f);
	}
	print_message("commit survived %ld failed allocations\n", k);
	assert_true(seen_nat && seen_rep && seen_dns && seen_alg);
	assert_changed(f);
	assert_int_equal(audit_count(f->p.store), f->audit_lines + 1);
}

/* An ALG address already bound by another socket (no SO_REUSEPORT) fails the whole change. */
static void
test_alg_address_in_use(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };
	int taken = listen_on("127.0.0.4", f->alg_port), c, a;

	assert_true(taken >= 0);
	write_change(f, "127.0.0.4");
	assert_int_equal(policy_commit(&f->p, &change, NULL, &e), -EADDRINUSE);
	assert_int_equal(e.kind, POL_ERR_APPLY);
	assert_string_equal(e.field, "alg");
	assert_unchanged(f);
	/* the address still belongs to the other socket */
	assert_int_equal(connect_to("127.0.0.4", f->alg_port, &c), 0);
	a = accept(taken, NULL, NULL);
	assert_true(a >= 0);
	close(a);
	close(c);
	close(taken);
	/* once it is free, the same change goes through */
	write_change(f, "127.0.0.3");
	assert_int_equal(policy_commit(&f->p, &change, NULL, &e), 0);
	assert_changed(f);
}

/* The store's COMMIT fails after every subsystem prepared: nothing changes. */
static void
test_store_commit_fails(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };

	write_change(f, "127.0.0.3");
	fail_commit = true;
	assert_true(policy_commit(&f->p, &change, NULL, &e) < 0);
	assert_false(fail_commit);
	assert_unchanged(f);
}

/* A policy the validator refuses changes nothing and leaves no audit line. */
static void
test_invalid_policy_refused(void **state)
{
	struct fx *f = *state;
	struct pol_err e = { 0 };

	/* a host whose address is one of the pool's */
	assert_int_equal(pol_store_begin(f->p.store), 0);
	assert_int_equal(
		pol_row_insert(f->p.store, &pol_t_host,
			       &(struct pol_host){ .fqdn = "new.gwa.demo",
						   .ipv4 = { .family = AF_INET,
							     .u.v4.s_addr = htonl(0x64400183) },
						   .pool_limit = 1 },
			       &e),
		0);
	assert_int_equal(policy_commit(&f->p, &change, NULL, &e), -EINVAL);
	assert_int_equal(e.kind, POL_ERR_CONFLICT);
	assert_string_equal(e.field, "hosts[1].ipv4");
	assert_non_null(strstr(e.msg, "circular-pool address"));
	assert_unchanged(f);
}

/* One audit line per change, with the ETags of the policy in force before and after. */
static void
test_audit_line(void **state)
{
	struct fx *f = *state;
	struct pol_audit *rows = NULL;
	struct pol_snap *got = NULL;
	struct pol_err e = { 0 };
	size_t n = 0;

	write_change(f, "127.0.0.3");
	assert_int_equal(policy_commit(&f->p, &change, &got, &e), 0);
	assert_ptr_equal(got, f->p.snap);
	pol_snap_unref(got);
	assert_int_equal(audit_count(f->p.store), f->audit_lines + 1);
	assert_int_equal(pol_audit_list(f->p.store, NULL, 0, 1, &rows, &n), 0);
	assert_string_equal(rows[0].actor, "unit");
	assert_string_equal(rows[0].action, "PUT");
	assert_string_equal(rows[0].resource, "/api/v1/bundle");
	assert_string_equal(rows[0].etag_before, f->etag);
	assert_string_equal(rows[0].etag_after, f->p.snap->etag);
	pol_audit_free(rows, n);
	/* a reload of an unchanged store: same ETag before and after */
	assert_int_equal(policy_reload(&f->p, &(struct pol_change){ .actor = "signal" }, &e), 0);
	assert_int_equal(pol_audit_list(f->p.store, NULL, 0, 1, &rows, &n), 0);
	assert_string_equal(rows[0].actor, "signal");
	assert_string_equal(rows[0].etag_before, rows[0].etag_after);
	pol_audit_free(rows, n);
}

/* A host row for the tenant tests: fqdn at 192.168.0.<last>. */
static int
tenant_host(struct fx *f, const char *fqdn, uint8_t last)
{
	struct pol_err e = { 0 };
	struct pol_host h = { .ipv4 = { .family = AF_INET,
					.u.v4.s_addr = htonl(0xc0a80000u | last) } };

	snprintf(h.fqdn, sizeof(h.fqdn), "%s", fqdn);
	assert_int_equal(pol_store_begin(f->p.store), 0);
	assert_int_equal(pol_row_insert(f->p.store, &pol_t_host, &h, &e), 0);
	return policy_commit(&f->p, &(struct pol_change){ .actor = "bank-ops", .tenant = "t" },
			     NULL, &e) == 0
		       ? 0
		       : (int)e.kind * 1000 + (strstr(e.msg, "realm") != NULL ? 1 : 0) +
				 (strstr(e.msg, "quota of hosts") != NULL ? 2 : 0) +
				 (strstr(e.msg, "outside the domains") != NULL ? 4 : 0);
}

/* A tenant's change goes through the same commit: refused whole (403 material: FORBIDDEN)
 * when it touches another's rows, leaves its realm or its quota; its audit lines carry it. */
static void
test_tenant_change(void **state)
{
	struct fx *f = *state;
	struct pol_tenant t = { .name = "t", .n_domains = 1, .n_realm = 1 };
	struct pol_change c = change;
	struct pol_audit *rows = NULL;
	struct pol_err e = { 0 };
	size_t n = 0;
	const int refused = POL_ERR_FORBIDDEN * 1000;

	snprintf(t.domains[0], sizeof(t.domains[0]), "new.gwa.demo");
	assert_int_equal(prefix_parse("192.168.0.16/28", false, &t.realm[0]), 0);
	t.quota.hosts = 2;
	assert_int_equal(pol_tenant_put(f->p.store, &t), 0);
	/* the whole change touches the operator's rows: refused, nothing changes */
	write_change(f, "127.0.0.3");
	c.tenant = "t";
	assert_int_equal(policy_commit(&f->p, &c, NULL, &e), -EACCES);
	assert_int_equal(e.kind, POL_ERR_FORBIDDEN);
	assert_non_null(strstr(e.msg, "of tenant t"));
	assert_unchanged(f);
	/* its own host, in its realm: in force, audited for it */
	assert_int_equal(tenant_host(f, "a.new.gwa.demo", 17), 0);
	assert_int_equal(pol_audit_list(f->p.store, "t", 0, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].tenant, "t");
	assert_string_equal(rows[0].actor, "bank-ops");
	pol_audit_free(rows, n);
	assert_int_equal(pol_audit_list(f->p.store, "other", 0, 10, &rows, &n), 0);
	assert_int_equal(n, 0);
	pol_audit_free(rows, n);
	/* outside its realm, outside its domains, over its quota */
	assert_int_equal(tenant_host(f, "b.new.gwa.demo", 40), refused + 1);
	assert_int_equal(tenant_host(f, "b.old.gwa.demo", 18), refused + 4);
	assert_int_equal(tenant_host(f, "b.new.gwa.demo", 18), 0);
	assert_int_equal(tenant_host(f, "c.new.gwa.demo", 19), refused + 2);
	/* a change checked where it was made (the HA active), replayed: audited for the
	 * tenant, not checked again */
	write_change(f, "127.0.0.3");
	c.replayed = true;
	assert_int_equal(policy_commit(&f->p, &c, NULL, &e), 0);
	assert_int_equal(pol_audit_list(f->p.store, "t", 0, 1, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].resource, c.resource);
	pol_audit_free(rows, n);
}

/* A change made the way the API makes it on the commit thread: its own store connection. */
struct job {
	struct fx *f;
	const char *addr; /* the second service address; NULL: an invalid change */
	int rc;
	bool main_thread; /* policy_store gave the main thread's connection */
	bool done;
};

static void
job_work(void *arg, struct pol_store *st)
{
	struct job *j = arg;
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;
	char text[4096];

	j->main_thread = policy_store(&j->f->p) == j->f->p.store;
	assert_int_equal(pol_store_begin(st), 0);
	if (j->addr != NULL) {
		snprintf(text, sizeof(text), after_fmt, j->addr, j->f->alg_port,
			 j->f->backend_port);
		assert_int_equal(pol_bundle_parse(text, strlen(text), &s, &e), 0);
		assert_int_equal(pol_store_replace(st, s, &e), 0);
		pol_snap_unref(s);
	} else {
		/* a host whose address is one of the pool's */
		struct pol_host h = { .fqdn = "new.gwa.demo",
				      .ipv4 = { .family = AF_INET,
						.u.v4.s_addr = htonl(0x64400183) },
				      .pool_limit = 1 };
		assert_int_equal(pol_row_insert(st, &pol_t_host, &h, &e), 0);
	}
	j->rc = policy_commit(&j->f->p, &change, NULL, &e);
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	j->done = true;
	ev_stop(j->f->loop);
}

/*
 * The commit thread: a change prepared there, with its own store connection, is put in force
 * by the main loop (DNS, pool, reputation, ALG) and audited; a refused one changes nothing;
 * a job still running at stop is finished by policy_thread_stop, steps and done included.
 */
static void
test_commit_thread(void **state)
{
	struct fx *f = *state;
	struct job bad = { .f = f }, good = { .f = f, .addr = "127.0.0.3" }, last = good;
	char db[128];

	snprintf(db, sizeof(db), "%s/rgw.db", f->dir);
	assert_int_equal(policy_thread_start(&f->p, f->loop, db), 0);
	assert_int_equal(policy_thread_run(&f->p, job_work, job_done, &bad), 0);
	assert_true(policy_thread_busy(&f->p));
	assert_int_equal(policy_thread_run(&f->p, job_work, job_done, &good), -EBUSY);
	assert_int_equal(ev_run(f->loop), 0);
	assert_true(bad.done);
	assert_false(bad.main_thread);
	assert_int_equal(bad.rc, -EINVAL);
	assert_int_equal(f->p.refusals, 1);
	assert_unchanged(f);

	assert_int_equal(policy_thread_run(&f->p, job_work, job_done, &good), 0);
	assert_int_equal(ev_run(f->loop), 0);
	assert_int_equal(good.rc, 0);
	assert_false(policy_thread_busy(&f->p));
	assert_changed(f);
	assert_int_equal(audit_count(f->p.store), f->audit_lines + 1);

	last.addr = "127.0.0.4";
	assert_int_equal(policy_thread_run(&f->p, job_work, job_done, &last), 0);
	policy_thread_stop(&f->p);
	assert_null(f->p.thread);
	assert_true(last.done);
	assert_int_equal(last.rc, 0);
	assert_int_equal(audit_count(f->p.store), f->audit_lines + 2);
}

/* The resources of the three newest audit lines, newest first, ';'-separated, into out. */
static void
newest_three(struct pol_store *st, char *out, size_t len)
{
	struct pol_audit *rows = NULL;
	size_t n = 0;

	assert_int_equal(pol_audit_list(st, NULL, 0, 3, &rows, &n), 0);
	assert_int_equal(n, 3);
	snprintf(out, len, "%s;%s;%s", rows[0].resource, rows[1].resource, rows[2].resource);
	pol_audit_free(rows, n);
}

/*
 * The main thread's writes that must not wait for the store: without a commit thread they
 * are made at once; with one, a write queued while a job runs is made after the job's own
 * (on the thread), counts as busy until made, and policy_thread_stop makes every queued one.
 */
static void
test_write_later(void **state)
{
	struct fx *f = *state;
	struct job good = { .f = f, .addr = "127.0.0.3" };
	struct pol_change c = { .actor = "ids", .action = "block", .resource = "192.0.2.1" };
	char db[128], order[1024];

	policy_audit_later(&f->p, &c);
	assert_int_equal(audit_count(f->p.store), f->audit_lines + 1);

	snprintf(db, sizeof(db), "%s/rgw.db", f->dir);
	assert_int_equal(policy_thread_start(&f->p, f->loop, db), 0);
	assert_int_equal(policy_thread_run(&f->p, job_work, job_done, &good), 0);
	/* the job cannot end before the main loop runs its steps: this one waits behind it */
	c.resource = "192.0.2.2";
	policy_audit_later(&f->p, &c);
	assert_true(policy_thread_job(&f->p));
	assert_int_equal(ev_run(f->loop), 0);
	assert_int_equal(good.rc, 0);
	assert_false(policy_thread_job(&f->p));
	c.resource = "192.0.2.3";
	policy_audit_later(&f->p, &c);
	policy_thread_stop(&f->p);
	assert_false(policy_thread_busy(&f->p));
	assert_int_equal(audit_count(f->p.store), f->audit_lines + 4);
	/* the job's line before the one queued while it ran */
	newest_three(f->p.store, order, sizeof(order));
	assert_string_equal(order, "192.0.2.3;192.0.2.2;/api/v1/bundle");
}

/* What policy_after_job ran: how often, where, and whether the job was over by then. */
struct after {
	struct fx *f;
	pthread_t th;
	int runs;
	int runs_in_job; /* runs when the job returned */
};

static void
after_mark(void *arg)
{
	struct after *a = arg;

	a->th = pthread_self();
	a->runs++;
}

static void
after_work(void *arg, struct pol_store *st)
{
	struct after *a = arg;

	(void)st;
	policy_after_job(&a->f->p, after_mark, a);
	a->runs_in_job = a->runs;
}

static void
after_done(void *arg)
{
	struct after *a = arg;

	ev_stop(a->f->loop);
}

/* Work a job leaves for after its reply: run on the commit thread once the job is over; at
 * once anywhere else. */
static void
test_after_job(void **state)
{
	struct fx *f = *state;
	struct after a = { .f = f };
	char db[128];

	policy_after_job(&f->p, after_mark, &a); /* no thread: at once, here */
	assert_int_equal(a.runs, 1);
	assert_true(pthread_equal(a.th, pthread_self()));
	snprintf(db, sizeof(db), "%s/rgw.db", f->dir);
	assert_int_equal(policy_thread_start(&f->p, f->loop, db), 0);
	policy_after_job(&f->p, after_mark, &a); /* the main thread: at once */
	assert_int_equal(a.runs, 2);
	assert_int_equal(policy_thread_run(&f->p, after_work, after_done, &a), 0);
	assert_int_equal(ev_run(f->loop), 0);
	policy_thread_stop(&f->p); /* joins the thread: what it had to run has run */
	assert_int_equal(a.runs_in_job, 2);
	assert_int_equal(a.runs, 3);
	assert_false(pthread_equal(a.th, pthread_self()));
}

/*
 * The policy a write reads before its writes (policy_snapshot): the one in force, not read
 * again, while the store holds just that; read from the store by any other connection, and
 * once another connection (another process) committed, until that change is put in force.
 */
static void
test_snapshot_in_force(void **state)
{
	struct fx *f = *state;
	struct pol_host h = { .fqdn = "other.gwa.demo",
			      .ipv4 = { .family = AF_INET, .u.v4.s_addr = htonl(0xc0a80015) },
			      .pool_limit = 1 };
	struct pol_err e = { 0 };
	struct pol_snap *s = NULL;
	struct pol_store *other;
	char db[128];

	snprintf(db, sizeof(db), "%s/rgw.db", f->dir);
	other = pol_store_open(db, &e);
	assert_non_null(other);
	assert_int_equal(pol_store_begin(f->p.store), 0);
	assert_int_equal(policy_snapshot(&f->p, f->p.store, &s), 0);
	assert_ptr_equal(s, f->p.snap);
	pol_snap_unref(s);
	assert_int_equal(pol_store_rollback(f->p.store), 0);

	assert_int_equal(pol_store_begin(other), 0);
	assert_int_equal(policy_snapshot(&f->p, other, &s), 0);
	assert_ptr_not_equal(s, f->p.snap);
	assert_int_equal(s->n_hosts, f->p.snap->n_hosts);
	pol_snap_unref(s);
	assert_int_equal(pol_row_insert(other, &pol_t_host, &h, &e), 0);
	assert_int_equal(pol_store_commit(other), 0);

	assert_int_equal(pol_store_begin(f->p.store), 0);
	assert_int_equal(policy_snapshot(&f->p, f->p.store, &s), 0);
	assert_ptr_not_equal(s, f->p.snap);
	assert_int_equal(s->n_hosts, f->before->n_hosts + 1);
	pol_snap_unref(s);
	assert_int_equal(policy_commit(&f->p, &change, NULL, &e), 0);
	assert_int_equal(f->p.snap->n_hosts, f->before->n_hosts + 1);
	assert_int_equal(pol_store_begin(f->p.store), 0);
	assert_int_equal(policy_snapshot(&f->p, f->p.store, &s), 0);
	assert_ptr_equal(s, f->p.snap);
	pol_snap_unref(s);
	assert_int_equal(pol_store_rollback(f->p.store), 0);
	pol_store_close(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out_of_memory_at_every_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alg_address_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_commit_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_policy_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_in_force, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
