/* SPDX-License-Identifier: MIT */
/* api/http.c -- libmicrohttpd in external-epoll mode on the main loop: requests to handlers */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/histo.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../dns/dns.h"
#include "conn.h"
#include "http_int.h"
#include "internal.h"
#include "mtls.h"
#include "ratelimit.h"

#define API_CONN_TIMEOUT_S 30 /* inactivity while a request is read or answered */
#define TLS_FILE_MAX	   (1 << 20)
#define API_BACKLOG	   1024 /* a burst of connects waits here, not in SYN retransmits */

static struct log_rl mhd_rl = LOG_RL_INIT(5000, 10);
static struct log_rl req_rl = LOG_RL_INIT(5000, 10);

static void run_listener(struct api_listener *l);
static void run_guarded(void *arg);
static void on_epoll(struct ev_loop *loop, int fd, int events, void *arg);
static void on_timer(struct ev_loop *loop, uint64_t id, void *arg);
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls);
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe);
static void mhd_logger(void *cls, const char *fmt, va_list ap);
static size_t unescape(void *cls, struct MHD_Connection *c, char *s);
static enum MHD_Result send_reply(struct req_ctx *x);
static bool begin_request(struct req_ctx *x, const char *url, const char *method,
			  const char *version);
static const char *framing_check(struct MHD_Connection *c, const char *version);
static void finish_request(struct req_ctx *x);
static const char *mhd_query(struct api_req *r, const char *key);
static int open_listener(const struct addr_port *ap);
static int listener_start(struct api *api, struct api_listener *l, const struct addr_port *ap,
			  const char *cert, const char *key, const char *ca, bool metrics_only,
			  int lfd);
static int listener_watch(struct api *api, struct api_listener *l);
static void listener_stop(struct api *api, struct api_listener *l);
static int tls_load(const struct conf *conf, char **cert, char **key);

/* ---- event loop glue ---- */

/* Let MHD do its work, then wake up again when it needs us (timeouts, buffered data). */
static void
run_listener(struct api_listener *l)
{
	MHD_UNSIGNED_LONG_LONG to;
	int i = 0;

	if (l->api->paused)
		return; /* api_http_pause(false) runs it */
	/* At its connection limit libmicrohttpd stops watching the listening socket and looks
	 * again only at the start of a run: after a close at the limit, run once more. */
	do {
		l->guard.rerun = false;
		MHD_run(l->d);
	} while (l->guard.rerun && !l->api->paused && ++i < 8);
	if (l->timer) {
		ev_timer_del(l->api->loop, l->timer);
		l->timer = 0;
	}
	if (MHD_get_timeout(l->d, &to) == MHD_YES)
		l->timer = ev_timer_add(l->api->loop, to, on_timer, l);
}

void
api_http_run(struct api_listener *l)
{
	run_listener(l);
}

void
api_http_readable(struct ev_loop *loop, int fd, int events, void *arg)
{
	on_epoll(loop, fd, events, arg);
}

void
api_http_finish(struct req_ctx *x)
{
	finish_request(x);
}

/* The connection guard shut connections: libmicrohttpd closes them on this run. */
static void
run_guarded(void *arg)
{
	run_listener(arg);
}

static void
on_epoll(struct ev_loop *loop, int fd, int events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	run_listener(arg);
}

static void
on_timer(struct ev_loop *loop, uint64_t id, void *arg)
{
	struct api_listener *l = arg;

	(void)loop;
	if (l->timer == id)
		l->timer = 0;
	run_listener(l);
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_rl(&mhd_rl, LOG_LVL_DEBUG, "api: http: %s", msg);
}

/*
 * %-decoding of the path and the query, in place. "%00" stays encoded: a NUL would cut the
 * C string and "/hosts/%00" would silently become "/hosts/". Malformed escapes stay as
 * they are.
 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	(void)cls;
	(void)c;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ---- requests ---- */

