/* SPDX-License-Identifier: MIT */
/* ctl/settings.c -- rgwctl's connection settings and its configuration file */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/util.h"
#include "settings.h"

int
ctl_settings_load(struct ctl_settings *s, const char *path, bool *found)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
#define K(name, field)                                                                             \
	{ name, offsetof(struct ctl_settings, field), sizeof(((struct ctl_settings *)0)->field) }
		K("url", url),	 K("token", token), K("cacert", cacert), K("pin", pin),
		K("cert", cert), K("key", key),	    K("timeout", url), /* parsed below */
#undef K
	};
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;
	struct stat sb;
	int rc = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return -ENOENT;
		fprintf(stderr, "rgwctl: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	*found = true;
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077))
		fprintf(stderr,
			"rgwctl: warning: %s can be read by others (mode %04o) and holds a "
			"token: chmod 600 %s\n",
			path, (unsigned)(sb.st_mode & 07777), path);
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *e;
		size_t i;

		lineno++;
		if (lineno == 1 && memcmp(k, "\xef\xbb\xbf", 3) == 0)
			k += 3; /* a UTF-8 byte order mark, as some editors write */
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '#' || *k == ';' || *k == '\n' || *k == '\r' || !*k)
			continue;
		v = strchr(k, '=');
		if (!v) {
			fprintf(stderr, "%s:%u: expected key = value\n", path, lineno);
			rc = -EINVAL;
			continue;
		}
		*v++ = '\0';
		for (e = v + strlen(v); e > v && strchr("\r\n \t", e[-1]);)
			*--e = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = k + strlen(k); e > k && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (strcmp(k, keys[i].key) == 0)
				break;
		if (i == ARRAY_SIZE(keys)) {
			fprintf(stderr,
				"%s:%u: unknown key '%s' (known: url, token, cacert, pin, cert, "
				"key, timeout)\n",
				path, lineno, k);
			rc = -EINVAL;
			continue;
		}
		if (strcmp(k, "timeout") == 0) {
			long t;

			if (util_parse_long(v, 1, 3600, &t) < 0) {
				fprintf(stderr, "%s:%u: timeout: seconds, 1..3600\n", path, lineno);
				rc = -EINVAL;
			} else if (s->timeout_s == 0) {
				s->timeout_s = t;
			}
			continue;
		}
		{
			char *field = (char *)s + keys[i].off;

			if (!field[0] && util_strlcpy(field, v, keys[i].size) >= keys[i].size) {
				fprintf(stderr, "%s:%u: %s: too long\n", path, lineno, k);
				rc = -EINVAL;
			}
		}
	}
	fclose(f);
	return rc;
}
