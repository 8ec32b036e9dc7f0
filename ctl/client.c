/* SPDX-License-Identifier: MIT */
/* ctl/client.c -- rgwctl's session with the REST API (libcurl: HTTP and HTTPS) */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "client.h"
#include "out.h"

#define RESP_MAX (64u << 20)

static int ctl_show(struct ctl *c, const struct ctl_resp *r, const char *const *cols);
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg);
static size_t on_header(char *buf, size_t size, size_t nitems, void *arg);
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a);

/* ---- output ---- */

/* Ending with a newline so that the shell prompt or the next command's output starts on a
 * line of its own. */
void
ctl_put_body(const struct ctl_resp *r)
{
	fwrite(r->body, 1, r->len, stdout);
	if (r->len > 0 && r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

static int
ctl_show(struct ctl *c, const struct ctl_resp *r, const char *const *cols)
{
	json_t *j = json_loadb(r->body, r->len, 0, NULL);

	if (c->json || j == NULL) {
		ctl_put_body(r);
		json_decref(j);
		return CTL_EXIT_OK;
	}
	if (json_is_array(json_object_get(j, "items")))
		ctl_print_table(stdout, json_object_get(j, "items"), cols, 0);
	else if (json_is_array(j))
		ctl_print_table(stdout, j, cols, 0);
	else
		ctl_print_object(stdout, j, 0);
	json_decref(j);
	return CTL_EXIT_OK;
}

/* ---- HTTP ---- */

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ctl_resp *r = arg;
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
	struct ctl_resp *r = arg;
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

int
ctl_request(struct ctl *c, const char *method, const char *path, const char *body,
	    struct ctl_resp *out)
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

int
ctl_check(const struct ctl_resp *r, long expect)
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
	return CTL_EXIT_API;
}

int
ctl_do_req(struct ctl *c, const char *method, const char *path, json_t *body, long expect,
	   const char *const *cols)
{
	struct ctl_resp r;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc;

	json_decref(body);
	rc = ctl_request(c, method, path, text, &r);
	free(text);
	if (rc < 0)
		return CTL_EXIT_CONNECT;
	rc = ctl_check(&r, expect);
	if (rc == 0 && r.len)
		rc = ctl_show(c, &r, cols);
	else if (rc == 0 && !c->json && expect == 204)
		printf("ok\n");
	free(r.body);
	return rc;
}

char *
ctl_urlenc(const char *s)
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

/* prefix + "/" + ctl_urlenc(key) into path. */
void
ctl_item_path(char *path, size_t len, const char *prefix, const char *key)
{
	char *k = ctl_urlenc(key);

	snprintf(path, len, "%s/%s", prefix, k ? k : "");
	free(k);
}

int
ctl_list(struct ctl *c, const char *path, const char *const *cols)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s%slimit=10000", path, strchr(path, '?') ? "&" : "?");
	return ctl_do_req(c, "GET", p, NULL, 200, cols);
}
