/* SPDX-License-Identifier: MIT */
/* tests/unit/test_alg_parse.c -- SNI and HTTP Host parsers: real vectors, prefixes, malformed */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alg/http_host.h"
#include "alg/name.h"
#include "alg/sni.h"
#include "alg_vectors.h"

typedef enum alg_parse (*parse_fn)(const uint8_t *, size_t, char *);

/* The result for the whole input, then NEED_MORE for every strict prefix (which is also what
 * a client sending one byte at a time produces: the parser re-runs on a growing buffer). */
static void
check_all_prefixes(parse_fn fn, const uint8_t *data, size_t len, enum alg_parse want,
		   const char *want_name)
{
	char name[ALG_NAME_MAX];
	size_t i;
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	for (i = 0; i < len; i++) {
		/* exact-size heap copy: ASan catches any read past the prefix */
		uint8_t *pre = malloc(i ? i : 1);

		assert_non_null(pre);
		memcpy(pre, data, i);
		if (fn(pre, i, name) != ALG_PARSE_NEED_MORE)
			fail_msg("prefix %zu/%zu: %s", i, len, alg_parse_name(fn(pre, i, name)));
		free(pre);
	}
	memcpy(copy, data, len);
	memset(name, 0, sizeof(name));
	assert_string_equal(alg_parse_name(fn(copy, len, name)), alg_parse_name(want));
	if (want_name != NULL)
		assert_string_equal(name, want_name);
	free(copy);
}

/* ---- a ClientHello builder for synthetic vectors ---- */

struct hb {
	uint8_t b[100000];
	size_t len;
};

static void
put(struct hb *h, const void *p, size_t n)
{
	assert_true(h->len + n <= sizeof(h->b));
	memcpy(h->b + h->len, p, n);
	h->len += n;
}

static void
put16(struct hb *h, size_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(h, x, 2);
}

static void
ext_sni(struct hb *e, const char *name)
{
	size_t n = strlen(name);

	put16(e, 0);	 /* type server_name */
	put16(e, n + 5); /* extension length */
	put16(e, n + 3); /* server_name_list length */
	put(e, "\0", 1); /* name_type host_name */
	put16(e, n);	 /* HostName length */
	put(e, name, n);
}

static void
ext_other(struct hb *e, unsigned type, size_t n)
{
	put16(e, type);
	put16(e, n);
	for (size_t i = 0; i < n; i++)
		put(e, "\x5a", 1);
}

/* ClientHello handshake message (header included) around an extensions block. */
static void
hello_msg(struct hb *out, const struct hb *exts)
{
	static const uint8_t fixed[] = {
		0x03, 0x03, /* legacy_version */
		1,    2,    3,	  4,	5,    6,    7,	8,  9,	10, 11, 12, 13, 14, 15, 16, 17,
		18,   19,   20,	  21,	22,   23,   24, 25, 26, 27, 28, 29, 30, 31, 32, /* random */
		0x00,				    /* legacy_session_id */
		0x00, 0x04, 0x13, 0x01, 0x13, 0x02, /* cipher_suites */
		0x01, 0x00,			    /* compression_methods */
	};
	size_t body = sizeof(fixed) + 2 + exts->len;
	uint8_t hdr[4] = { 1, (uint8_t)(body >> 16), (uint8_t)(body >> 8), (uint8_t)body };

	out->len = 0;
	put(out, hdr, 4);
	put(out, fixed, sizeof(fixed));
	put16(out, exts->len);
	put(out, exts->b, exts->len);
}

/* Wrap a handshake message in records of at most `frag` bytes. */
static void
records(struct hb *out, const uint8_t *msg, size_t len, size_t frag)
{
	out->len = 0;
	for (size_t off = 0; off < len; off += frag) {
		size_t n = len - off < frag ? len - off : frag;
		uint8_t hdr[5] = { 0x16, 0x03, 0x01, (uint8_t)(n >> 8), (uint8_t)n };

		put(out, hdr, 5);
		put(out, msg + off, n);
	}
}

