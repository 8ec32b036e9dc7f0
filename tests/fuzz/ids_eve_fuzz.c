/* SPDX-License-Identifier: MIT */
/* tests/fuzz/ids_eve_fuzz.c -- libFuzzer target over the EVE records Suricata writes to rgwd */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ids/eve.h"

/*
 * Input: one EVE record as read from the socket (a line or a datagram), and, NUL-terminated,
 * as a timestamp. Nothing may crash, leak or read out of bounds; an alert must come back
 * with addresses of one family and a severity in range.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ids_alert a;
	char *s;

	if (ids_eve_parse((const char *)data, size, &a) == IDS_EVE_ALERT) {
		if (a.src.family != a.dst.family || a.severity < 1 || a.severity > 255 ||
		    memchr(a.sig, '\0', sizeof(a.sig)) == NULL)
			abort();
	}
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)ids_eve_time(s);
	free(s);
	return 0;
}
