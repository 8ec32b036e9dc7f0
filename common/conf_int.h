/* SPDX-License-Identifier: MIT */
/* common/conf_int.h -- inside common/conf*.c: where the errors of a configuration go */
#ifndef RGW_COMMON_CONF_INT_H
#define RGW_COMMON_CONF_INT_H

#include "common/conf.h"

/*
 * The errors of one run over a configuration (conf_load's parser, conf_validate's checks):
 * each goes to err when it is set, else to the log, with the source's name and, for the
 * parser, the line (0: the error names keys, not a line).
 */
struct conf_report {
	const char *name; /* the file or source; NULL: "config" */
	conf_error_cb err;
	void *arg;
	unsigned line;
	unsigned errors; /* counted by conf_report */
};

void conf_report(struct conf_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