static const char *
mhd_query(struct api_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

static bool
is_json_type(const char *ct, bool patch)
{
	size_t n;

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	return patch && n == 28 && strncasecmp(ct, "application/merge-patch+json", 28) == 0;
}

/* Header lines seen by framing_check's iterator. */
struct framing {
	unsigned n_host, n_len;
	const char *len;
	bool len_differs;
};

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		f->n_host++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->n_len++ > 0 && strcmp(f->len, value ? value : "") != 0)
			f->len_differs = true;
		f->len = value ? value : "";
	}
	return MHD_YES;
}

/*
 * RFC 9112 3.2: an HTTP/1.1 request without Host, or with more than one, is a 400; 6.3:
 * Content-Length values that disagree leave the framing unknown (a request smuggling
 * vector behind a proxy), a 400 too. NULL if fine, else the reason.
 */
static const char *
framing_check(struct MHD_Connection *c, const char *version)
{
	struct framing f = { 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &f);
	if (f.n_host == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		return "an HTTP/1.1 request needs a Host header";
	if (f.n_host > 1)
		return "more than one Host header";
	if (f.len_differs || (f.len != NULL && strchr(f.len, ',') != NULL))
		return "conflicting Content-Length headers";
	return NULL;
}

/* Who asks: a bearer token, or else a client certificate (api/mtls.h). Sets r->role and
 * r->actor; false if answered (401). */
static bool
authenticate(struct api_req *r)
{
	struct api *api = r->api;
	const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	char name[64] = "", why[512] = "";
	enum pol_role role;
	int rc;

	if (auth == NULL && api->mtls != NULL) {
		rc = api_mtls_identity(api, r->conn, name, sizeof(name), &role, why, sizeof(why));
		if (rc == 0)
			goto ok;
		if (rc != -ENOENT) {
			api->stats.auth_failures++;
			log_rl(&req_rl, LOG_LVL_INFO, "api: %s", why);
			api_reply_error(r, 401, NULL, "%s", why);
			return false;
		}
	}
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
		api->stats.auth_failures++;
		api_reply_error(r, 401, NULL, "a bearer token%s is required",
				api->mtls != NULL ? " or a client certificate" : "");
		return false;
	}
	auth += 7;
	while (*auth == ' ')
		auth++;
	rc = strlen(auth) >= POL_TOKEN_MAX
		     ? -EACCES
		     : pol_token_check(api->st, auth, &role, name, sizeof(name));
	if (rc == -EKEYEXPIRED) {
		api->stats.auth_failures++;
		api_reply_error(r, 401, NULL, "token '%s' has expired", name);
		return false;
	}
	if (rc < 0) {
		api->stats.auth_failures++;
		api_reply_error(r, 401, NULL, "invalid token");
		return false;
	}
ok:
	r->role = role;
	util_strlcpy(r->actor, name, sizeof(r->actor));
	return true;
}

/* Headers are in: framing, route, rate limit, authentication, body checks. False if
 * answered. */
