/* SPDX-License-Identifier: MIT */
/* rgwctl.c -- command-line client of the rgwd REST policy API (libcurl: HTTP and HTTPS) */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "ctl/out.h"
#include "ctl/settings.h"
#include "policy/policy.h"

#define DEFAULT_URL	"http://127.0.0.1:8080"
#define SYS_CONF	"/etc/rgw/rgwctl.conf"
#define RESP_MAX	(64u << 20)
#define DEFAULT_TIMEOUT 30

enum {
	EXIT_OK = 0,
	EXIT_API = 1, /* the API answered with an error */
	EXIT_USAGE = 2,
	EXIT_CONNECT = 3, /* no answer */
};

/* The connection settings (options, environment, config file) and the session. */
struct ctl {
	struct ctl_settings s;
	bool insecure; /* --insecure: no verification at all (testing only) */
	bool json;
	CURL *curl;
};

struct resp {
	long status;
	char *body;
	size_t len;
	char etag[64];
};

/* One command: "noun verb" (verb may be NULL), argument count range, handler. */
struct cmd {
	const char *noun;
	const char *verb;
	int min_args, max_args; /* after noun and verb; -1: any */
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *params;
	const char *help;
};

static void usage(FILE *f);
static int request(struct ctl *c, const char *method, const char *path, const char *body,
		   struct resp *out);
static int check(const struct resp *r, long expect);
static int do_req(struct ctl *c, const char *method, const char *path, json_t *body, long expect,
		  const char *const *cols);
static char *urlenc(const char *s);
static void put_body(const struct resp *r);
static const struct cmd *find_cmd(int argc, char **argv, int *used);

/* ---- output ---- */

/* A response body as it came, ending with a newline so that the shell prompt or the next
 * command's output starts on a line of its own. */
static void
put_body(const struct resp *r)
{
	fwrite(r->body, 1, r->len, stdout);
	if (r->len > 0 && r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

static int
show(struct ctl *c, const struct resp *r, const char *const *cols)
{
	json_t *j = json_loadb(r->body, r->len, 0, NULL);

	if (c->json || j == NULL) {
		put_body(r);
		json_decref(j);
		return EXIT_OK;
	}
	if (json_is_array(json_object_get(j, "items")))
		ctl_print_table(stdout, json_object_get(j, "items"), cols, 0);
	else if (json_is_array(j))
		ctl_print_table(stdout, j, cols, 0);
	else
		ctl_print_object(stdout, j, 0);
	json_decref(j);
	return EXIT_OK;
}

/* ---- HTTP ---- */

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	char *nb;

	if (r->len + n > RESP_MAX)
		return 0;
	nb = realloc(r->body, r->len + n + 1);
	if (nb == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nitems;

	if (n > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
		const char *v = buf + 5;

		while (*v == ' ')
			v++;
		snprintf(r->etag, sizeof(r->etag), "%.*s", (int)strcspn(v, "\r\n"), v);
	}
	return n;
}

/* Plain HTTP carries the token in clear: only to loopback addresses. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	const struct ctl *c = arg;
	bool loop = false;

	(void)purpose;
	if (a->family == AF_INET)
		loop = (ntohl(((const struct sockaddr_in *)(const void *)&a->addr)
				      ->sin_addr.s_addr) >>
			24) == 127;
	else if (a->family == AF_INET6)
		loop = IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr);
	if (strncmp(c->s.url, "http://", 7) == 0 && !loop) {
		errno = EPERM;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* One exchange; out->body is NUL-terminated (possibly empty). 0, or -1 with the reason
 * printed (nothing reached the API). */
static int
request(struct ctl *c, const char *method, const char *path, const char *body, struct resp *out)
{
	struct curl_slist *h = NULL;
	char url[2048], auth[300], err[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *k = c->curl;
	size_t ul = strlen(c->s.url);

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%.*s%s", (int)(ul && c->s.url[ul - 1] == '/' ? ul - 1 : ul),
		 c->s.url, path);
	curl_easy_reset(k);
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "rgwctl/" RGW_VERSION);
	curl_easy_setopt(k, CURLOPT_TIMEOUT, c->s.timeout_s);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT, MIN(c->s.timeout_s, 10L));
	curl_easy_setopt(k, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(k, CURLOPT_OPENSOCKETDATA, c);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, out);
	if (c->s.cacert[0])
		curl_easy_setopt(k, CURLOPT_CAINFO, c->s.cacert);
	if (c->s.pin[0]) {
		curl_easy_setopt(k, CURLOPT_PINNEDPUBLICKEY, c->s.pin);
		/* a pinned key is the trust anchor: a self-signed certificate is fine */
		if (!c->s.cacert[0])
			curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 0L);
	}
	if (c->s.cert[0])
		curl_easy_setopt(k, CURLOPT_SSLCERT, c->s.cert);
	if (c->s.key[0])
		curl_easy_setopt(k, CURLOPT_SSLKEY, c->s.key);
	if (c->insecure) {
		curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	h = curl_slist_append(h, "Accept: application/json");
	if (c->s.token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->s.token);
		h = curl_slist_append(h, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
	}
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(k);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		if (rc == CURLE_COULDNT_CONNECT && strncmp(c->s.url, "http://", 7) == 0 &&
		    errno == EPERM)
			fprintf(stderr,
				"rgwctl: %s: plain HTTP is refused to addresses other than "
				"loopback (the token would cross the network in clear); use "
				"https://\n",
				c->s.url);
		else
			fprintf(stderr, "rgwctl: %s: %s\n", c->s.url,
				err[0] ? err : curl_easy_strerror(rc));
		free(out->body);
		out->body = NULL;
		return -1;
	}
	curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &out->status);
	if (out->body == NULL)
		out->body = calloc(1, 1);
	return out->body ? 0 : -1;
}

