/* SPDX-License-Identifier: MIT */
/* alg/name.c -- parse result names and hostname validation */
#include "name.h"

#include <stdbool.h>

const char *
alg_parse_name(enum alg_parse r)
{
	switch (r) {
	case ALG_PARSE_FOUND:
		return "found";
	case ALG_PARSE_NEED_MORE:
		return "need-more";
	case ALG_PARSE_INVALID:
		return "invalid";
	case ALG_PARSE_NO_NAME:
		return "no-name";
	case ALG_PARSE_TOO_BIG:
		return "too-big";
	}
	return "?";
}

enum alg_parse
alg_name_canon(const uint8_t *name, size_t len, char out[ALG_NAME_MAX])
{
	size_t i, label_len = 0;
	bool label_numeric = true;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > ALG_NAME_MAX - 1)
		return ALG_PARSE_INVALID;
	for (i = 0; i < len; i++) {
		uint8_t c = name[i];

		if (c == '.') {
			/* empty label, or a label ending in '-' */
			if (label_len == 0 || name[i - 1] == '-')
				return ALG_PARSE_INVALID;
			label_len = 0;
			label_numeric = true;
			out[i] = '.';
			continue;
		}
		if (c >= 'A' && c <= 'Z') {
			c = (uint8_t)(c - 'A' + 'a');
		} else if (c == '-') {
			if (label_len == 0)
				return ALG_PARSE_INVALID;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			return ALG_PARSE_INVALID;
		}
		if (c < '0' || c > '9')
			label_numeric = false;
		if (++label_len > 63)
			return ALG_PARSE_INVALID;
		out[i] = (char)c;
	}
	if (label_len == 0 || name[len - 1] == '-')
		return ALG_PARSE_INVALID;
	out[len] = '\0';
	/* No top-level domain is all digits: this is an IPv4 literal, which is not routable. */
	if (label_numeric)
		return ALG_PARSE_NO_NAME;
	return ALG_PARSE_FOUND;
}
