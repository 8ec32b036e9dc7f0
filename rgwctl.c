/* SPDX-License-Identifier: MIT */
/* rgwctl.c -- command-line client of the rgwd REST policy API */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/util.h"
#include "policy/policy.h"

#define DEFAULT_URL "http://127.0.0.1:8080"
#define RESP_MAX    (64u << 20)

enum {
	EXIT_OK = 0,
	EXIT_API = 1, /* the API answered with an error */
	EXIT_USAGE = 2,
	EXIT_CONNECT = 3, /* no answer */
};

struct ctl {
	char url[512];
	char token[256];
	bool json;
	char host[256];
	char port[8];
	char prefix[256];
};

struct resp {
	int status;
	char *body;
	size_t len;
	char etag[64];
};

static void usage(FILE *f);
static int load_conf_file(struct ctl *c, const char *path);
static int parse_url(struct ctl *c);
static int request(struct ctl *c, const char *method, const char *path, const char *body,
		   struct resp *out);
static int check(struct ctl *c, struct resp *r, int expect);
static int cmd_list(struct ctl *c, const char *path, const char *const *cols);
static void print_table(json_t *items, const char *const *cols);
static char *urlenc(const char *s);
static void put_body(const struct resp *r);

static void
usage(FILE *f)
{
	fputs("usage: rgwctl [--json] [--url URL] [--token TOKEN] COMMAND [ARGS]\n"
	      "\n"
	      "Command-line client of the rgwd REST policy API (docs/api.md).\n"
	      "\n"
	      "Commands:\n"
	      "  host list                         hosts, one per line\n"
	      "  host show FQDN                    one host with services and firewall rules\n"
	      "  host add FQDN ADDR [--ipv6 ADDR] [--comment TEXT] [--group NAME]...\n"
	      "           [--nested ADDR,...] [--dns-port N] [--nested-timeout MS]\n"
	      "                                 ADDR IPv4, or IPv6 for an IPv6-only host;\n"
	      "                                 a nested gateway: the addresses it owns\n"
	      "  host del FQDN\n"
	      "  service list HOST\n"
	      "  service add HOST FQDN [--proto tcp|udp|sctp|icmp|any] [--port N] [--proxy]\n"
	      "                        [--timeout MS]\n"
	      "  service del HOST FQDN\n"
	      "  group list | group add NAME [--comment TEXT] | group del NAME\n"
	      "  zone list\n"
	      "  pool list | pool add ADDR | pool del ADDR\n"
	      "  alg list | alg add HOSTNAME BACKEND:PORT [--port N] | alg del ID\n"
	      "  admission                         the admission policy and its load brackets\n"
	      "  bindings                          live circular-pool bindings\n"
	      "  windows                           resolver cache windows (learnt or pinned)\n"
	      "  window GROUP MS|learn             pin a resolver group's cache window, or learn it\n"
	      "  reputation [--kind KIND]          reputation per resolver group, requestor, host\n"
	      "  reputation override KIND KEY VALUE|clear\n"
	      "  reputation reset KIND KEY\n"
	      "  export                            the whole policy as a bundle, to stdout\n"
	      "  import FILE                       replace the whole policy by FILE ('-': stdin)\n"
	      "  token add NAME [--role ro|rw]     create an API token (default ro); its secret is\n"
	      "                                    printed once\n"
	      "  token del NAME                    revoke a token at once\n"
	      "  status                            version, uptime and counters\n"
	      "  audit                             the newest audit log lines\n"
	      "  raw METHOD PATH [BODY]            any request; BODY '-' reads stdin\n"
	      "\n"
	      "Options:\n"
	      "  --json         print the API's JSON instead of tables (for scripts)\n"
	      "  --url URL      API base URL (default " DEFAULT_URL ")\n"
	      "  --token TOKEN  bearer token\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "The URL and token come from, in order: the options, the environment variables\n"
	      "RGW_API_URL and RGW_API_TOKEN, then the first of ~/.config/rgwctl.conf and\n"
	      "/etc/rgw/rgwctl.conf that exists (lines \"url = ...\" and \"token = ...\", '#'\n"
	      "comments). Keep that file private: the token grants access to the policy.\n"
	      "\n"
	      "rgwctl speaks plain HTTP, and only to loopback addresses, so that a token never\n"
	      "crosses a network in clear text; reach a remote gateway through an SSH tunnel, or\n"
	      "use curl against its HTTPS listener.\n"
	      "\n"
	      "Exit status: 0 success, 1 the API refused the request (its message is printed),\n"
	      "2 usage error, 3 the API could not be reached.\n"
	      "\n"
	      "Examples:\n"
	      "  rgwctl host add test.gwa.demo 192.168.0.100 --ipv6 fd00::100\n"
	      "  rgwctl host add v6.gwa.demo 2001:db8:2::200\n"
	      "  rgwctl service add test.gwa.demo ssh.test.gwa.demo --proto tcp --port 22\n"
	      "  rgwctl service add test.gwa.demo www.test.gwa.demo --proxy\n"
	      "  rgwctl export > bundle.json && rgwctl import bundle.json\n",
	      f);
}