/* The API's error message for a status other than expect: 0 or EXIT_API. */
static int
check(const struct resp *r, long expect)
{
	json_t *j;

	if (r->status == expect || (expect == 200 && r->status == 201))
		return 0;
	j = json_loads(r->body ? r->body : "", 0, NULL);
	if (j && json_is_string(json_object_get(j, "message"))) {
		const char *field = json_string_value(json_object_get(j, "field"));

		fprintf(stderr, "rgwctl: %ld %s: %s%s%s\n", r->status,
			json_string_value(json_object_get(j, "error")), field ? field : "",
			field ? ": " : "", json_string_value(json_object_get(j, "message")));
	} else {
		fprintf(stderr, "rgwctl: HTTP %ld\n", r->status);
	}
	json_decref(j);
	return EXIT_API;
}

static int
do_req(struct ctl *c, const char *method, const char *path, json_t *body, long expect,
       const char *const *cols)
{
	struct resp r;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc;

	json_decref(body);
	rc = request(c, method, path, text, &r);
	free(text);
	if (rc < 0)
		return EXIT_CONNECT;
	rc = check(&r, expect);
	if (rc == 0 && r.len)
		rc = show(c, &r, cols);
	else if (rc == 0 && !c->json && expect == 204)
		printf("ok\n");
	free(r.body);
	return rc;
}

/* host add --nested/--dns-port/--nested-timeout: one key of the host's "nested" object (made on
 * first use); "addresses" takes a comma-separated list, the others the integer v. */
static void
nested_opt(json_t *host, const char *key, const char *arg, long v)
{
	json_t *n = json_object_get(host, "nested");

	if (n == NULL) {
		n = json_object();
		json_object_set_new(host, "nested", n);
	}
	if (strcmp(key, "addresses") == 0) {
		json_t *arr = json_array();
		char *dup = strdup(arg), *save = NULL;

		for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t != NULL;
		     t = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(t));
		free(dup);
		json_object_set_new(n, key, arr);
	} else {
		json_object_set_new(n, key, json_integer(v));
	}
}

static char *
urlenc(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(strlen(s) * 3 + 1), *p = o;

	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~:/", ch)) {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return o;
}

/* prefix + "/" + urlenc(key) into path. */
static void
item_path(char *path, size_t len, const char *prefix, const char *key)
{
	char *k = urlenc(key);

	snprintf(path, len, "%s/%s", prefix, k ? k : "");
	free(k);
}

static char *
read_input(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 65536) {
			char *nd = realloc(data, (cap = cap ? cap * 2 : 131072) + 1);

			if (!nd) {
				free(data);
				data = NULL;
				break;
			}
			data = nd;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (data)
		data[len] = '\0';
	if (f != stdin)
		fclose(f);
	return data;
}