static bool
begin_request(struct req_ctx *x, const char *url, const char *method, const char *version)
{
	struct api_req *r = &x->r;
	struct api *api = r->api;
	const union MHD_ConnectionInfo *ci;
	enum api_route_result rr;
	const char *len_s, *bad;
	struct addr client = { 0 };
	uint64_t retry;

	api->stats.requests++;
	r->method = method;
	r->query_fn = mhd_query;
	r->if_match = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-Match");
	r->if_none_match = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr)
		addr_from_sockaddr(ci->client_addr, &client, NULL);

	if ((bad = framing_check(r->conn, version)) != NULL) {
		util_strlcpy(r->path, url, sizeof(r->path));
		api_reply_error(r, 400, NULL, "%s", bad);
		return false;
	}
	if (!api_rl_take(api->rl, &client, util_mono_ms(), &retry)) {
		api->stats.rate_limited++;
		r->retry_after_s = (uint32_t)((retry + 999) / 1000);
		if (r->retry_after_s == 0)
			r->retry_after_s = 1;
		api_reply_error(r, 429, NULL, "too many requests: retry after %u s",
				r->retry_after_s);
		return false;
	}
	if (util_strlcpy(r->path, url, sizeof(r->path)) >= sizeof(r->path)) {
		api_reply_error(r, 400, NULL, "path too long");
		return false;
	}
	rr = api_route_match(api_routes, api_n_routes, method, r->path, &r->m, r->allow,
			     sizeof(r->allow));
	if (rr == API_ROUTE_NOT_FOUND) {
		api_reply_error(r, 404, NULL, "no such resource");
		return false;
	}
	if (rr == API_ROUTE_INVALID) {
		api_reply_error(r, 400, NULL, "invalid path");
		return false;
	}
	if (rr == API_ROUTE_BAD_METHOD) {
		api_reply_error(r, 405, NULL, "method %s not allowed here (allowed: %s)", method,
				r->allow);
		return false;
	}

	if (x->metrics_only) {
		/* the metrics listener serves the scrape, token-free, and nothing else */
		if (strcmp(r->m.route->pattern, "/metrics") != 0) {
			api_reply_error(r, 404, NULL, "only /metrics is served here");
			return false;
		}
	} else if (!(r->m.route->flags & API_R_PUBLIC)) {
		if (!authenticate(r))
			return false;
		if ((r->m.route->flags & API_R_WRITE) && r->role != POL_ROLE_RW) {
			api_reply_error(r, 403, NULL, "token '%s' is read-only", r->actor);
			return false;
		}
		if (!api_tenant_scope(r))
			return false;
	}

	len_s = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
	if (len_s) {
		long len;
		if (util_parse_long(len_s, 0, 1L << 40, &len) < 0 ||
		    len > api->conf->api_max_body) {
			api_reply_error(r, 413, NULL, "request body larger than %ld bytes",
					api->conf->api_max_body);
			return false;
		}
	}
	if ((r->m.route->flags & API_R_WRITE) && !(r->m.route->flags & API_R_NOBODY) &&
	    !is_json_type(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type"),
			  strcmp(method, "PATCH") == 0)) {
		api_reply_error(r, 415, NULL, "Content-Type must be application/json");
		return false;
	}
	return true;
}

/* The body is in: parse it and run the handler. */
static void
finish_request(struct req_ctx *x)
{
	struct api_req *r = &x->r;
	const struct api_route *rt = r->m.route;
	json_error_t jerr;

	if (x->too_big) {
		api_reply_error(r, 413, NULL, "request body larger than %ld bytes",
				r->api->conf->api_max_body);
		return;
	}
	if ((rt->flags & API_R_WRITE) && !(rt->flags & API_R_NOBODY)) {
		if (x->body.len == 0) {
			api_reply_error(r, 400, NULL, "a JSON body is required");
			return;
		}
		r->body = json_loadb((const char *)x->body.data, x->body.len,
				     JSON_REJECT_DUPLICATES, &jerr);
		if (!r->body) {
			api_reply_error(r, 400, NULL, "invalid JSON at line %d column %d: %s",
					jerr.line, jerr.column, jerr.text);
			return;
		}
		if (!json_is_object(r->body)) {
			api_reply_error(r, 400, NULL, "the body must be a JSON object");
			return;
		}
	}
	r->status = 0;
	rt->fn(r);
	if (r->status == 0)
		api_reply_error(r, 500, NULL, "handler gave no answer");
	api_http_render(x);
}

static enum MHD_Result
add_header(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value);
}

