/* SPDX-License-Identifier: MIT */
/* alg/sni_fuzz.c -- libFuzzer target: TLS ClientHello SNI parser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alg/sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[ALG_NAME_MAX];
	enum alg_parse r = alg_sni_parse(data, size, name);

	/* a name is canonical; and no prefix of an input may claim more than the whole */
	if (r == ALG_PARSE_FOUND) {
		size_t n = strlen(name);

		if (n == 0 || n > 253)
			abort();
		for (size_t i = 0; i < n; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				abort();
	}
	if (r == ALG_PARSE_NEED_MORE && size > 0 &&
	    alg_sni_parse(data, size - 1, name) != ALG_PARSE_NEED_MORE)
		abort(); /* a prefix of a valid prefix must be a valid prefix */
	return 0;
}