/* ---- commands ---- */

static const char *const host_cols[] = { "id", "fqdn", "ipv4", "ipv6", "groups", NULL };
static const char *const svc_cols[] = { "id", "fqdn", "protocol", "port", "proxy_required", NULL };
static const char *const group_cols[] = { "id", "name", "comment", NULL };
static const char *const zone_cols[] = { "id", "name", "kind", "ttl", NULL };
static const char *const pool_cols[] = { "id", "address", NULL };
static const char *const alg_cols[] = { "id", "hostname", "port", "backend", "preserve", NULL };
static const char *const bind_cols[] = { "public", "protocol",	"port",	      "host", "private",
					 "flows",  "window_ms", "expires_ms", NULL };
static const char *const win_cols[] = { "entity", "state", "window_ms", "clean", "cached", NULL };
static const char *const rep_cols[] = { "kind", "key", "value", "prior", "override", NULL };
static const char *const audit_cols[] = { "id", "ts_ms", "actor", "action", "resource", NULL };
static const char *const token_cols[] = { "name",	"role",	   "created_ms", "last_used_ms",
					  "expires_ms", "expired", NULL };

static int
list(struct ctl *c, const char *path, const char *const *cols)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s%slimit=10000", path, strchr(path, '?') ? "&" : "?");
	return do_req(c, "GET", p, NULL, 200, cols);
}

static int
cmd_host_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return list(c, "/api/v1/hosts", host_cols);
}

static int
cmd_host_show(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	item_path(path, sizeof(path), "/api/v1/hosts", argv[0]);
	return do_req(c, "GET", path, NULL, 200, NULL);
}

static int
cmd_host_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	item_path(path, sizeof(path), "/api/v1/hosts", argv[0]);
	return do_req(c, "DELETE", path, NULL, 204, NULL);
}

static int
cmd_host_add(struct ctl *c, int argc, char **argv)
{
	/* an IPv6 address alone: an IPv6-only host */
	json_t *b = json_pack("{s:s,s:s}", "fqdn", argv[0], strchr(argv[1], ':') ? "ipv6" : "ipv4",
			      argv[1]);
	json_t *groups = json_array();

	for (int i = 2; i < argc; i++) {
		long v;

		if (i + 1 < argc && strcmp(argv[i], "--nested") == 0) {
			nested_opt(b, "addresses", argv[++i], 0);
		} else if (i + 1 < argc && strcmp(argv[i], "--dns-port") == 0 &&
			   util_parse_long(argv[i + 1], 1, 65535, &v) == 0) {
			nested_opt(b, "dns_port", argv[++i], v);
		} else if (i + 1 < argc && strcmp(argv[i], "--nested-timeout") == 0 &&
			   util_parse_long(argv[i + 1], 1, 3600000, &v) == 0) {
			nested_opt(b, "binding_timeout_ms", argv[++i], v);
		} else if (i + 1 < argc && strcmp(argv[i], "--ipv6") == 0) {
			json_object_set_new(b, "ipv6", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--comment") == 0) {
			json_object_set_new(b, "comment", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--group") == 0) {
			json_array_append_new(groups, json_string(argv[++i]));
		} else {
			fprintf(stderr, "rgwctl: host add: unknown option %s\n", argv[i]);
			json_decref(b);
			json_decref(groups);
			return EXIT_USAGE;
		}
	}
	if (json_array_size(groups))
		json_object_set(b, "groups", groups);
	json_decref(groups);
	return do_req(c, "POST", "/api/v1/hosts", b, 201, NULL);
}

static void
svc_path(char *path, size_t len, const char *host)
{
	char *h = urlenc(host);

	snprintf(path, len, "/api/v1/hosts/%s/services", h ? h : "");
	free(h);
}

static int
cmd_service_list(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	svc_path(path, sizeof(path), argv[0]);
	return list(c, path, svc_cols);
}

static int
cmd_service_del(struct ctl *c, int argc, char **argv)
{
	char path[1024], item[1200];

	(void)argc;
	svc_path(path, sizeof(path), argv[0]);
	item_path(item, sizeof(item), path, argv[1]);
	return do_req(c, "DELETE", item, NULL, 204, NULL);
}

static int
cmd_service_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s}", "fqdn", argv[1]);
	char path[1024];

	for (int i = 2; i < argc; i++) {
		long v;

		if (i + 1 < argc && strcmp(argv[i], "--proto") == 0) {
			json_object_set_new(b, "protocol", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--port") == 0 &&
			   util_parse_long(argv[i + 1], 0, 65535, &v) == 0) {
			json_object_set_new(b, "port", json_integer(v));
			i++;
		} else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0 &&
			   util_parse_long(argv[i + 1], 1, 3600000, &v) == 0) {
			json_object_set_new(b, "binding_timeout_ms", json_integer(v));
			i++;
		} else if (strcmp(argv[i], "--proxy") == 0) {
			json_object_set_new(b, "proxy_required", json_true());
		} else {
			fprintf(stderr, "rgwctl: service add: bad option %s\n", argv[i]);
			json_decref(b);
			return EXIT_USAGE;
		}
	}
	svc_path(path, sizeof(path), argv[0]);
	return do_req(c, "POST", path, b, 201, NULL);
}

