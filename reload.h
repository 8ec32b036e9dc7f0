/* SPDX-License-Identifier: MIT */
/* reload.h -- rgw.conf read again at run time: prepared in every subsystem, then in force */
#ifndef RGW_RELOAD_H
#define RGW_RELOAD_H

#include <stdbool.h>

#include "common/conf.h"

struct alg;
struct api;
struct dns;

/* The configuration in force and the subsystems that take a new one (NULL: not running). */
struct reload_target {
	struct conf *conf;  /* the configuration in force; replaced when the reload applies */
	const char *path;   /* rgw.conf */
	bool explicit_conf; /* -c given: a missing file is an error */
	bool debug;	    /* -d: the log level stays debug */
	struct dns *dns;
	struct api *api;
	struct alg *alg;
};

/*
 * Read t->path again. Every key that can change at run time (common/conf.c marks them) is
 * prepared in every subsystem first (fallible, nothing visible: new sockets, certificates,
 * limits), then committed in all of them, or aborted in all: the discipline of
 * policy_commit (commit.h). A key that needs a restart is logged and keeps its value.
 * Returns the number of changes put in force with *applied true (with TLS the certificate
 * files are read again even when nothing else changed: 0 changes, applied), 0 with *applied
 * false when nothing changed, or -errno with nothing changed (the reason logged).
 * Loop context.
 */
int reload_config(const struct reload_target *t, bool *applied);

#endif
