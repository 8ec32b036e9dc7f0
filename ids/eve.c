/* SPDX-License-Identifier: MIT */
/* ids/eve.c -- Suricata EVE JSON: one alert record in, the flow and verdict inputs out (pure) */
#include "eve.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"

static int parse_proto(const char *s, uint8_t *out);
static int get_port(json_t *o, const char *key, uint16_t *out);
static void copy_printable(char *dst, size_t cap, const char *src);
static int digits(const char *s, int n, int *out);

/* Suricata writes the protocol's name when it knows it, else its number. */
static int
parse_proto(const char *s, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {
		{ "TCP", IPPROTO_TCP },		 { "UDP", IPPROTO_UDP },
		{ "SCTP", IPPROTO_SCTP },	 { "ICMP", IPPROTO_ICMP },
		{ "IPv6-ICMP", IPPROTO_ICMPV6 }, { "ICMPv6", IPPROTO_ICMPV6 },
		{ "UDPLITE", IPPROTO_UDPLITE },	 { "GRE", IPPROTO_GRE },
		{ "ESP", IPPROTO_ESP },
	};
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].num;
			return 0;
		}
	if (!isdigit((unsigned char)s[0]))
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 255)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

static int
get_port(json_t *o, const char *key, uint16_t *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t p;

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	p = json_integer_value(v);
	if (p < 0 || p > 65535)
		return -1;
	*out = (uint16_t)p;
	return 0;
}

static void
copy_printable(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t
ids_eve_time(const char *s)
{
	int y, mo, d, h, mi, sec, us = 0, oh = 0, om = 0, i, sign = 1;
	int64_t days, t;
	const char *p;

	if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || s[10] != 'T' || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		int scale = 100000;

		for (i = 1; isdigit((unsigned char)p[i]); i++) {
			if (i <= 6)
				us += (p[i] - '0') * scale;
			scale /= 10;
		}
		if (i == 1)
			return -1;
		p += i;
	}
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || digits(p + (p[3] == ':' ? 4 : 3), 2, &om))
			return -1;
		p += p[3] == ':' ? 6 : 5;
	} else if (*p == 'Z') {
		p++;
	}
	if (*p != '\0' || oh > 23 || om > 59)
		return -1;
	/* days from the civil date (Howard Hinnant's algorithm): no timegm, no TZ */
	{
		int yy = mo <= 2 ? y - 1 : y;
		int era = yy / 400, yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = (int64_t)era * 146097 + doe - 719468;
	}
	t = ((days * 24 + h) * 60 + mi) * 60 + sec - sign * (oh * 3600 + om * 60);
	return t * 1000000 + us;
}

enum ids_eve
ids_eve_parse(const char *data, size_t len, struct ids_alert *out)
{
	json_t *root, *alert, *v;
	json_error_t err;
	const char *s;
	enum ids_eve res = IDS_EVE_INVALID;

	memset(out, 0, sizeof(*out));
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0 || len > IDS_EVE_MAX)
		return IDS_EVE_INVALID;
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return IDS_EVE_INVALID;
	if (!json_is_object(root))
		goto out;
	v = json_object_get(root, "event_type");
	if (!json_is_string(v)) {
		res = IDS_EVE_INVALID;
		goto out;
	}
	if (strcmp(json_string_value(v), "alert") != 0) {
		res = IDS_EVE_OTHER;
		goto out;
	}
	alert = json_object_get(root, "alert");
	if (!json_is_object(alert))
		goto out;
	if ((s = json_string_value(json_object_get(root, "src_ip"))) == NULL ||
	    addr_parse(s, &out->src) < 0)
		goto out;
	if ((s = json_string_value(json_object_get(root, "dest_ip"))) == NULL ||
	    addr_parse(s, &out->dst) < 0 || out->dst.family != out->src.family)
		goto out;
	if ((s = json_string_value(json_object_get(root, "proto"))) == NULL ||
	    parse_proto(s, &out->proto) < 0)
		goto out;
	if (get_port(root, "src_port", &out->sport) < 0 ||
	    get_port(root, "dest_port", &out->dport) < 0)
		goto out;
	out->severity = 3;
	if ((v = json_object_get(alert, "severity")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 255)
			goto out;
		out->severity = (int)json_integer_value(v);
	}
	if ((v = json_object_get(alert, "signature_id")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			goto out;
		out->sid = (uint64_t)json_integer_value(v);
	}
	if ((v = json_object_get(root, "flow_id")) != NULL && json_is_integer(v) &&
	    json_integer_value(v) >= 0)
		out->flow_id = (uint64_t)json_integer_value(v);
	if ((s = json_string_value(json_object_get(root, "timestamp"))) != NULL &&
	    (out->ts_us = ids_eve_time(s)) < 0)
		out->ts_us = 0;
	if ((s = json_string_value(json_object_get(alert, "signature"))) != NULL)
		copy_printable(out->sig, sizeof(out->sig), s);
	if ((s = json_string_value(json_object_get(root, "in_iface"))) != NULL)
		copy_printable(out->iface, sizeof(out->iface), s);
	res = IDS_EVE_ALERT;
out:
	json_decref(root);
	if (res != IDS_EVE_ALERT)
		memset(out, 0, sizeof(*out));
	return res;
}