static enum alg_parse
sni(const uint8_t *d, size_t n, char *name)
{
	return alg_sni_parse(d, n, name);
}

static enum alg_parse
http(const uint8_t *d, size_t n, char *name)
{
	return alg_http_host_parse(d, n, name);
}

/* ---- TLS ---- */

static void
test_sni_real_tls13(void **state)
{
	(void)state;
	check_all_prefixes(sni, hello_ossl13, sizeof(hello_ossl13), ALG_PARSE_FOUND,
			   "www.example.test");
}

static void
test_sni_real_tls12(void **state)
{
	(void)state;
	check_all_prefixes(sni, hello_ossl12, sizeof(hello_ossl12), ALG_PARSE_FOUND,
			   "www.example.test");
}

static void
test_sni_real_nosni(void **state)
{
	(void)state;
	check_all_prefixes(sni, hello_ossl_nosni, sizeof(hello_ossl_nosni), ALG_PARSE_NO_NAME,
			   NULL);
}

/* Trailing bytes after the ClientHello (early data, the next record) change nothing. */
static void
test_sni_trailing_bytes(void **state)
{
	struct hb h;
	char name[ALG_NAME_MAX];

	(void)state;
	h.len = 0;
	put(&h, hello_ossl13, sizeof(hello_ossl13));
	put(&h, "\x17\x03\x03\x00\x05hello", 10);
	assert_int_equal(alg_sni_parse(h.b, h.len, name), ALG_PARSE_FOUND);
	assert_string_equal(name, "www.example.test");
}

/* The real TLS 1.3 hello re-fragmented into records of every size from 1 to 300 bytes. */
static void
test_sni_records_every_size(void **state)
{
	struct hb r;
	const uint8_t *msg = hello_ossl13 + 5;
	size_t len = sizeof(hello_ossl13) - 5;

	(void)state;
	for (size_t frag = 1; frag <= 300; frag++) {
		records(&r, msg, len, frag);
		check_all_prefixes(sni, r.b, r.len, ALG_PARSE_FOUND, "www.example.test");
	}
}

static void
test_sni_positions(void **state)
{
	struct hb e, m, r;

	(void)state;
	for (int pos = 0; pos < 3; pos++) {
		e.len = 0;
		if (pos == 0)
			ext_sni(&e, "First.Example.");
		ext_other(&e, 10, 8);
		if (pos == 1)
			ext_sni(&e, "First.Example.");
		ext_other(&e, 43, 3);
		if (pos == 2)
			ext_sni(&e, "First.Example."); /* the name is the last byte of the hello */
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		check_all_prefixes(sni, r.b, r.len, ALG_PARSE_FOUND, "first.example");
		records(&r, m.b, m.len, 7);
		check_all_prefixes(sni, r.b, r.len, ALG_PARSE_FOUND, "first.example");
	}
}

static void
test_sni_names(void **state)
{
	static const struct {
		const char *name;
		enum alg_parse want;
	} cases[] = {
		{ "a.b", ALG_PARSE_FOUND },	    { "UPPER.Case.TEST", ALG_PARSE_FOUND },
		{ "192.0.2.1", ALG_PARSE_NO_NAME }, { "a..b", ALG_PARSE_INVALID },
		{ ".a", ALG_PARSE_INVALID },	    { "a.b..", ALG_PARSE_INVALID },
		{ "-a.b", ALG_PARSE_INVALID },	    { "a-.b", ALG_PARSE_INVALID },
		{ "a b.c", ALG_PARSE_INVALID },	    { "a/b.c", ALG_PARSE_INVALID },
		{ "a:443", ALG_PARSE_INVALID },	    { "\xc3\xa9.fi", ALG_PARSE_INVALID },
		{ "x_y.example", ALG_PARSE_FOUND },
	};
	struct hb e, m, r;
	char name[ALG_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.len = 0;
		ext_sni(&e, cases[i].name);
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		assert_string_equal(alg_parse_name(alg_sni_parse(r.b, r.len, name)),
				    alg_parse_name(cases[i].want));
	}
	/* a 64-character label, a 254-character name, an embedded NUL, an empty name */
	{
		char big[300];

		memset(big, 'a', 64);
		strcpy(big + 64, ".fi");
		e.len = 0;
		ext_sni(&e, big);
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
		for (int i = 0; i < 254; i++)
			big[i] = (i % 2) ? '.' : 'a';
		big[253] = 'b';
		big[254] = '\0';
		e.len = 0;
		ext_sni(&e, big);
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
		big[253] = '\0'; /* 253 characters: the longest valid name */
		e.len = 0;
		ext_sni(&e, big);
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_FOUND);
		assert_int_equal(strlen(name), 253);
	}
	{
		/* "evil\0.com": the original truncated at the NUL */
		e.len = 0;
		put16(&e, 0);
		put16(&e, 9 + 5);
		put16(&e, 9 + 3);
		put(&e, "\0", 1);
		put16(&e, 9);
		put(&e, "evil\0.com", 9);
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
		e.len = 0;
		ext_sni(&e, "");
		hello_msg(&m, &e);
		records(&r, m.b, m.len, 16384);
		assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
	}
}