static int
cmd_group_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return list(c, "/api/v1/groups", group_cols);
}

static int
cmd_group_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s}", "name", argv[0]);

	if (argc == 3 && strcmp(argv[1], "--comment") == 0) {
		json_object_set_new(b, "comment", json_string(argv[2]));
	} else if (argc != 1) {
		json_decref(b);
		fprintf(stderr, "rgwctl: group add NAME [--comment TEXT]\n");
		return EXIT_USAGE;
	}
	return do_req(c, "POST", "/api/v1/groups", b, 201, NULL);
}

static int
cmd_group_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	item_path(path, sizeof(path), "/api/v1/groups", argv[0]);
	return do_req(c, "DELETE", path, NULL, 204, NULL);
}

static int
cmd_zone_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return list(c, "/api/v1/zones", zone_cols);
}

static int
cmd_pool_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return list(c, "/api/v1/pool-addresses", pool_cols);
}

static int
cmd_pool_add(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return do_req(c, "POST", "/api/v1/pool-addresses", json_pack("{s:s}", "address", argv[0]),
		      201, NULL);
}

static int
cmd_pool_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	item_path(path, sizeof(path), "/api/v1/pool-addresses", argv[0]);
	return do_req(c, "DELETE", path, NULL, 204, NULL);
}

static int
cmd_alg_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return list(c, "/api/v1/alg-routes", alg_cols);
}

static int
cmd_alg_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s,s:s}", "hostname", argv[0], "backend", argv[1]);
	long port;

	if (argc == 4) {
		if (strcmp(argv[2], "--port") != 0 ||
		    util_parse_long(argv[3], 0, 65535, &port) < 0) {
			json_decref(b);
			fprintf(stderr, "rgwctl: alg add HOSTNAME BACKEND:PORT [--port N]\n");
			return EXIT_USAGE;
		}
		json_object_set_new(b, "port", json_integer(port));
	} else if (argc != 2) {
		json_decref(b);
		fprintf(stderr, "rgwctl: alg add HOSTNAME BACKEND:PORT [--port N]\n");
		return EXIT_USAGE;
	}
	return do_req(c, "POST", "/api/v1/alg-routes", b, 201, NULL);
}

static int
cmd_alg_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	item_path(path, sizeof(path), "/api/v1/alg-routes", argv[0]);
	return do_req(c, "DELETE", path, NULL, 204, NULL);
}

static int
cmd_admission(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return do_req(c, "GET", "/api/v1/admission", NULL, 200, NULL);
}

static int
cmd_bindings(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return do_req(c, "GET", "/api/v1/bindings", NULL, 200, bind_cols);
}

static int
cmd_windows(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return do_req(c, "GET", "/api/v1/cache-windows", NULL, 200, win_cols);
}