static int
load_conf_file(struct ctl *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '#' || *k == ';' || *k == '\n' || !*k)
			continue;
		v = strchr(k, '=');
		if (!v)
			continue;
		*v++ = '\0';
		for (e = v + strlen(v); e > v && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = k + strlen(k); e > k && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (strcmp(k, "url") == 0 && !c->url[0])
			util_strlcpy(c->url, v, sizeof(c->url));
		else if (strcmp(k, "token") == 0 && !c->token[0])
			util_strlcpy(c->token, v, sizeof(c->token));
	}
	fclose(f);
	return 0;
}

static int
parse_url(struct ctl *c)
{
	const char *p = c->url, *h, *slash, *colon;
	size_t hl;

	if (strncmp(p, "https://", 8) == 0) {
		fprintf(stderr, "rgwctl: HTTPS is not supported (see rgwctl --help); use an SSH "
				"tunnel to the gateway's loopback listener\n");
		return -1;
	}
	if (strncmp(p, "http://", 7) != 0) {
		fprintf(stderr, "rgwctl: the URL must start with http://\n");
		return -1;
	}
	h = p + 7;
	slash = strchr(h, '/');
	hl = slash ? (size_t)(slash - h) : strlen(h);
	if (h[0] == '[') {
		const char *rb = memchr(h, ']', hl);
		if (!rb)
			return -1;
		snprintf(c->host, sizeof(c->host), "%.*s", (int)(rb - h - 1), h + 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', hl);
		snprintf(c->host, sizeof(c->host), "%.*s", (int)(colon ? colon - h : (long)hl), h);
	}
	if (colon)
		snprintf(c->port, sizeof(c->port), "%.*s", (int)(h + hl - colon - 1), colon + 1);
	else
		util_strlcpy(c->port, "80", sizeof(c->port));
	util_strlcpy(c->prefix, slash ? slash : "", sizeof(c->prefix));
	hl = strlen(c->prefix);
	if (hl && c->prefix[hl - 1] == '/')
		c->prefix[hl - 1] = '\0';
	return 0;
}

static bool
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
			24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One HTTP/1.1 exchange with Connection: close; the whole response is read. */
static int
request(struct ctl *c, const char *method, const char *path, const char *body, struct resp *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	struct timeval tv = { .tv_sec = 30 };
	char head[2048];
	char *buf = NULL, *hdr_end, *line;
	size_t len = 0, cap = 0;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	rc = getaddrinfo(c->host, c->port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "rgwctl: %s: %s\n", c->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (!is_loopback(ai->ai_addr))
			continue;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "rgwctl: cannot connect to %s (loopback only): %s\n", c->url,
			strerror(errno ? errno : EADDRNOTAVAIL));
		return -1;
	}
	{
		int n = snprintf(head, sizeof(head),
				 "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n"
				 "Accept: application/json\r\nUser-Agent: rgwctl/" RGW_VERSION
				 "\r\n",
				 method, c->prefix, path, c->host, c->port);
		if (n > 0 && (size_t)n < sizeof(head) && c->token[0])
			n += snprintf(head + n, sizeof(head) - (size_t)n,
				      "Authorization: Bearer %s\r\n", c->token);
		if (n > 0 && (size_t)n < sizeof(head) && body)
			n += snprintf(head + n, sizeof(head) - (size_t)n,
				      "Content-Type: application/json\r\nContent-Length: %zu\r\n",
				      strlen(body));
		if (n > 0 && (size_t)n < sizeof(head))
			n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
		if (n <= 0 || (size_t)n >= sizeof(head)) {
			fprintf(stderr, "rgwctl: request line too long\n");
			close(fd);
			return -1;
		}
	}
	if (send_all(fd, head, strlen(head)) < 0 ||
	    (body && send_all(fd, body, strlen(body)) < 0)) {
		fprintf(stderr, "rgwctl: sending the request failed: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb;
			cap = cap ? cap * 2 : 16384;
			if (cap > RESP_MAX || !(nb = realloc(buf, cap + 1))) {
				fprintf(stderr, "rgwctl: response too large\n");
				goto fail;
			}
			buf = nb;
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "rgwctl: reading the response failed: %s\n",
				strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (!buf)
		goto bad;
	buf[len] = '\0';
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1)
		goto bad;
	*hdr_end = '\0';
	for (line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "ETag:", 5) == 0) {
			const char *v = line + 7;
			while (*v == ' ')
				v++;
			snprintf(out->etag, sizeof(out->etag), "%.*s", (int)strcspn(v, "\r"), v);
		}
	}
	out->len = len - (size_t)(hdr_end + 4 - buf);
	out->body = malloc(out->len + 1);
	if (!out->body)
		goto fail;
	memcpy(out->body, hdr_end + 4, out->len);
	out->body[out->len] = '\0';
	free(buf);
	return 0;
