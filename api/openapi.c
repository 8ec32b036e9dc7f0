/* SPDX-License-Identifier: MIT */
/* api/openapi.c -- the OpenAPI document, api/openapi.json embedded at build time */
#include "internal.h"

/*
 * .incbin keeps the checked-in JSON file the only copy: no generated C string to drift.
 * The path is relative to the top of the tree, where make runs the compiler; the Makefile
 * names api/openapi.json as a prerequisite of this object.
 */
__asm__(".section .rodata\n"
	".global api_openapi_json_data\n"
	".type api_openapi_json_data, @object\n"
	".balign 16\n"
	"api_openapi_json_data:\n"
	".incbin \"api/openapi.json\"\n"
	".byte 0\n"
	".size api_openapi_json_data, . - api_openapi_json_data\n"
	".previous\n");

extern const char api_openapi_json_data[];

const char *
api_openapi_text(void)
{
	return api_openapi_json_data;
}