/* window GROUP MS|learn: pin a resolver group's cache window, or let it be learnt */
static int
cmd_window(struct ctl *c, int argc, char **argv)
{
	char path[1024];
	json_t *b;
	long ms;

	(void)argc;
	if (strcmp(argv[1], "learn") == 0) {
		b = json_pack("{s:n}", "cache_window_ms");
	} else if (util_parse_long(argv[1], 0, POL_CACHE_WINDOW_MAX_MS, &ms) == 0) {
		b = json_pack("{s:I}", "cache_window_ms", (json_int_t)ms);
	} else {
		fprintf(stderr, "usage: rgwctl window GROUP MS|learn\n");
		return EXIT_USAGE;
	}
	item_path(path, sizeof(path), "/api/v1/resolver-groups", argv[0]);
	return do_req(c, "PATCH", path, b, 200, NULL);
}

static int
cmd_reputation(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	if (argc == 0)
		return do_req(c, "GET", "/api/v1/reputation", NULL, 200, rep_cols);
	if (argc == 2 && strcmp(argv[0], "--kind") == 0) {
		char *k = urlenc(argv[1]);

		snprintf(path, sizeof(path), "/api/v1/reputation?kind=%s", k ? k : "");
		free(k);
		return do_req(c, "GET", path, NULL, 200, rep_cols);
	}
	fprintf(stderr, "rgwctl: reputation [--kind KIND]\n");
	return EXIT_USAGE;
}

static void
rep_path(char *path, size_t len, const char *kind, const char *key)
{
	char *k = urlenc(kind), *e = urlenc(key);

	snprintf(path, len, "/api/v1/reputation/%s/%s", k ? k : "", e ? e : "");
	free(k);
	free(e);
}

static int
cmd_rep_override(struct ctl *c, int argc, char **argv)
{
	char path[1024], *end;
	double v = strtod(argv[2], &end);
	json_t *b;

	(void)argc;
	if (strcmp(argv[2], "clear") == 0) {
		b = json_pack("{s:n}", "override");
	} else if (*end == '\0' && end != argv[2]) {
		b = json_pack("{s:f}", "override", v);
	} else {
		fprintf(stderr, "rgwctl: reputation override KIND KEY VALUE|clear\n");
		return EXIT_USAGE;
	}
	rep_path(path, sizeof(path), argv[0], argv[1]);
	return do_req(c, "PUT", path, b, 200, NULL);
}

static int
cmd_rep_reset(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	rep_path(path, sizeof(path), argv[0], argv[1]);
	return do_req(c, "DELETE", path, NULL, 204, NULL);
}

static int
cmd_export(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	c->json = true;
	return do_req(c, "GET", "/api/v1/bundle?pretty", NULL, 200, NULL);
}

static int
cmd_import(struct ctl *c, int argc, char **argv)
{
	char *text = read_input(argv[0]);
	struct resp r;
	int rc;

	(void)argc;
	if (!text) {
		fprintf(stderr, "rgwctl: cannot read %s: %s\n", argv[0], strerror(errno));
		return EXIT_USAGE;
	}
	rc = request(c, "PUT", "/api/v1/bundle", text, &r);
	free(text);
	if (rc < 0)
		return EXIT_CONNECT;
	rc = check(&r, 200);
	if (rc == 0 && !c->json)
		printf("imported %s\n", argv[0]);
	else if (rc == 0)
		put_body(&r);
	free(r.body);
	return rc;
}

static int
cmd_token_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return do_req(c, "GET", "/api/v1/tokens", NULL, 200, token_cols);
}