static enum MHD_Result
send_reply(struct req_ctx *x)
{
	struct api_req *r = &x->r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	x->answered = true;
	histo_since(&histo_api_request, x->t0_ns);
	if (r->status / 100 >= 1 && r->status / 100 <= 5)
		r->api->stats.by_class[r->status / 100]++;
	if (r->status >= 500)
		log_rl(&req_rl, LOG_LVL_WARN, "api: %s %s: %d", r->method, r->path, r->status);
	else
		log_debug("%s: %s %s: %d", __func__, r->method, r->path, r->status);
	resp = api_http_response(x);
	if (!resp)
		return MHD_NO;
	if (x->out_ctype)
		add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, x->out_ctype);
	add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	add_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->etag[0])
		add_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	if (r->location[0])
		add_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->status == 405 && r->allow[0])
		add_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->status == 401)
		add_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"rgw\"");
	if (r->retry_after_s) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", r->retry_after_s);
		add_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct req_ctx *x = *con_cls;

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return MHD_NO;
		x->t0_ns = histo_now_ns();
		x->r.api = ((struct api_listener *)cls)->api;
		x->metrics_only = ((struct api_listener *)cls)->metrics_only;
		x->r.conn = c;
		*con_cls = x;
		api_conn_head_in(c); /* the head is complete: answering is up to us now */
	}
	/* a policy write runs on the commit thread with the API to itself: the rest waits */
	if (x->r.api->paused && !x->offloaded) {
		api_http_hold(cls, x);
		return MHD_YES;
	}
	if (!x->begun) {
		x->begun = true;
		if (!begin_request(x, url, method, version))
			return send_reply(x); /* early answer: MHD closes after it */
		return MHD_YES;
	}
	if (x->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!x->too_big) {
			if (x->body.len + *upload_size > (size_t)x->r.api->conf->api_max_body) {
				x->too_big = true;
				buf_free(&x->body);
			} else if (buf_append(&x->body, upload, *upload_size) < 0) {
				return MHD_NO;
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->offloaded) {
		/* resumed (offload_done): the reply is ready; until then, nothing to do */
		return x->ready ? send_reply(x) : MHD_YES;
	}
	/* a policy write runs on the commit thread while the loop keeps serving (commit.h) */
	if ((x->r.m.route->flags & API_R_COMMIT) && api_http_offload(x))
		return MHD_YES;
	/* other writes run here: the stand-in answers UDP DNS meanwhile (dns.h) */
	bool write = (x->r.m.route->flags & API_R_WRITE) != 0;
	enum MHD_Result res;

	if (write)
		dns_busy_begin(x->r.api->v.dns);
	finish_request(x);
	res = send_reply(x);
	if (write)
		dns_busy_end(x->r.api->v.dns);
	return res;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct req_ctx *x = *con_cls;

	(void)cls;
	/* kept alive: the next request head has the same time to arrive as the first */
	api_conn_request_done(c, toe);
	if (!x)
		return;
	json_decref(x->r.body);
	json_decref(x->r.reply);
	free(x->r.ten);
	free(x->r.raw);
	api_http_out_free(x);
	buf_free(&x->r.text);
	buf_free(&x->body);
	free(x);
	*con_cls = NULL;
}

/* ---- listeners ---- */

static int
open_listener(const struct addr_port *ap)
{
	const struct sockaddr *sa = (const struct sockaddr *)&ap->ss;
	int fd, one = 1, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	/* a management address that moves with VRRP may arrive after the start */
	if (addr_sock_freebind(fd, sa->sa_family) < 0)
		goto fail;
	if (bind(fd, sa, ap->len) == -1 || listen(fd, API_BACKLOG) == -1)
		goto fail;
	addr_note_missing(ap, "api");
	return fd;
fail:
	err = errno;
	close(fd);
	return -err;
}

char *
api_read_file(const char *path)
{
	struct stat sb;
	char *data = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	if (fstat(fd, &sb) == -1)
		goto out;
	if (sb.st_size <= 0 || sb.st_size > TLS_FILE_MAX) {
		errno = sb.st_size <= 0 ? ENODATA : EFBIG;
		goto out;
	}
	data = calloc(1, (size_t)sb.st_size + 1);
	if (!data)
		goto out;
	n = read(fd, data, (size_t)sb.st_size);
	if (n != sb.st_size)
		FREE_AND_NULL(data);
out:
	close(fd);
	return data;
}