static void
test_sni_entries(void **state)
{
	struct hb e, m, r;
	char name[ALG_NAME_MAX];

	(void)state;
	/* only a non-host_name entry -> no name */
	e.len = 0;
	put16(&e, 0);
	put16(&e, 2 + 3 + 3);
	put16(&e, 3 + 3);
	put(&e, "\x01", 1);
	put16(&e, 3);
	put(&e, "abc", 3);
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	check_all_prefixes(sni, r.b, r.len, ALG_PARSE_NO_NAME, NULL);
	/* a type-1 entry then a host_name -> the host_name */
	e.len = 0;
	put16(&e, 0);
	put16(&e, 2 + 6 + 3 + 5);
	put16(&e, 6 + 3 + 5);
	put(&e, "\x01", 1);
	put16(&e, 3);
	put(&e, "abc", 3);
	put(&e, "\x00", 1);
	put16(&e, 5);
	put(&e, "a.b.c", 5);
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	check_all_prefixes(sni, r.b, r.len, ALG_PARSE_FOUND, "a.b.c");
	/* two host_name entries -> invalid (RFC 6066: one name per type) */
	e.len = 0;
	put16(&e, 0);
	put16(&e, 2 + 6 + 6);
	put16(&e, 6 + 6);
	put(&e,
	    "\x00\x00\x03"
	    "abc"
	    "\x00\x00\x03"
	    "def",
	    12);
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
	/* two server_name extensions -> invalid */
	e.len = 0;
	ext_sni(&e, "a.example");
	ext_sni(&e, "b.example");
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
	/* empty extension block, no extension block */
	e.len = 0;
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	check_all_prefixes(sni, r.b, r.len, ALG_PARSE_NO_NAME, NULL);
	m.len -= 2; /* drop the extensions length */
	m.b[3] = (uint8_t)(m.b[3] - 2);
	records(&r, m.b, m.len, 16384);
	check_all_prefixes(sni, r.b, r.len, ALG_PARSE_NO_NAME, NULL);
	/* zero-length server_name extension (the server-side form) -> invalid */
	e.len = 0;
	ext_other(&e, 0, 0);
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_INVALID);
}

/* Every length field of the real hello, one more and one less: never FOUND; the inner ones
 * (everything after the record/handshake gates) are INVALID at once. */
