/* SPDX-License-Identifier: MIT */
/* dns/server.h -- state shared by the DNS I/O adapters (dns.c, udp.c, tcp.c, lan.c, ddns.c) */
#ifndef RGW_DNS_SERVER_H
#define RGW_DNS_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../common/addr.h"
#include "../common/buf.h"
#include "../common/ev.h"
#include "../common/list.h"
#include "../common/log.h"
#include "../common/srccnt.h"
#include "dns.h"

/* Internal to dns/: not part of the subsystem's interface. */

#define DNS_UDP_BATCH	    32
#define DNS_UDP_QMAX	    4096 /* largest UDP query we read (bigger ones are dropped) */
#define DNS_TCP_RETRY_MS    500	 /* TCP retry after a refused allocation (the original's 0.5 s) */
#define DNS_ACCEPT_PAUSE_MS 1000

/* Increment a counter owned by the calling thread; readers use relaxed loads. */
#define DNS_STAT_ADD(st, field, n)                                                                 \
	__atomic_store_n(&(st)->field, (st)->field + (n), __ATOMIC_RELAXED)
#define DNS_STAT_INC(st, field) DNS_STAT_ADD(st, field, 1)

struct dns_tcp_conn;
struct dns_fwd;
struct dns_nest;
struct dns_worker;
struct dns_standin;

struct dns_listener {
	struct dns *d;
	int fd;
	bool tcp;
	bool ddns;
	bool wildcard; /* bound to the any address: replies carry IP_PKTINFO */
	enum dns_view view;
	int family;
	struct addr_port ap;
	uint64_t pause_timer; /* accept paused after EMFILE */
};

/* Where a reply goes: a UDP peer (sent from the address the query arrived on) or a TCP
 * connection (identified by pointer and serial, checked before use). */
struct dns_reply_to {
	struct dns_listener *l;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct addr local;
	int ifindex;
	struct dns_tcp_conn *conn;
	uint64_t conn_serial;
};

/* Pre-allocated recvmmsg/sendmmsg buffers of one thread. */
struct dns_udp_batch {
	struct mmsghdr rmsg[DNS_UDP_BATCH];
	struct iovec riov[DNS_UDP_BATCH];
	struct sockaddr_storage rpeer[DNS_UDP_BATCH];
	uint8_t rctl[DNS_UDP_BATCH][64];
	uint8_t rbuf[DNS_UDP_BATCH][DNS_UDP_QMAX];
	struct mmsghdr smsg[DNS_UDP_BATCH];
	struct iovec siov[DNS_UDP_BATCH];
	uint8_t sctl[DNS_UDP_BATCH][64];
	uint8_t *sbuf; /* DNS_UDP_BATCH * sbuf_size */
	size_t sbuf_size;
};

struct dns {
	struct ev_loop *loop;
	struct pol_store *store;
	bool updates_held; /* dns_updates_hold: UPDATE waits for a policy write */
	uint16_t edns_size;
	uint32_t lan_ttl;
	uint64_t tcp_idle_ms;
	long tcp_max_conns;
	long tcp_max_queries;
	long rotate_s;

	/* read by workers under lock (pointer + cookie secrets); written by the main thread */
	pthread_mutex_t lock;
	struct dns_db *db;
	struct dns_cookie_secrets cookies;
	uint64_t rotate_timer;

	dns_alloc_fn alloc;
	void *alloc_arg;
	const struct dns_alias_hooks *alias;
	void *alias_arg;
	dns_qmin_fn qmin;
	void *qmin_arg;
	dns_step_fn step;
	void *step_arg;
	struct pol_sessions *sessions;
	dns_sess_ended_fn sess_ended;
	void *sess_arg;
	pol_commit_fn commit; /* DNS UPDATE puts its changes in force through it */
	void *commit_arg;
	const struct dns_nest_hooks *nest_hooks;
	void *nest_arg;
	struct dns_nest *nest;

	struct dns_listener **listeners; /* each allocated alone: a reload keeps the unchanged
					  * ones (TCP connections point at them) */
	size_t n_listeners;
	struct dns_listener **retired; /* removed by a reload: closed, kept until dns_free for
					* the forwards and hand-offs that still name them */
	size_t n_retired, retired_cap;
	struct dns_udp_batch *batch;
	uint8_t *tcp_out; /* DNS_TCP_MAX bytes: TCP answers are built here */
	/* TCP connections, least recently active first (an LRU: idle ones are closed from the
	 * head when the table is full) */
	struct list conns; /* of struct dns_tcp_conn, least recently active first */
	long n_conns;
	long tcp_max_per_source, tcp_max_per_prefix;
	struct srccnt *tcp_src; /* open connections per client address */
	struct srccnt *tcp_pfx; /* per /24 or /64 */
	uint64_t conn_serial;
	struct dns_stats stats; /* main thread's counters */
	struct dns_fwd *fwd;
	char tsig_name[256];
	char tsig_alg[64];
	char tsig_secret[256];
	struct dns_worker *workers;
	size_t n_workers;
	struct dns_standin *standin; /* answers UDP while the main thread is busy */
	struct ev_async *handoff;    /* workers -> main: queries that need an allocation */
	pthread_mutex_t handoff_lock;
	struct dns_handoff *handoff_head, *handoff_tail;
	size_t handoff_len;
};