/*
 * Start one listener on ap (or on the listening socket lfd when >= 0, which it takes): a
 * libmicrohttpd daemon in external-epoll mode on our own socket, HTTPS when cert and key are
 * given (asking for a client certificate when ca is). l must stay where it is (it is the daemon's closure). Not yet watched by the loop:
 * listener_watch does that. On failure l holds what was made; listener_stop undoes it.
 * 0 or -errno, reason logged.
 */
static int
listener_start(struct api *api, struct api_listener *l, const struct addr_port *ap,
	       const char *cert, const char *key, const char *ca, bool metrics_only, int lfd)
{
	char where[ADDR_PORT_STRLEN];
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	bool tls = cert != NULL && key != NULL;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key },
		/* asks the client for a certificate (api/mtls.c verifies it) */
		{ ca != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
		  (void *)(uintptr_t)ca },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem no_opts[] = { { MHD_OPTION_END, 0, NULL } };

	addr_port_ntop(ap, where, sizeof(where));
	memset(l, 0, sizeof(*l));
	l->api = api;
	api_conn_guard_init(&l->guard);
	l->guard.api = api;
	l->guard.run = run_guarded;
	l->guard.run_arg = l;
	l->epfd = -1;
	l->ap = *ap;
	l->metrics_only = metrics_only;
	l->tls = tls;
	l->lfd = lfd >= 0 ? lfd : open_listener(ap);
	if (l->lfd < 0) {
		errno = -l->lfd;
		log_warn("api: cannot listen on %s", where);
		return l->lfd;
	}
	if (tls)
		flags |= MHD_USE_TLS;
	if (ap->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	l->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, api,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, api, MHD_OPTION_LISTEN_SOCKET, l->lfd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api, MHD_OPTION_NOTIFY_CONNECTION,
		api_conn_notify, &l->guard, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)API_CONN_TIMEOUT_S,
		/* one more than ours: api_conn_notify makes room before libmicrohttpd would
		 * refuse anyone */
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)api->conf->api_max_conns + 1,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)api->conf->api_max_conns_per_source,
		MHD_OPTION_ARRAY, tls ? tls_opts : no_opts, MHD_OPTION_END);
	if (!l->d) {
		log_warnx("api: libmicrohttpd could not start on %s", where);
		return -EIO;
	}
	return 0;
}

/* Hand a started listener to the loop. 0 or -errno, reason logged. */
static int
listener_watch(struct api *api, struct api_listener *l)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
	char where[ADDR_PORT_STRLEN];
	int rc = -EIO;

	addr_port_ntop(&l->ap, where, sizeof(where));
	l->epfd = di ? di->epoll_fd : -1;
	if (l->epfd < 0 || (rc = ev_io_add(api->loop, l->epfd, EV_READ, on_epoll, l)) < 0) {
		log_warnx("api: cannot watch the libmicrohttpd epoll fd on %s", where);
		l->epfd = -1;
		return rc;
	}
	log_info("api: listening on %s%s", where,
		 l->metrics_only ? " (metrics only, no token)"
		 : l->tls	 ? " (HTTPS)"
				 : "");
	run_listener(l);
	return 0;
}

static void
listener_stop(struct api *api, struct api_listener *l)
{
	if (l->timer)
		ev_timer_del(api->loop, l->timer);
	l->timer = 0;
	api_conn_guard_stop(&l->guard);
	if (l->epfd >= 0)
		ev_io_del(api->loop, l->epfd);
	l->epfd = -1;
	/* MHD closes the listening socket it was given. */
	if (l->d)
		MHD_stop_daemon(l->d);
	else if (l->lfd >= 0)
		close(l->lfd);
	l->d = NULL;
	l->lfd = -1;
}

