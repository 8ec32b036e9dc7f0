/* SPDX-License-Identifier: MIT */
/* alg/http_host_fuzz.c -- libFuzzer target: HTTP/1.x Host parser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alg/http_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[ALG_NAME_MAX];
	enum alg_parse r = alg_http_host_parse(data, size, name);

	if (r == ALG_PARSE_FOUND) {
		size_t n = strlen(name);

		if (n == 0 || n > 253)
			abort();
	}
	return 0;
}