bad:
	fprintf(stderr, "rgwctl: malformed HTTP response\n");
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

/* Print the API's error message for a status other than expect. 0 or an exit code. */
static int
check(struct ctl *c, struct resp *r, int expect)
{
	json_t *j;

	(void)c;
	if (r->status == expect || (expect == 200 && r->status == 201))
		return 0;
	j = json_loads(r->body ? r->body : "", 0, NULL);
	if (j && json_is_string(json_object_get(j, "message"))) {
		const char *field = json_string_value(json_object_get(j, "field"));
		fprintf(stderr, "rgwctl: %d %s: %s%s%s\n", r->status,
			json_string_value(json_object_get(j, "error")), field ? field : "",
			field ? ": " : "", json_string_value(json_object_get(j, "message")));
	} else {
		fprintf(stderr, "rgwctl: HTTP %d\n", r->status);
	}
	json_decref(j);
	return EXIT_API;
}

static void
print_value(json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_null(v) || !v)
		fputs("-", stdout);
	else if (json_is_array(v) && json_array_size(v) == 0)
		fputs("-", stdout);
	else {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fputs(t ? t : "?", stdout);
		free(t);
	}
}

static void
print_table(json_t *items, const char *const *cols)
{
	size_t i, k, ncols = 0, width[16] = { 0 };
	json_t *row;

	while (ncols < 16 && cols[ncols])
		ncols++;
	for (k = 0; k < ncols; k++)
		width[k] = strlen(cols[k]);
	json_array_foreach(items, i, row)
	{
		for (k = 0; k < ncols; k++) {
			json_t *v = json_object_get(row, cols[k]);
			size_t w = json_is_string(v) ? strlen(json_string_value(v)) : 6;
			if (w > width[k])
				width[k] = MIN(w, (size_t)48);
		}
	}
	for (k = 0; k < ncols; k++)
		printf("%-*s%s", (int)width[k], cols[k], k + 1 < ncols ? "  " : "\n");
	json_array_foreach(items, i, row)
	{
		for (k = 0; k < ncols; k++) {
			json_t *v = json_object_get(row, cols[k]);
			if (json_is_string(v))
				printf("%-*s", (int)width[k], json_string_value(v));
			else {
				char *t = v && !json_is_null(v)
						  ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
						  : NULL;
				printf("%-*s", (int)width[k], t ? t : "-");
				free(t);
			}
			fputs(k + 1 < ncols ? "  " : "\n", stdout);
		}
	}
}

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
show_json(struct ctl *c, struct resp *r, const char *const *cols)
{
	json_t *j = json_loadb(r->body, r->len, 0, NULL);

	if (c->json || !j) {
		put_body(r);
		json_decref(j);
		return EXIT_OK;
	}
	if (cols && json_is_array(json_object_get(j, "items"))) {
		print_table(json_object_get(j, "items"), cols);
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(j, key, v)
		{
			printf("%-20s ", key);
			print_value(v);
			putchar('\n');
		}
	}
	json_decref(j);
	return EXIT_OK;
}