static void
test_sni_bad_lengths(void **state)
{
	/* offsets of 16-bit (or 8-bit, marked) length fields in hello_ossl13 */
	static const struct {
		size_t off;
		int width;
		int inner;
	} f[] = {
		{ 3, 2, 0 },   /* record length */
		{ 7, 2, 0 },   /* handshake length (low 16 bits) */
		{ 43, 1, 1 },  /* session id length */
		{ 76, 2, 1 },  /* cipher suites length */
		{ 86, 1, 1 },  /* compression length */
		{ 88, 2, 1 },  /* extensions length */
		{ 92, 2, 1 },  /* server_name extension length */
		{ 94, 2, 1 },  /* server_name_list length */
		{ 97, 2, 1 },  /* HostName length */
		{ 117, 2, 1 }, /* ec_point_formats extension length */
	};
	uint8_t v[sizeof(hello_ossl13)];
	char name[ALG_NAME_MAX];

	(void)state;
	/* the offsets above are checked against the vector itself */
	assert_int_equal(hello_ossl13[43], 32);
	assert_int_equal(hello_ossl13[77], 8);
	assert_int_equal(hello_ossl13[89], 0xa0);
	assert_int_equal(hello_ossl13[93], 21);
	assert_int_equal(hello_ossl13[98], 16);
	assert_int_equal(hello_ossl13[116], 0x0b);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		for (int d = -1; d <= 1; d += 2) {
			size_t pos = f[i].off + (size_t)f[i].width - 1;

			memcpy(v, hello_ossl13, sizeof(v));
			v[pos] = (uint8_t)(v[pos] + d);
			enum alg_parse res = alg_sni_parse(v, sizeof(v), name);

			if (f[i].inner)
				assert_string_equal(alg_parse_name(res), "invalid");
			else
				assert_int_not_equal(res, ALG_PARSE_FOUND);
		}
	}
}

static void
test_sni_not_tls(void **state)
{
	char name[ALG_NAME_MAX];
	static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01 };
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
	static const uint8_t server_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0, 0, 0 };
	static const uint8_t bad_version[] = { 0x16, 0x02, 0x00 };
	static const uint8_t empty_record[] = { 0x16, 0x03, 0x01, 0x00, 0x00 };

	(void)state;
	assert_int_equal(alg_sni_parse((const uint8_t *)"GET /", 5, name), ALG_PARSE_INVALID);
	assert_int_equal(alg_sni_parse(sslv2, sizeof(sslv2), name), ALG_PARSE_INVALID);
	assert_int_equal(alg_sni_parse(alert, sizeof(alert), name), ALG_PARSE_INVALID);
	assert_int_equal(alg_sni_parse(server_hello, sizeof(server_hello), name),
			 ALG_PARSE_INVALID);
	assert_int_equal(alg_sni_parse(bad_version, sizeof(bad_version), name), ALG_PARSE_INVALID);
	assert_int_equal(alg_sni_parse(empty_record, sizeof(empty_record), name),
			 ALG_PARSE_INVALID);
	assert_int_equal(alg_sni_parse(hello_ossl13, 0, name), ALG_PARSE_NEED_MORE);
}

static void
test_sni_too_big(void **state)
{
	struct hb e, m, r;
	char name[ALG_NAME_MAX];
	uint8_t v[sizeof(hello_ossl13)];

	(void)state;
	/* a handshake length of 64 KiB is refused as soon as it is seen */
	memcpy(v, hello_ossl13, sizeof(v));
	v[6] = 0x01;
	assert_int_equal(alg_sni_parse(v, sizeof(v), name), ALG_PARSE_TOO_BIG);
	/* 17 KiB of padding: too big; 15 KiB: fine */
	e.len = 0;
	ext_other(&e, 21, 17000);
	ext_sni(&e, "late.example");
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_TOO_BIG);
	e.len = 0;
	ext_other(&e, 21, 15000);
	ext_sni(&e, "late.example");
	hello_msg(&m, &e);
	records(&r, m.b, m.len, 16384);
	assert_int_equal(alg_sni_parse(r.b, r.len, name), ALG_PARSE_FOUND);
	assert_string_equal(name, "late.example");
	/* the same hello in 1-byte records needs 6x the bytes: stops at the input limit */
	records(&r, m.b, m.len, 1);
	assert_int_equal(alg_sni_parse(r.b, ALG_PARSE_MAX, name), ALG_PARSE_TOO_BIG);
}

/* Random mutations of the real vectors: no crash, no read out of bounds (ASan), and a FOUND
 * name is always canonical. */