static int
cmd_token_add(struct ctl *c, int argc, char **argv)
{
	json_t *b = json_pack("{s:s}", "name", argv[0]);

	for (int i = 1; i < argc; i++) {
		long secs;

		if (i + 1 < argc && strcmp(argv[i], "--role") == 0) {
			json_object_set_new(b, "role", json_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--expires") == 0 &&
			   util_parse_duration_s(argv[i + 1], 10L * 365 * 86400, &secs) == 0) {
			json_object_set_new(b, "expires_in", json_integer(secs));
			i++;
		} else {
			fprintf(stderr, "rgwctl: token add NAME [--role ro|rw] [--expires "
					"DURATION (3600, 12h, 30d, 2w)]\n");
			json_decref(b);
			return EXIT_USAGE;
		}
	}
	return do_req(c, "POST", "/api/v1/tokens", b, 201, NULL);
}

static int
cmd_token_del(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	(void)argc;
	item_path(path, sizeof(path), "/api/v1/tokens", argv[0]);
	return do_req(c, "DELETE", path, NULL, 204, NULL);
}

static int
cmd_status(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return do_req(c, "GET", "/api/v1/status", NULL, 200, NULL);
}

static int
cmd_audit(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return do_req(c, "GET", "/api/v1/audit", NULL, 200, audit_cols);
}

static int
cmd_raw(struct ctl *c, int argc, char **argv)
{
	char *body =
		argc == 3 ? (strcmp(argv[2], "-") == 0 ? read_input("-") : strdup(argv[2])) : NULL;
	struct resp r;
	int rc;

	rc = request(c, argv[0], argv[1], body, &r);
	free(body);
	if (rc < 0)
		return EXIT_CONNECT;
	put_body(&r);
	rc = r.status >= 200 && r.status < 300 ? EXIT_OK : EXIT_API;
	if (rc)
		fprintf(stderr, "rgwctl: HTTP %ld\n", r.status);
	free(r.body);
	return rc;
}

/* The command table: what rgwctl can do, in the order --help lists it (knotc's cmd_table). */
static const struct cmd cmd_table[] = {
	{ "host", "list", 0, 0, cmd_host_list, "", "hosts, one per line" },
	{ "host", "show", 1, 1, cmd_host_show, "FQDN",
	  "one host with services and firewall rules" },
	{ "host", "add", 2, -1, cmd_host_add,
	  "FQDN ADDR [--ipv6 ADDR] [--comment TEXT] [--group NAME]... [--nested ADDR,...]"
	  " [--dns-port N] [--nested-timeout MS]",
	  "register a private host (ADDR IPv4, or IPv6 for an IPv6-only host); with --nested a "
	  "nested gateway owning ADDR,..." },
	{ "host", "del", 1, 1, cmd_host_del, "FQDN", "remove a host" },
	{ "service", "list", 1, 1, cmd_service_list, "HOST", "the services of a host" },
	{ "service", "add", 2, -1, cmd_service_add,
	  "HOST FQDN [--proto tcp|udp|sctp|icmp|any] [--port N] [--proxy] [--timeout MS]",
	  "add a service name to a host" },
	{ "service", "del", 2, 2, cmd_service_del, "HOST FQDN", "remove a service" },
	{ "group", "list", 0, 0, cmd_group_list, "", "groups" },
	{ "group", "add", 1, 3, cmd_group_add, "NAME [--comment TEXT]", "add a group" },
	{ "group", "del", 1, 1, cmd_group_del, "NAME", "remove a group" },
	{ "zone", "list", 0, 0, cmd_zone_list, "", "zones" },
	{ "pool", "list", 0, 0, cmd_pool_list, "", "circular pool addresses" },
	{ "pool", "add", 1, 1, cmd_pool_add, "ADDR", "add a pool address" },
	{ "pool", "del", 1, 1, cmd_pool_del, "ADDR", "remove a pool address" },
	{ "alg", "list", 0, 0, cmd_alg_list, "", "ALG routes" },
	{ "alg", "add", 2, 4, cmd_alg_add, "HOSTNAME BACKEND:PORT [--port N]", "add an ALG route" },
	{ "alg", "del", 1, 1, cmd_alg_del, "ID", "remove an ALG route" },
	{ "admission", NULL, 0, 0, cmd_admission, "",
	  "the admission policy and its load brackets" },
	{ "bindings", NULL, 0, 0, cmd_bindings, "", "live circular-pool bindings" },
	{ "windows", NULL, 0, 0, cmd_windows, "", "resolver cache windows (learnt or pinned)" },
	{ "window", NULL, 2, 2, cmd_window, "GROUP MS|learn",
	  "pin a resolver group's cache window, or learn it" },
	{ "reputation", "override", 3, 3, cmd_rep_override, "KIND KEY VALUE|clear",
	  "set or clear an administrative override" },
	{ "reputation", "reset", 2, 2, cmd_rep_reset, "KIND KEY", "forget an entity's evidence" },
	{ "reputation", NULL, 0, 2, cmd_reputation, "[--kind KIND]",
	  "reputation per resolver group, requestor, host" },
	{ "export", NULL, 0, 0, cmd_export, "", "the whole policy as a bundle, to stdout" },
	{ "import", NULL, 1, 1, cmd_import, "FILE",
	  "replace the whole policy by FILE ('-': stdin)" },
	{ "token", "list", 0, 0, cmd_token_list, "",
	  "API tokens: name, role, created, last used, expiry (never a secret)" },
	{ "token", "add", 1, 5, cmd_token_add, "NAME [--role ro|rw] [--expires DURATION]",
	  "create a token (default rw); its secret is printed once" },
	{ "token", "del", 1, 1, cmd_token_del, "NAME", "revoke a token at once" },
	{ "status", NULL, 0, 0, cmd_status, "", "version, uptime and counters" },
	{ "audit", NULL, 0, 0, cmd_audit, "", "the newest audit log lines" },
	{ "raw", NULL, 2, 3, cmd_raw, "METHOD PATH [BODY]", "any request; BODY '-' reads stdin" },
};

static const struct cmd *
find_cmd(int argc, char **argv, int *used)
{
	const struct cmd *noun_only = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		const struct cmd *k = &cmd_table[i];

		if (strcmp(argv[0], k->noun) != 0)
			continue;
		if (k->verb && argc > 1 && strcmp(argv[1], k->verb) == 0) {
			*used = 2;
			return k;
		}
		if (!k->verb)
			noun_only = k;
	}
	/* "host" alone means "host list" */
	if (noun_only == NULL && argc == 1) {
		for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
			if (strcmp(argv[0], cmd_table[i].noun) == 0 && cmd_table[i].verb &&
			    strcmp(cmd_table[i].verb, "list") == 0) {
				*used = 1;
				return &cmd_table[i];
			}
		}
	}
	*used = 1;
	return noun_only;
}

