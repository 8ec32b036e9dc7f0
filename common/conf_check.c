/* SPDX-License-Identifier: MIT */
/* common/conf_check.c -- rgw.conf: the checks across keys, and what a reload may change */
#include "common/conf.h"
#include "common/conf_int.h"

#include <errno.h>
#include <string.h>

static void check_ha_tls(struct conf_report *p, const struct conf *c);

bool
conf_ha_tls_on(const struct conf *c)
{
	return c->ha_tls == CONF_HA_TLS_REQUIRED ||
	       (c->ha_tls == CONF_HA_TLS_AUTO && c->api_tls_cert[0] != '\0');
}

/* TLS on the policy channel: a certificate to present, a way to verify the peer's, and no
 * peer check configured for a channel that stays plain (a config that says two things). */
static void
check_ha_tls(struct conf_report *p, const struct conf *c)
{
	bool verify = c->ha_peer_ca[0] != '\0' || c->ha_peer_fingerprint.n > 0;

	if (c->ha_tls == CONF_HA_TLS_REQUIRED && c->api_tls_cert[0] == '\0')
		conf_report(p, "ha.tls is required but api.tls_cert is empty (the policy channel "
			       "presents the API's certificate)");
	else if (conf_ha_tls_on(c) && !verify)
		conf_report(
			p, "ha: TLS on the policy channel (api.tls_cert is set) needs "
			   "ha.peer_ca or ha.peer_fingerprint to verify the peer's certificate, or "
			   "ha.tls = off");
	else if (!conf_ha_tls_on(c) && verify)
		conf_report(
			p,
			"ha.peer_ca/ha.peer_fingerprint are set but the policy channel is plain "
			"(%s): set api.tls_cert and api.tls_key, or remove them",
			c->ha_tls == CONF_HA_TLS_OFF ? "ha.tls = off" : "api.tls_cert is empty");
}

int
conf_validate(const struct conf *c, conf_error_cb err, void *arg)
{
	struct conf_report p = { .name = c->source[0] ? c->source : "rgw.conf",
				 .err = err,
				 .arg = arg };

	if ((c->api_tls_cert[0] != '\0') != (c->api_tls_key[0] != '\0'))
		conf_report(&p, "api.tls_cert and api.tls_key must be set together");
	if (c->api_tls_client_ca[0] != '\0' && c->api_tls_cert[0] == '\0')
		conf_report(&p, "api.tls_client_ca needs HTTPS: set api.tls_cert and api.tls_key");
	if (c->api_tls_client_crl[0] != '\0' && c->api_tls_client_ca[0] == '\0')
		conf_report(&p, "api.tls_client_crl needs api.tls_client_ca");
	if (c->api_enable && c->api_listen.n == 0)
		conf_report(&p, "api.enable is yes but api.listen is empty");
	if (c->dns_enable && c->dns_upstream.n > 0 && c->dns_upstream_timeouts_ms.n == 0)
		conf_report(&p, "dns.upstream is set but dns.upstream_timeouts is empty");
	if (c->alg_enable && c->alg_listen.n == 0 && c->alg_ports.n == 0)
		conf_report(&p, "alg.enable is yes but both alg.listen and alg.ports are empty");
	if (c->ids_enable && !c->nat_enable)
		conf_report(&p,
			    "ids.enable needs nat.enable (flows are torn down and blocked there)");
	if (c->alg_max_conns_per_source > c->alg_max_conns)
		conf_report(
			&p,
			"alg.max_connections_per_source (%ld) exceeds alg.max_connections (%ld)",
			c->alg_max_conns_per_source, c->alg_max_conns);
	if (c->ha_enable) {
		if (c->ha_listen.n != 1)
			conf_report(&p,
				    "ha.enable is yes: ha.listen needs exactly one address:port");
		if (c->ha_peer.n != 1)
			conf_report(&p, "ha.enable is yes: ha.peer needs exactly one address:port");
		if (c->ha_secret_file[0] == '\0')
			conf_report(&p, "ha.enable is yes but ha.secret_file is empty");
		if (c->ha_listen.n == 1 && c->ha_peer.n == 1 &&
		    c->ha_listen.v[0].len == c->ha_peer.v[0].len &&
		    memcmp(&c->ha_listen.v[0].ss, &c->ha_peer.v[0].ss, c->ha_peer.v[0].len) == 0)
			conf_report(&p, "ha.peer is this node's own ha.listen");
		if (!c->api_enable)
			conf_report(
				&p,
				"ha.enable is yes but api.enable is no (the role changes through "
				"the API)");
		check_ha_tls(&p, c);
	}
	for (size_t i = 0; i < c->nat_wan_ifaces.n; i++) {
		for (size_t j = 0; j < c->nat_lan_ifaces.n; j++) {
			if (strcmp(c->nat_wan_ifaces.v[i], c->nat_lan_ifaces.v[j]) == 0)
				conf_report(&p,
					    "interface '%s' is both in nat.wan_interfaces and "
					    "nat.lan_interfaces",
					    c->nat_wan_ifaces.v[i]);
		}
	}
	return p.errors ? -EINVAL : 0;
}

int
conf_reload_merge(const struct conf *old, struct conf *neu, conf_change_cb cb, void *arg)
{
	int n = 0;

	for (const struct conf_item *it = conf_schema; it->key != NULL; it++) {
		const char *a = (const char *)old + it->offset;
		char *b = (char *)neu + it->offset;

		/* conf_defaults zeroes the struct first, so padding and unused tails compare */
		if (memcmp(a, b, it->size) == 0)
			continue;
		if (cb != NULL)
			cb(it, it->reload, arg);
		if (it->reload)
			n++;
		else
			memcpy(b, a, it->size);
	}
	return n;
}
