/* SPDX-License-Identifier: MIT */
/* ctl/settings.h -- rgwctl's connection settings and its configuration file */
#ifndef RGW_CTL_SETTINGS_H
#define RGW_CTL_SETTINGS_H

#include <stdbool.h>

/* Where rgwctl connects and how it proves who it is; "" / 0: not set. */
struct ctl_settings {
	char url[512];
	char token[256];
	char cacert[512]; /* CA bundle to verify the server with ("" = system store) */
	char pin[256];	  /* "sha256//BASE64[;sha256//...]": the server's public key */
	char cert[512];	  /* client certificate (PEM), for a TLS front end that asks */
	char key[512];	  /* its key ("" = in cert) */
	long timeout_s;
};

/*
 * Read the configuration file path into s: "key = value" lines (url, token, cacert, pin,
 * cert, key, timeout), '#' or ';' comments, a leading UTF-8 BOM skipped. A value already set
 * in s (options, environment) wins. Unknown keys are refused (a typo must not silently drop
 * the CA file); a file others can read is warned about (it holds a token). Problems are
 * printed on stderr as FILE:LINE: message. *found is set when the file exists.
 * 0, -ENOENT (no such file), or -EINVAL (reported).
 */
int ctl_settings_load(struct ctl_settings *s, const char *path, bool *found);

#endif