static void
usage(FILE *f)
{
	fputs("usage: rgwctl [OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "Command-line client of the rgwd REST policy API (rgwctl(1), docs/api.md).\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		const struct cmd *k = &cmd_table[i];
		char head[160];

		snprintf(head, sizeof(head), "%s%s%s%s%s", k->noun, k->verb ? " " : "",
			 k->verb ? k->verb : "", k->params[0] ? " " : "", k->params);
		if (strlen(head) <= 34)
			fprintf(f, "  %-34s %s\n", head, k->help);
		else
			fprintf(f, "  %s\n  %-34s %s\n", head, "", k->help);
	}
	fputs("\n"
	      "Options:\n"
	      "  --json            print the API's JSON instead of tables (for scripts)\n"
	      "  --url URL         API base URL (default " DEFAULT_URL ")\n"
	      "  --token TOKEN     bearer token (prefer the config file or RGW_API_TOKEN: a\n"
	      "                    command line is visible in ps and shell history)\n"
	      "  --cacert FILE     CA certificate(s) that sign the API's certificate\n"
	      "  --pin SHA256      accept the server whose public key has this hash\n"
	      "                    (\"sha256//BASE64\", as curl --pinnedpubkey; see rgwctl(1))\n"
	      "  --cert FILE       client certificate (PEM) for a TLS front end that asks for one\n"
	      "  --key FILE        its private key (default: in --cert)\n"
	      "  --timeout SECONDS whole-request timeout (default 30)\n"
	      "  --insecure        do not verify the server at all (tests only)\n"
	      "  -V, --version     print the version and exit\n"
	      "  -h, --help        this text\n"
	      "\n"
	      "Settings come from, in order: the options, the environment (RGW_API_URL,\n"
	      "RGW_API_TOKEN), then the first of ~/.config/rgwctl.conf and " SYS_CONF "\n"
	      "that exists: \"key = value\" lines with the keys url, token, cacert, pin, cert,\n"
	      "key and timeout; '#' comments. Unknown keys are an error; rgwctl warns when the\n"
	      "file can be read by others (chmod 600 it: it holds a token).\n"
	      "\n"
	      "Plain http:// is used only towards loopback addresses, so that a token never\n"
	      "crosses a network in clear; give the API tls_cert/tls_key and use https://.\n"
	      "\n"
	      "Exit status: 0 success, 1 the API refused the request (its message is printed),\n"
	      "2 usage error, 3 the API could not be reached.\n"
	      "\n"
	      "Examples:\n"
	      "  rgwctl host add test.gwa.demo 192.168.0.100 --ipv6 fd00::100\n"
	      "  rgwctl host add v6.gwa.demo 2001:db8:2::200\n"
	      "  rgwctl service add test.gwa.demo ssh.test.gwa.demo --proto tcp --port 22\n"
	      "  rgwctl --url https://gw.example:8443 --cacert ca.pem token list\n"
	      "  rgwctl export > bundle.json && rgwctl import bundle.json\n",
	      f);
}