static int
do_req(struct ctl *c, const char *method, const char *path, json_t *body, int expect,
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
	rc = check(c, &r, expect);
	if (rc == 0 && r.len)
		rc = show_json(c, &r, cols);
	else if (rc == 0 && !c->json && expect == 204)
		printf("ok\n");
	free(r.body);
	return rc;
}

static int
cmd_list(struct ctl *c, const char *path, const char *const *cols)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s%slimit=10000", path, strchr(path, '?') ? "&" : "?");
	return do_req(c, "GET", p, NULL, 200, cols);
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

/* Dispatch argv (after the options) to a request. */
static int
run(struct ctl *c, int argc, char **argv)
{
	static const char *const host_cols[] = { "id", "fqdn", "ipv4", "ipv6", "groups", NULL };
	static const char *const svc_cols[] = { "id",	"fqdn",		  "protocol",
						"port", "proxy_required", NULL };
	static const char *const group_cols[] = { "id", "name", "comment", NULL };
	static const char *const zone_cols[] = { "id", "name", "kind", "ttl", NULL };
	static const char *const pool_cols[] = { "id", "address", NULL };
	static const char *const alg_cols[] = { "id",	   "hostname", "port",
						"backend", "preserve", NULL };
	static const char *const bind_cols[] = { "public",    "protocol",   "port",
						 "host",      "private",    "flows",
						 "window_ms", "expires_ms", NULL };
	static const char *const win_cols[] = { "entity", "state",  "window_ms",
						"clean",  "cached", NULL };
	static const char *const rep_cols[] = { "kind", "key", "value", "override", NULL };
	static const char *const audit_cols[] = {
		"id", "ts_ms", "actor", "action", "resource", NULL
	};
	const char *cmd = argc > 0 ? argv[0] : NULL, *sub = argc > 1 ? argv[1] : "list";
	char path[1024];
	int rc = EXIT_USAGE;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "host") == 0) {
		if (strcmp(sub, "list") == 0)
			return cmd_list(c, "/api/v1/hosts", host_cols);
		if (strcmp(sub, "show") == 0 && argc == 3) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/hosts/%s", k);
			free(k);
			return do_req(c, "GET", path, NULL, 200, NULL);
		}
		if (strcmp(sub, "del") == 0 && argc == 3) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/hosts/%s", k);
			free(k);
			return do_req(c, "DELETE", path, NULL, 204, NULL);
		}
		if (strcmp(sub, "add") == 0 && argc >= 4) {
			/* an IPv6 address alone: an IPv6-only host */
			json_t *b = json_pack("{s:s,s:s}", "fqdn", argv[2],
					      strchr(argv[3], ':') ? "ipv6" : "ipv4", argv[3]);
			json_t *groups = json_array();
			for (int i = 4; i < argc; i++) {
				long v;
				if (i + 1 < argc && strcmp(argv[i], "--nested") == 0)
					nested_opt(b, "addresses", argv[++i], 0);
				else if (i + 1 < argc && strcmp(argv[i], "--dns-port") == 0 &&
					 util_parse_long(argv[i + 1], 1, 65535, &v) == 0)
					nested_opt(b, "dns_port", argv[++i], v);
				else if (i + 1 < argc && strcmp(argv[i], "--nested-timeout") == 0 &&
					 util_parse_long(argv[i + 1], 1, 3600000, &v) == 0)
					nested_opt(b, "binding_timeout_ms", argv[++i], v);
				else if (i + 1 < argc && strcmp(argv[i], "--ipv6") == 0)
					json_object_set_new(b, "ipv6", json_string(argv[++i]));
				else if (i + 1 < argc && strcmp(argv[i], "--comment") == 0)
					json_object_set_new(b, "comment", json_string(argv[++i]));
				else if (i + 1 < argc && strcmp(argv[i], "--group") == 0)
					json_array_append_new(groups, json_string(argv[++i]));
				else {
					fprintf(stderr, "rgwctl: host add: unknown option %s\n",
						argv[i]);
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
	} else if (strcmp(cmd, "service") == 0 && argc >= 3) {
		char *h = urlenc(argv[2]);
		snprintf(path, sizeof(path), "/api/v1/hosts/%s/services", h);
		free(h);
		if (strcmp(sub, "list") == 0 && argc == 3)
			return cmd_list(c, path, svc_cols);
		if (strcmp(sub, "del") == 0 && argc == 4) {
			size_t n = strlen(path);
			char *k = urlenc(argv[3]);
			snprintf(path + n, sizeof(path) - n, "/%s", k);
			free(k);
			return do_req(c, "DELETE", path, NULL, 204, NULL);
		}
		if (strcmp(sub, "add") == 0 && argc >= 4) {
			json_t *b = json_pack("{s:s}", "fqdn", argv[3]);
			for (int i = 4; i < argc; i++) {
				long v;
				if (i + 1 < argc && strcmp(argv[i], "--proto") == 0) {
					json_object_set_new(b, "protocol", json_string(argv[++i]));
				} else if (i + 1 < argc && strcmp(argv[i], "--port") == 0 &&
					   util_parse_long(argv[i + 1], 0, 65535, &v) == 0) {
					json_object_set_new(b, "port", json_integer(v));
					i++;
				} else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0 &&
					   util_parse_long(argv[i + 1], 1, 3600000, &v) == 0) {
					json_object_set_new(b, "binding_timeout_ms",
							    json_integer(v));
					i++;
				} else if (strcmp(argv[i], "--proxy") == 0) {
					json_object_set_new(b, "proxy_required", json_true());
				} else {
					fprintf(stderr, "rgwctl: service add: bad option %s\n",
						argv[i]);
					json_decref(b);
					return EXIT_USAGE;
				}
			}
			return do_req(c, "POST", path, b, 201, NULL);
		}
	} else if (strcmp(cmd, "group") == 0) {
		if (strcmp(sub, "list") == 0)
			return cmd_list(c, "/api/v1/groups", group_cols);
		if (strcmp(sub, "add") == 0 && (argc == 3 || argc == 5)) {
			json_t *b = json_pack("{s:s}", "name", argv[2]);
			if (argc == 5 && strcmp(argv[3], "--comment") == 0)
				json_object_set_new(b, "comment", json_string(argv[4]));
			return do_req(c, "POST", "/api/v1/groups", b, 201, NULL);
		}
		if (strcmp(sub, "del") == 0 && argc == 3) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/groups/%s", k);
			free(k);
			return do_req(c, "DELETE", path, NULL, 204, NULL);
		}
	} else if (strcmp(cmd, "zone") == 0 && strcmp(sub, "list") == 0) {
		return cmd_list(c, "/api/v1/zones", zone_cols);
	} else if (strcmp(cmd, "pool") == 0) {
		if (strcmp(sub, "list") == 0)
			return cmd_list(c, "/api/v1/pool-addresses", pool_cols);
		if (strcmp(sub, "add") == 0 && argc == 3)
			return do_req(c, "POST", "/api/v1/pool-addresses",
				      json_pack("{s:s}", "address", argv[2]), 201, NULL);
		if (strcmp(sub, "del") == 0 && argc == 3) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/pool-addresses/%s", k);
			free(k);
			return do_req(c, "DELETE", path, NULL, 204, NULL);
		}
	} else if (strcmp(cmd, "alg") == 0) {
		if (strcmp(sub, "list") == 0)
			return cmd_list(c, "/api/v1/alg-routes", alg_cols);
		if (strcmp(sub, "add") == 0 && (argc == 4 || argc == 6)) {
			long port;
			json_t *b = json_pack("{s:s,s:s}", "hostname", argv[2], "backend", argv[3]);
			if (argc == 6) {
				if (strcmp(argv[4], "--port") != 0 ||
				    util_parse_long(argv[5], 0, 65535, &port) < 0) {
					json_decref(b);
					return EXIT_USAGE;
				}
				json_object_set_new(b, "port", json_integer(port));
			}
			return do_req(c, "POST", "/api/v1/alg-routes", b, 201, NULL);
		}
		if (strcmp(sub, "del") == 0 && argc == 3) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/alg-routes/%s", k);
			free(k);
			return do_req(c, "DELETE", path, NULL, 204, NULL);
		}
	} else if (strcmp(cmd, "admission") == 0 && argc == 1) {
		return do_req(c, "GET", "/api/v1/admission", NULL, 200, NULL);
	} else if (strcmp(cmd, "bindings") == 0 && argc == 1) {
		return do_req(c, "GET", "/api/v1/bindings", NULL, 200, bind_cols);
	} else if (strcmp(cmd, "reputation") == 0) {
		if (argc == 1)
			return do_req(c, "GET", "/api/v1/reputation", NULL, 200, rep_cols);
		if (argc == 3 && strcmp(argv[1], "--kind") == 0) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/reputation?kind=%s", k);
			free(k);
			return do_req(c, "GET", path, NULL, 200, rep_cols);
		}
		if (argc >= 4 && (strcmp(sub, "override") == 0 || strcmp(sub, "reset") == 0)) {
			char *kind = urlenc(argv[2]), *key = urlenc(argv[3]);
			snprintf(path, sizeof(path), "/api/v1/reputation/%s/%s", kind, key);
			free(kind);
			free(key);
			if (strcmp(sub, "reset") == 0 && argc == 4)
				return do_req(c, "DELETE", path, NULL, 204, NULL);
			if (strcmp(sub, "override") == 0 && argc == 5) {
				char *end;
				double v = strtod(argv[4], &end);
				json_t *b;
				if (strcmp(argv[4], "clear") == 0)
					b = json_pack("{s:n}", "override");
				else if (*end == '\0' && end != argv[4])
					b = json_pack("{s:f}", "override", v);
				else
					return EXIT_USAGE;
				return do_req(c, "PUT", path, b, 200, NULL);
			}
		}
	} else if (strcmp(cmd, "export") == 0 && argc == 1) {
		c->json = true;
		return do_req(c, "GET", "/api/v1/bundle?pretty", NULL, 200, NULL);
	} else if (strcmp(cmd, "import") == 0 && argc == 2) {
		char *text = read_input(argv[1]);
		struct resp r;
		if (!text) {
			fprintf(stderr, "rgwctl: cannot read %s: %s\n", argv[1], strerror(errno));
			return EXIT_USAGE;
		}
		rc = request(c, "PUT", "/api/v1/bundle", text, &r);
		free(text);
		if (rc < 0)
			return EXIT_CONNECT;
		rc = check(c, &r, 200);
		if (rc == 0 && !c->json)
			printf("imported %s\n", argv[1]);
		else if (rc == 0)
			put_body(&r);
		free(r.body);
		return rc;
	} else if (strcmp(cmd, "token") == 0 && argc >= 3) {
		if (strcmp(sub, "add") == 0 && (argc == 3 || argc == 5)) {
			json_t *b = json_pack("{s:s}", "name", argv[2]);
			if (argc == 5) {
				if (strcmp(argv[3], "--role") != 0) {
					json_decref(b);
					return EXIT_USAGE;
				}
				json_object_set_new(b, "role", json_string(argv[4]));
			}
			return do_req(c, "POST", "/api/v1/tokens", b, 201, NULL);
		}
		if (strcmp(sub, "del") == 0 && argc == 3) {
			char *k = urlenc(argv[2]);
			snprintf(path, sizeof(path), "/api/v1/tokens/%s", k);
			free(k);
			return do_req(c, "DELETE", path, NULL, 204, NULL);
		}
	} else if (strcmp(cmd, "windows") == 0 && argc == 1) {
		return do_req(c, "GET", "/api/v1/cache-windows", NULL, 200, win_cols);
	} else if (strcmp(cmd, "window") == 0 && argc == 3) {
		long ms;
		char *k = urlenc(argv[1]);
		json_t *b;

		if (strcmp(argv[2], "learn") == 0)
			b = json_pack("{s:n}", "cache_window_ms");
		else if (util_parse_long(argv[2], 0, POL_CACHE_WINDOW_MAX_MS, &ms) == 0)
			b = json_pack("{s:I}", "cache_window_ms", (json_int_t)ms);
		else {
			free(k);
			return EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/api/v1/resolver-groups/%s", k);
		free(k);
		return do_req(c, "PATCH", path, b, 200, NULL);
	} else if (strcmp(cmd, "status") == 0 && argc == 1) {
		return do_req(c, "GET", "/api/v1/status", NULL, 200, NULL);
	} else if (strcmp(cmd, "audit") == 0 && argc == 1) {
		return do_req(c, "GET", "/api/v1/audit", NULL, 200, audit_cols);
	} else if (strcmp(cmd, "raw") == 0 && (argc == 3 || argc == 4)) {
		char *body =
			argc == 4 ? (strcmp(argv[3], "-") == 0 ? read_input("-") : strdup(argv[3]))
				  : NULL;
		struct resp r;
		rc = request(c, argv[1], argv[2], body, &r);
		free(body);
		if (rc < 0)
			return EXIT_CONNECT;
		put_body(&r);
		rc = r.status >= 200 && r.status < 300 ? EXIT_OK : EXIT_API;
		if (rc)
			fprintf(stderr, "rgwctl: HTTP %d\n", r.status);
		free(r.body);
		return rc;
	}
	fprintf(stderr, "rgwctl: unknown or incomplete command (see rgwctl --help)\n");
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c;
	const char *env;
	int opt;

	memset(&c, 0, sizeof(c));
	/* Options stop at the command so that command options (--proto) stay with it. */
	while ((opt = getopt_long(argc, argv, "+hju:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'u':
			util_strlcpy(c.url, optarg, sizeof(c.url));
			break;
		case 't':
			util_strlcpy(c.token, optarg, sizeof(c.token));
			break;
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
	if (!c.url[0] && (env = getenv("RGW_API_URL")))
		util_strlcpy(c.url, env, sizeof(c.url));
	if (!c.token[0] && (env = getenv("RGW_API_TOKEN")))
		util_strlcpy(c.token, env, sizeof(c.token));
	if (!c.url[0] || !c.token[0]) {
		char p[600];
		const char *home = getenv("HOME");
		int rc = -ENOENT;
		if (home) {
			snprintf(p, sizeof(p), "%s/.config/rgwctl.conf", home);
			rc = load_conf_file(&c, p);
		}
		if (rc == -ENOENT)
			load_conf_file(&c, "/etc/rgw/rgwctl.conf");
	}
	if (!c.url[0])
		util_strlcpy(c.url, DEFAULT_URL, sizeof(c.url));
	if (parse_url(&c) < 0)
		return EXIT_USAGE;
	return run(&c, argc - optind, argv + optind);
}
