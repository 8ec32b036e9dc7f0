/* SPDX-License-Identifier: MIT */
/* common/conf_fuzz.c -- libFuzzer target: rgw.conf parser and address parsers */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ignore(const char *file, unsigned line, const char *msg, void *arg)
{
	(void)file;
	(void)line;
	(void)msg;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;
	char *text = malloc(size + 1);
	struct addr_port ap;
	struct prefix p;
	struct addr a;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	conf_defaults(&c);
	conf_load_string(&c, text, "fuzz", ignore, NULL);
	conf_validate(&c, ignore, NULL);
	addr_parse(text, &a);
	prefix_parse(text, false, &p);
	prefix_parse(text, true, &p);
	addr_port_parse(text, 0, &ap);
	addr_port_parse(text, 53, &ap);
	free(text);
	return 0;
}