static void
test_sni_mutations(void **state)
{
	uint8_t v[sizeof(hello_ossl13)];
	char name[ALG_NAME_MAX];
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		memcpy(v, hello_ossl13, sizeof(v));
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245 + 12345;
			v[(seed >> 8) % sizeof(v)] = (uint8_t)(seed >> 20);
		}
		size_t n = (seed >> 4) % (sizeof(v) + 1);
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, v, n);
		if (alg_sni_parse(p, n, name) == ALG_PARSE_FOUND) {
			for (const char *c = name; *c; c++)
				assert_false(*c >= 'A' && *c <= 'Z');
			assert_true(strlen(name) > 0 && strlen(name) <= 253);
		}
		free(p);
	}
}

static void
test_tls_alert(void **state)
{
	uint8_t a[7];
	static const uint8_t want[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112 };

	(void)state;
	assert_int_equal(alg_tls_alert(ALG_TLS_ALERT_UNRECOGNIZED_NAME, a), 7);
	assert_memory_equal(a, want, 7);
}

/* ---- HTTP ---- */

static void
check_http(const char *req, enum alg_parse want, const char *want_name)
{
	check_all_prefixes(http, (const uint8_t *)req, strlen(req), want, want_name);
}

static void
test_http_good(void **state)
{
	(void)state;
	check_http("GET / HTTP/1.1\r\nHost: www.Example.test\r\n\r\n", ALG_PARSE_FOUND,
		   "www.example.test");
	check_http("GET /x?y=1 HTTP/1.1\r\nUser-Agent: curl/7.88\r\nhOsT:app.gwa.demo.:8080  \r\n"
		   "Accept: */*\r\n\r\n",
		   ALG_PARSE_FOUND, "app.gwa.demo");
	check_http("POST / HTTP/1.1\r\nHost:\tb.example\t\r\nContent-Length: 3\r\n\r\n",
		   ALG_PARSE_FOUND, "b.example");
	{
		/* the body after the header section changes nothing */
		static const char body[] = "POST / HTTP/1.1\r\nHost: b.example\r\n"
					   "Content-Length: 3\r\n\r\nabc";
		char name[ALG_NAME_MAX];

		assert_int_equal(alg_http_host_parse((const uint8_t *)body, sizeof(body) - 1, name),
				 ALG_PARSE_FOUND);
		assert_string_equal(name, "b.example");
	}
	/* bare LF, leading empty line */
	check_http("\r\nGET / HTTP/1.1\nHost: lf.example\n\n", ALG_PARSE_FOUND, "lf.example");
	/* obs-fold in another field is tolerated */
	check_http("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\nHost: f.example\r\n\r\n", ALG_PARSE_FOUND,
		   "f.example");
	/* absolute-form wins over Host (RFC 9112 3.2.2) */
	check_http("GET http://abs.example:81/p HTTP/1.1\r\nHost: other.example\r\n\r\n",
		   ALG_PARSE_FOUND, "abs.example");
	check_http("GET HTTPS://abs.example HTTP/1.1\r\nHost: other.example\r\n\r\n",
		   ALG_PARSE_FOUND, "abs.example");
	/* not the Host field */
	check_http("GET / HTTP/1.1\r\nHostname: no.example\r\nX-Host: no2.example\r\n"
		   "Host: yes.example\r\n\r\n",
		   ALG_PARSE_FOUND, "yes.example");
}

static void
test_http_no_name(void **state)
{
	(void)state;
	check_http("GET / HTTP/1.0\r\n\r\n", ALG_PARSE_NO_NAME, NULL);
	check_http("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", ALG_PARSE_NO_NAME, NULL);
	check_http("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", ALG_PARSE_NO_NAME, NULL);
	check_http("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", ALG_PARSE_NO_NAME, NULL);
	check_http("GET / HTTP/1.1\r\nHost: 192.0.2.7:80\r\n\r\n", ALG_PARSE_NO_NAME, NULL);
	check_http("GET / HTTP/1.1\r\nHost: \r\n\r\n", ALG_PARSE_NO_NAME, NULL);
}