int
main(int argc, char **argv)
{
	enum { OPT_CACERT = 256, OPT_PIN, OPT_CERT, OPT_KEY, OPT_TIMEOUT, OPT_INSECURE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *k;
	struct ctl c;
	const char *env;
	int opt, used, nargs, rc;

	memset(&c, 0, sizeof(c));
	/* Options stop at the command so that command options (--proto) stay with it. */
	while ((opt = getopt_long(argc, argv, "+hjVu:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'u':
			util_strlcpy(c.s.url, optarg, sizeof(c.s.url));
			break;
		case 't':
			util_strlcpy(c.s.token, optarg, sizeof(c.s.token));
			break;
		case OPT_CACERT:
			util_strlcpy(c.s.cacert, optarg, sizeof(c.s.cacert));
			break;
		case OPT_PIN:
			util_strlcpy(c.s.pin, optarg, sizeof(c.s.pin));
			break;
		case OPT_CERT:
			util_strlcpy(c.s.cert, optarg, sizeof(c.s.cert));
			break;
		case OPT_KEY:
			util_strlcpy(c.s.key, optarg, sizeof(c.s.key));
			break;
		case OPT_TIMEOUT:
			if (util_parse_long(optarg, 1, 3600, &c.s.timeout_s) < 0) {
				fprintf(stderr, "rgwctl: --timeout: seconds, 1..3600\n");
				return EXIT_USAGE;
			}
			break;
		case OPT_INSECURE:
			c.insecure = true;
			break;
		case 'V':
			printf("rgwctl %s (%s)\n", RGW_VERSION, curl_version());
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	/* --json is also accepted after the command. */
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	k = find_cmd(argc, argv, &used);
	nargs = argc - used;
	if (k == NULL || nargs < k->min_args || (k->max_args >= 0 && nargs > k->max_args)) {
		if (k != NULL)
			fprintf(stderr, "usage: rgwctl %s%s%s %s\n", k->noun, k->verb ? " " : "",
				k->verb ? k->verb : "", k->params);
		else
			fprintf(stderr, "rgwctl: unknown command '%s' (see rgwctl --help)\n",
				argv[0]);
		return EXIT_USAGE;
	}

	if (!c.s.url[0] && (env = getenv("RGW_API_URL")))
		util_strlcpy(c.s.url, env, sizeof(c.s.url));
	if (!c.s.token[0] && (env = getenv("RGW_API_TOKEN")))
		util_strlcpy(c.s.token, env, sizeof(c.s.token));
	{
		char p[600];
		const char *home = getenv("HOME");
		bool found = false;

		rc = -ENOENT;
		if (home) {
			snprintf(p, sizeof(p), "%s/.config/rgwctl.conf", home);
			rc = ctl_settings_load(&c.s, p, &found);
		}
		if (!found)
			rc = ctl_settings_load(&c.s, SYS_CONF, &found);
		if (rc == -EINVAL)
			return EXIT_USAGE;
	}
	if (!c.s.url[0])
		util_strlcpy(c.s.url, DEFAULT_URL, sizeof(c.s.url));
	if (c.s.timeout_s == 0)
		c.s.timeout_s = DEFAULT_TIMEOUT;
	if (strncmp(c.s.url, "http://", 7) != 0 && strncmp(c.s.url, "https://", 8) != 0) {
		fprintf(stderr, "rgwctl: the URL must start with http:// or https://\n");
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(c.curl = curl_easy_init())) {
		fprintf(stderr, "rgwctl: cannot initialise libcurl\n");
		return EXIT_CONNECT;
	}
	rc = k->fn(&c, nargs, argv + used);
	curl_easy_cleanup(c.curl);
	curl_global_cleanup();
	explicit_bzero(c.s.token, sizeof(c.s.token));
	return rc;
}