/* The certificate and key of conf, read as files (NULL, NULL without TLS). */
static int
tls_load(const struct conf *conf, char **cert, char **key)
{
	*cert = *key = NULL;
	if (!conf->api_tls_cert[0] && !conf->api_tls_key[0])
		return 0;
	if (!conf->api_tls_cert[0] || !conf->api_tls_key[0]) {
		log_warnx("api: api_tls_cert and api_tls_key must be set together");
		return -EINVAL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_warnx("api: libmicrohttpd was built without TLS support");
		return -ENOTSUP;
	}
	*cert = api_read_file(conf->api_tls_cert);
	*key = api_read_file(conf->api_tls_key);
	if (!*cert || !*key) {
		log_msg(LOG_LVL_ERR, "api: cannot read TLS certificate %s or key %s",
			conf->api_tls_cert, conf->api_tls_key);
		free(*cert);
		if (*key)
			explicit_bzero(*key, strlen(*key));
		free(*key);
		*cert = *key = NULL;
		return -EINVAL;
	}
	return 0;
}

int
api_check_tls(const struct conf *conf, char *why, size_t len)
{
	struct MHD_Daemon *d;
	struct api_mtls *m = NULL;
	char *cert = NULL, *key = NULL, *ca = NULL;
	int rc = 0;

	if (!conf->api_enable || (!conf->api_tls_cert[0] && !conf->api_tls_key[0]))
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(why, len, "libmicrohttpd was built without TLS support");
		return -ENOTSUP;
	}
	cert = api_read_file(conf->api_tls_cert);
	if (cert == NULL) {
		rc = -errno;
		snprintf(why, len, "api.tls_cert: cannot read %s: %s", conf->api_tls_cert,
			 strerror(-rc));
		goto out;
	}
	key = api_read_file(conf->api_tls_key);
	if (key == NULL) {
		rc = -errno;
		snprintf(why, len, "api.tls_key: cannot read %s: %s", conf->api_tls_key,
			 strerror(-rc));
		goto out;
	}
	/* The daemon hands both to libmicrohttpd, which parses them when it starts: so does
	 * this check, on a daemon that never listens. */
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request,
			     NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
			     MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
			     MHD_OPTION_END);
	if (d == NULL) {
		snprintf(why, len,
			 "api.tls_cert/api.tls_key: %s and %s are not a PEM certificate and its "
			 "private key",
			 conf->api_tls_cert, conf->api_tls_key);
		rc = -EINVAL;
		goto out;
	}
	MHD_stop_daemon(d);
	/* the client CA and CRL as the daemon reads them */
	if ((rc = api_mtls_load(conf, &ca, &m, why, len)) == 0) {
		free(ca);
		api_mtls_free(m);
	}
out:
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(cert);
	free(key);
	return rc;
}

int
api_http_start(struct api *api)
{
	const struct conf *conf = api->conf;
	char *cert = NULL, *key = NULL, *ca = NULL, why[512];
	int rc = tls_load(conf, &cert, &key);

	if (rc < 0)
		return rc;
	if ((rc = api_mtls_load(conf, &ca, &api->mtls, why, sizeof(why))) < 0) {
		log_msg(LOG_LVL_ERR, "api: %s", why);
		goto out;
	}
	api->listeners = calloc(conf->api_listen.n + conf->api_metrics_listen.n + 1,
				sizeof(*api->listeners));
	if (!api->listeners) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < conf->api_listen.n + conf->api_metrics_listen.n && rc == 0; i++) {
		struct api_listener *l = &api->listeners[api->n_listeners++];
		bool metrics = i >= conf->api_listen.n;

		/* the token-free metrics listeners speak plain HTTP: a scraper on a management
		 * network, nothing that changes or reveals policy */
		rc = listener_start(api, l,
				    metrics ? &conf->api_metrics_listen.v[i - conf->api_listen.n]
					    : &conf->api_listen.v[i],
				    metrics ? NULL : cert, metrics ? NULL : key,
				    metrics ? NULL : ca, metrics, -1);
		if (rc == 0)
			rc = listener_watch(api, l);
	}