static void
test_http_invalid(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n\r\n", /* 1.1 without Host */
		"GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.exa\r\n mple\r\n\r\n", /* folded Host */
		"GET / HTTP/1.1\r\nHost : a.example\r\n\r\n",
		"GET / HTTP/1.1\r\n X: y\r\nHost: a.example\r\n\r\n", /* fold before any field */
		"GET / HTTP/1.1\r\nBad Name: x\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/1.1\r\nNoColon\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example:80x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a.example:123456\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: user@a.example\r\n\r\n",
		"GET http://u@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
		"GET / http/1.1\r\nHost: a.example\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: a.example\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET /\r\n", /* HTTP/0.9 */
		"GET  / HTTP/1.1\r\nHost: a.example\r\n\r\n",
		"GET /a\"b HTTP/1.1\r\nHost: a.example\r\n\r\n" + 0,
		"GET / HTTP/1.1\rHost: a.example\r\n\r\n",
		"\x16\x03\x01\x00\x05",
		"G(T / HTTP/1.1\r\n",
	};
	char name[ALG_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum alg_parse r = alg_http_host_parse((const uint8_t *)bad[i],
						       strlen(bad[i]) ? strlen(bad[i]) : 2, name);

		if (i == 19) /* '"' is a visible character; only CTLs and space are refused */
			continue;
		if (r != ALG_PARSE_INVALID)
			fail_msg("case %zu: %s", i, alg_parse_name(r));
	}
}

static void
test_http_too_big(void **state)
{
	char *req = malloc(20000);
	char name[ALG_NAME_MAX];
	size_t n;

	(void)state;
	n = (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: a.example\r\n");
	while (n < 17000)
		n += (size_t)sprintf(req + n, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	n += (size_t)sprintf(req + n, "\r\n");
	assert_int_equal(alg_http_host_parse((uint8_t *)req, n, name), ALG_PARSE_TOO_BIG);
	assert_int_equal(alg_http_host_parse((uint8_t *)req, ALG_PARSE_MAX, name),
			 ALG_PARSE_TOO_BIG);
	assert_int_equal(alg_http_host_parse((uint8_t *)req, ALG_PARSE_MAX - 1, name),
			 ALG_PARSE_NEED_MORE);
	free(req);
}

static void
test_http_mutations(void **state)
{
	static const char base[] = "GET /index.html HTTP/1.1\r\nHost: www.example.test:8080\r\n"
				   "User-Agent: t\r\nAccept: */*\r\n\r\n";
	uint8_t v[sizeof(base) - 1];
	char name[ALG_NAME_MAX];
	unsigned seed = 777;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		memcpy(v, base, sizeof(v));
		for (int k = 0; k < 1 + i % 3; k++) {
			seed = seed * 1103515245 + 12345;
			v[(seed >> 8) % sizeof(v)] = (uint8_t)(seed >> 20);
		}
		size_t n = (seed >> 4) % (sizeof(v) + 1);
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, v, n);
		if (alg_http_host_parse(p, n, name) == ALG_PARSE_FOUND)
			assert_true(strlen(name) > 0 && strlen(name) <= 253);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni_real_tls13),
		cmocka_unit_test(test_sni_real_tls12),
		cmocka_unit_test(test_sni_real_nosni),
		cmocka_unit_test(test_sni_trailing_bytes),
		cmocka_unit_test(test_sni_records_every_size),
		cmocka_unit_test(test_sni_positions),
		cmocka_unit_test(test_sni_names),
		cmocka_unit_test(test_sni_entries),
		cmocka_unit_test(test_sni_bad_lengths),
		cmocka_unit_test(test_sni_not_tls),
		cmocka_unit_test(test_sni_too_big),
		cmocka_unit_test(test_sni_mutations),
		cmocka_unit_test(test_tls_alert),
		cmocka_unit_test(test_http_good),
		cmocka_unit_test(test_http_no_name),
		cmocka_unit_test(test_http_invalid),
		cmocka_unit_test(test_http_too_big),
		cmocka_unit_test(test_http_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
