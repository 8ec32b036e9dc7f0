/* SPDX-License-Identifier: MIT */
/* reload.c -- rgw.conf read again at run time: prepared in every subsystem, then in force */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alg/alg.h"
#include "api/api.h"
#include "common/log.h"
#include "dns/dns.h"
#include "reload.h"

static void reload_error(const char *file, unsigned line, const char *msg, void *arg);
static void reload_change(const struct conf_item *it, bool reload, void *arg);

static void
reload_error(const char *file, unsigned line, const char *msg, void *arg)
{
	unsigned *count = arg;

	(*count)++;
	if (line)
		log_warnx("rgwd: reload: %s:%u: %s", file, line, msg);
	else
		log_warnx("rgwd: reload: %s: %s", file, msg);
}

static void
reload_change(const struct conf_item *it, bool reload, void *arg)
{
	(void)arg;
	if (reload)
		log_info("rgwd: reload: %s.%s changed", it->section, it->key);
	else
		log_warnx("rgwd: reload: %s.%s changed but takes effect only at a restart; the "
			  "old value stays in force",
			  it->section, it->key);
}

int
reload_config(const struct reload_target *t, bool *applied)
{
	struct conf *neu = malloc(sizeof(*neu));
	struct dns_reconf *dplan = NULL;
	struct api_reconf *aplan = NULL;
	unsigned errors = 0;
	int rc, n;

	if (neu == NULL)
		return -ENOMEM;
	conf_defaults(neu);
	rc = conf_load(neu, t->path, reload_error, &errors);
	if (rc == -ENOENT && !t->explicit_conf) {
		errors = 0; /* still no file: the built-in defaults, as at the start */
	} else if (rc < 0 && errors == 0) {
		log_warnx("rgwd: reload: %s: %s", t->path, strerror(-rc));
		errors++;
	}
	if (conf_validate(neu, reload_error, &errors) < 0 && errors == 0)
		errors++;
	*applied = false;
	if (errors) {
		log_warnx("rgwd: reload: %s has %u error%s; nothing changed", t->path, errors,
			  errors == 1 ? "" : "s");
		rc = -EINVAL;
		goto out;
	}
	n = conf_reload_merge(t->conf, neu, reload_change, NULL);
	/* with TLS, the certificate files are read again even when the paths stay: a renewed
	 * certificate is the common reason for a reload */
	if (n == 0 && !(t->api != NULL && neu->api_tls_cert[0])) {
		log_info("rgwd: reload: no configuration change to apply");
		rc = 0;
		goto out;
	}
	/* prepare: new sockets, certificates and limits; the old ones still serve */
	if (neu->alg_access_log_file[0] &&
	    strcmp(neu->alg_access_log_file, t->conf->alg_access_log_file) != 0) {
		int fd = open(neu->alg_access_log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			      0640);

		if (fd == -1) {
			log_warn("rgwd: reload: cannot open the access log %s",
				 neu->alg_access_log_file);
			rc = -EINVAL;
			goto out;
		}
		close(fd);
	}
	if (t->dns != NULL && (rc = dns_reconf_prepare(t->dns, t->conf, neu, &dplan)) < 0)
		goto fail;
	if (t->api != NULL && (rc = api_reconf_prepare(t->api, neu, &aplan)) < 0)
		goto fail;
	/* commit: nothing below can fail in a way that leaves a half-applied reload */
	*t->conf = *neu;
	if (dplan != NULL)
		dns_reconf_commit(t->dns, dplan);
	if (aplan != NULL)
		api_reconf_commit(t->api, aplan);
	if (t->alg != NULL)
		alg_reconf(t->alg, t->conf);
	if (!t->debug)
		log_set_level((enum log_level)t->conf->log_level);
	if (log_access_open(t->conf->alg_access_log_file) < 0)
		log_warn("rgwd: reload: cannot open the access log %s",
			 t->conf->alg_access_log_file);
	*applied = true;
	rc = n;
	goto out;
fail:
	log_warnx("rgwd: reload: a subsystem refused the new configuration (%s); nothing changed",
		  strerror(-rc));
	api_reconf_abort(t->api, aplan);
	dns_reconf_abort(t->dns, dplan);
out:
	free(neu);
	return rc;
}