out:
	free(ca);
	free(cert);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	return rc;
}

/* What a reload will change: a complete new set of listeners, started but not watched. */
struct api_reconf {
	struct api_listener *listeners;
	size_t n;
	struct api_rl *rl;
	struct api_mtls *mtls; /* the client CA and CRL read again */
};

int
api_reconf_prepare(struct api *api, const struct conf *conf, struct api_reconf **out)
{
	struct api_reconf *rc = calloc(1, sizeof(*rc));
	size_t total = conf->api_listen.n + conf->api_metrics_listen.n;
	char *cert = NULL, *key = NULL, *ca = NULL, why[512];
	int r;

	*out = NULL;
	if (rc == NULL)
		return -ENOMEM;
	/* the files are read again: a renewed certificate (or CRL) at the same path takes
	 * effect */
	r = tls_load(conf, &cert, &key);
	if (r < 0)
		goto fail;
	if ((r = api_mtls_load(conf, &ca, &rc->mtls, why, sizeof(why))) < 0) {
		log_msg(LOG_LVL_ERR, "api: %s", why);
		goto fail;
	}
	rc->listeners = calloc(total + 1, sizeof(*rc->listeners));
	rc->rl = api_rl_new((uint32_t)conf->api_rate, (uint32_t)conf->api_rate_burst,
			    API_RL_CLIENTS);
	if (rc->listeners == NULL || rc->rl == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < total; i++) {
		bool metrics = i >= conf->api_listen.n;
		const struct addr_port *ap =
			metrics ? &conf->api_metrics_listen.v[i - conf->api_listen.n]
				: &conf->api_listen.v[i];
		int lfd = -1;

		/* an address kept across the reload keeps its socket (a duplicate of it, so
		 * that the old daemon serves until the commit): no moment without a listener */
		for (size_t j = 0; j < api->n_listeners && lfd < 0; j++) {
			const struct api_listener *o = &api->listeners[j];

			if (o->lfd >= 0 && addr_port_equal(&o->ap, ap)) {
				lfd = fcntl(o->lfd, F_DUPFD_CLOEXEC, 0);
				if (lfd < 0) {
					r = -errno;
					goto fail;
				}
			}
		}
		rc->n++;
		r = listener_start(api, &rc->listeners[i], ap, metrics ? NULL : cert,
				   metrics ? NULL : key, metrics ? NULL : ca, metrics, lfd);
		if (r < 0)
			goto fail;
	}
	free(ca);
	free(cert);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	*out = rc;
	return 0;
fail:
	free(ca);
	free(cert);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	api_reconf_abort(api, rc);
	return r;
}

void
api_reconf_abort(struct api *api, struct api_reconf *rc)
{
	if (rc == NULL)
		return;
	for (size_t i = 0; i < rc->n; i++)
		listener_stop(api, &rc->listeners[i]);
	free(rc->listeners);
	api_rl_free(rc->rl);
	api_mtls_free(rc->mtls);
	free(rc);
}

void
api_reconf_commit(struct api *api, struct api_reconf *rc)
{
	/* the old daemons go (their connections with them; API clients reconnect), the new
	 * ones join the loop */
	api_http_stop(api);
	api->listeners = rc->listeners;
	api->n_listeners = rc->n;
	for (size_t i = 0; i < rc->n; i++)
		if (listener_watch(api, &api->listeners[i]) < 0)
			log_warnx("api: a listener is not served after the reload");
	api_rl_free(api->rl);
	api->rl = rc->rl;
	api_mtls_free(api->mtls);
	api->mtls = rc->mtls;
	free(rc);
}

void
api_http_stop(struct api *api)
{
	for (size_t i = 0; i < api->n_listeners; i++)
		listener_stop(api, &api->listeners[i]);
	FREE_AND_NULL(api->listeners);
	api->n_listeners = 0;
}