/* Query handed from a worker to the main thread. */
struct dns_handoff {
	struct dns_handoff *next;
	struct dns_reply_to to;
	size_t len;
	uint8_t pkt[];
};

/* dns.c */
void dns_ctx_init(struct dns *d, struct dns_answer_ctx *ctx, const struct dns_db *db,
		  enum dns_view view, bool tcp, const struct sockaddr *peer);
void dns_account(struct dns_stats *st, enum dns_answer_res res, const struct dns_answer_info *info,
		 bool tcp);

/* udp.c */
int dns_udp_open(struct dns *d, struct dns_listener *l, bool reuseport);
struct dns_udp_batch *dns_udp_batch_new(size_t out_size);
void dns_udp_batch_free(struct dns_udp_batch *b);
/* Serve a readable UDP socket with the given batch/db/stats (main thread or a worker). */
void dns_udp_serve(struct dns *d, struct dns_listener *l, struct dns_udp_batch *b,
		   struct dns_stats *st, bool main_thread);
void dns_udp_readable(struct ev_loop *loop, int fd, int events, void *arg);
/* Send one datagram to a reply target (from its local address). */
void dns_udp_reply(const struct dns_reply_to *to, const uint8_t *msg, size_t len);
/* Fill to from a received message header (peer, local address from pktinfo). */
void dns_udp_reply_to(struct dns_listener *l, struct msghdr *mh, struct dns_reply_to *to);

/* tcp.c */
int dns_tcp_open(struct dns *d, struct dns_listener *l);
void dns_tcp_accept(struct ev_loop *loop, int fd, int events, void *arg);
void dns_tcp_close_all(struct dns *d);
/* Close the connections accepted on l (a reload removes l). */
void dns_tcp_close_listener(struct dns *d, const struct dns_listener *l);
/* A forwarded answer for a connection; ignored if the connection is gone. */
void dns_tcp_forward_done(struct dns *d, struct dns_tcp_conn *c, uint64_t serial,
			  const uint8_t *msg, size_t len);

/* lan.c */
struct dns_fwd *dns_fwd_new(struct dns *d, const struct conf *conf);
void dns_fwd_free(struct dns_fwd *f);
/* Forward a LAN query upstream; the answer (or SERVFAIL) goes to `to`. */
void dns_fwd_query(struct dns_fwd *f, const uint8_t *pkt, size_t len,
		   const struct dns_reply_to *to);
/* Forget pending forwards whose reply goes to connection c. */
void dns_fwd_cancel_conn(struct dns_fwd *f, const struct dns_tcp_conn *c);

/* nest.c: names below nested gateways (answer DNS_ANS_NESTED). */
struct dns_nest *dns_nest_new(struct dns *d, const struct conf *conf);
void dns_nest_free(struct dns_nest *n);
/* Ask the nested gateway of info->nest for the query pkt, as answered under ctx (transport,
 * source); the answer goes to `to` later, from the loop. */
void dns_nest_ask(struct dns_nest *n, const uint8_t *pkt, size_t len, const struct dns_reply_to *to,
		  const struct dns_answer_ctx *ctx, const struct dns_answer_info *info);
/* Forget waiters whose reply goes to connection c. */
void dns_nest_cancel_conn(struct dns_nest *n, const struct dns_tcp_conn *c);

/* ddns.c */
/* Process a DNS UPDATE (or any message on a DDNS listener); writes the reply to out and
 * returns its length (0: no reply). Main thread (uses the store). */
size_t dns_ddns_handle(struct dns *d, const uint8_t *pkt, size_t len, const struct addr *src,
		       uint8_t *out, size_t cap);

/* worker.c */
int dns_workers_start(struct dns *d, size_t n);
void dns_workers_stop(struct dns *d);
void dns_workers_stats(const struct dns *d, struct dns_stats *sum);

/* standin.c: the thread behind dns_busy_begin (dns.h). start: 0 or -errno (d->standin is
 * set even on failure: dns_standin_stop frees what was made); stop joins it. */
int dns_standin_start(struct dns *d);
void dns_standin_stop(struct dns *d);
/* its counters (written by it, read with relaxed loads), NULL without it */
const struct dns_stats *dns_standin_stats(const struct dns *d);

#endif
