/* SPDX-License-Identifier: MIT */
/* policy/bundle_fuzz.c -- libFuzzer target: bundle parse, and export stability of what parses */
/*
 * Build and run (not part of the library; needs clang and libclang-rt):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     policy/bundle_fuzz.c $(ls policy/*.c common/*.c | grep -v _fuzz.c) \
 *     -ljansson -lsqlite3 -lm -o build/bundle_fuzz
 *   build/bundle_fuzz -max_total_time=120 -max_len=4096 docs/examples
 * Properties: no crash, no leak, no sanitizer report on any input; for an input that
 * parses, export(parse(export(x))) == export(x).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_snap *s = NULL, *s2 = NULL;
	struct pol_err e;
	char *t1, *t2;

	if (pol_bundle_parse((const char *)data, size, &s, &e) != 0) {
		if (s != NULL || memchr(e.msg, '\0', sizeof(e.msg)) == NULL)
			abort();
		return 0;
	}
	t1 = pol_bundle_export_text(s);
	if (t1 == NULL || pol_bundle_parse(t1, strlen(t1), &s2, &e) != 0)
		abort();
	t2 = pol_bundle_export_text(s2);
	if (t2 == NULL || strcmp(t1, t2) != 0)
		abort();
	free(t1);
	free(t2);
	pol_snap_unref(s);
	pol_snap_unref(s2);
	return 0;
}
