/* SPDX-License-Identifier: MIT */
/* rgwctl.c -- command-line client of the rgwd REST policy API (libcurl: HTTP and HTTPS) */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ctl/client.h"
#include "ctl/cmd_admin.h"
#include "ctl/cmd_policy.h"
#include "ctl/cmd_tenant.h"
#include "ctl/settings.h"
#include "ctl/tenant.h"

#define DEFAULT_URL	"http://127.0.0.1:8080"
#define SYS_CONF	"/etc/rgw/rgwctl.conf"
#define DEFAULT_TIMEOUT 30

/* One command: "noun verb" (verb may be NULL), argument count range, handler. */
struct cmd {
	const char *noun;
	const char *verb;
	int min_args, max_args; /* after noun and verb; -1: any */
	int (*fn)(struct ctl *c, int argc, char **argv);
	const char *params;
	const char *help;
};

static void usage(FILE *f);
static const struct cmd *find_cmd(int argc, char **argv, int *used);
static int settings_complete(struct ctl_settings *s);

/* The command table: what rgwctl can do, in the order --help lists it (knotc's cmd_table). */
static const struct cmd cmd_table[] = {
	{ "host", "list", 0, 0, ctl_cmd_host_list, "", "hosts, one per line" },
	{ "host", "show", 1, 1, ctl_cmd_host_show, "FQDN",
	  "one host with services and firewall rules" },
	{ "host", "add", 2, -1, ctl_cmd_host_add,
	  "FQDN ADDR [--ipv6 ADDR] [--comment TEXT] [--group NAME]... [--nested ADDR,...]"
	  " [--dns-port N] [--nested-timeout MS]",
	  "register a private host (ADDR IPv4, or IPv6 for an IPv6-only host); with --nested a "
	  "nested gateway owning ADDR,..." },
	{ "host", "del", 1, 1, ctl_cmd_host_del, "FQDN", "remove a host" },
	{ "service", "list", 1, 1, ctl_cmd_service_list, "HOST", "the services of a host" },
	{ "service", "add", 2, -1, ctl_cmd_service_add,
	  "HOST FQDN [--proto tcp|udp|sctp|icmp|any] [--port N] [--proxy] [--timeout MS]",
	  "add a service name to a host" },
	{ "service", "del", 2, 2, ctl_cmd_service_del, "HOST FQDN", "remove a service" },
	{ "group", "list", 0, 0, ctl_cmd_group_list, "", "groups" },
	{ "group", "add", 1, 3, ctl_cmd_group_add, "NAME [--comment TEXT]", "add a group" },
	{ "group", "del", 1, 1, ctl_cmd_group_del, "NAME", "remove a group" },
	{ "zone", "list", 0, 0, ctl_cmd_zone_list, "", "zones" },
	{ "pool", "list", 0, 0, ctl_cmd_pool_list, "", "circular pool addresses" },
	{ "pool", "add", 1, 1, ctl_cmd_pool_add, "ADDR", "add a pool address" },
	{ "pool", "del", 1, 1, ctl_cmd_pool_del, "ADDR", "remove a pool address" },
	{ "alg", "list", 0, 0, ctl_cmd_alg_list, "", "ALG routes" },
	{ "alg", "add", 2, 4, ctl_cmd_alg_add, "HOSTNAME BACKEND:PORT [--port N]",
	  "add an ALG route" },
	{ "alg", "del", 1, 1, ctl_cmd_alg_del, "ID", "remove an ALG route" },
	{ "admission", NULL, 0, 0, ctl_cmd_admission, "",
	  "the admission policy and its load brackets" },
	{ "bindings", NULL, 0, 0, ctl_cmd_bindings, "", "live circular-pool bindings" },
	{ "windows", NULL, 0, 0, ctl_cmd_windows, "", "resolver cache windows (learnt or pinned)" },
	{ "window", NULL, 2, 2, ctl_cmd_window, "GROUP MS|learn",
	  "pin a resolver group's cache window, or learn it" },
	{ "reputation", "override", 3, 3, ctl_cmd_rep_override, "KIND KEY VALUE|clear",
	  "set or clear an administrative override" },
	{ "reputation", "reset", 2, 2, ctl_cmd_rep_reset, "KIND KEY",
	  "forget an entity's evidence" },
	{ "reputation", NULL, 0, 2, ctl_cmd_reputation, "[--kind KIND]",
	  "reputation per resolver group, requestor, host" },
	{ "export", NULL, 0, 0, ctl_cmd_export, "", "the whole policy as a bundle, to stdout" },
	{ "import", NULL, 1, 1, ctl_cmd_import, "FILE",
	  "replace the whole policy by FILE ('-': stdin)" },
	{ "token", "list", 0, 0, ctl_cmd_token_list, "",
	  "API tokens: name, role, created, last used, expiry (never a secret)" },
	{ "token", "add", 1, 5, ctl_cmd_token_add, "NAME [--role ro|rw] [--expires DURATION]",
	  "create a token (default rw); its secret is printed once" },
	{ "token", "del", 1, 1, ctl_cmd_token_del, "NAME", "revoke a token at once" },
	{ "tenant", "list", 0, 0, ctl_cmd_tenant_list, "",
	  "tenants: domains, realm, tokens, quotas" },
	{ "tenant", "show", 1, 1, ctl_cmd_tenant_show, "NAME", "one tenant" },
	{ "tenant", "set", 3, -1, ctl_cmd_tenant_set, CTL_TENANT_USAGE,
	  "create or replace a tenant: what it owns, its tokens and quotas" },
	{ "tenant", "del", 1, 1, ctl_cmd_tenant_del, "NAME", "delete a tenant" },
	{ "status", NULL, 0, 0, ctl_cmd_status, "", "version, uptime and counters" },
	{ "audit", NULL, 0, 0, ctl_cmd_audit, "", "the newest audit log lines" },
	{ "raw", NULL, 2, 3, ctl_cmd_raw, "METHOD PATH [BODY]",
	  "any request; BODY '-' reads stdin" },
};

static const struct cmd *
find_cmd(int argc, char **argv, int *used)
{
	const struct cmd *noun_only = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		const struct cmd *k = &cmd_table[i];

		if (strcmp(argv[0], k->noun) != 0)
			continue;
		if (k->verb && argc > 1 && strcmp(argv[1], k->verb) == 0) {
			*used = 2;
			return k;
		}
		if (!k->verb)
			noun_only = k;
	}
	/* "host" alone means "host list" */
	if (noun_only == NULL && argc == 1) {
		for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
			if (strcmp(argv[0], cmd_table[i].noun) == 0 && cmd_table[i].verb &&
			    strcmp(cmd_table[i].verb, "list") == 0) {
				*used = 1;
				return &cmd_table[i];
			}
		}
	}
	*used = 1;
	return noun_only;
}

static void
usage(FILE *f)
{
	fputs("usage: rgwctl [OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "Command-line client of the rgwd REST policy API (rgwctl(1), docs/api.md).\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(cmd_table); i++) {
		const struct cmd *k = &cmd_table[i];
		char head[160];

		snprintf(head, sizeof(head), "%s%s%s%s%s", k->noun, k->verb ? " " : "",
			 k->verb ? k->verb : "", k->params[0] ? " " : "", k->params);
		if (strlen(head) <= 34)
			fprintf(f, "  %-34s %s\n", head, k->help);
		else
			fprintf(f, "  %s\n  %-34s %s\n", head, "", k->help);
	}
	fputs("\n"
	      "Options:\n"
	      "  --json            print the API's JSON instead of tables (for scripts)\n"
	      "  --url URL         API base URL (default " DEFAULT_URL ")\n"
	      "  --token TOKEN     bearer token (prefer the config file or RGW_API_TOKEN: a\n"
	      "                    command line is visible in ps and shell history)\n"
	      "  --cacert FILE     CA certificate(s) that sign the API's certificate\n"
	      "  --pin SHA256      accept the server whose public key has this hash\n"
	      "                    (\"sha256//BASE64\", as curl --pinnedpubkey; see rgwctl(1))\n"
	      "  --cert FILE       client certificate (PEM): rgwd with [api] tls_client_ca takes it\n"
	      "                    instead of a token (or a TLS front end that asks for one)\n"
	      "  --key FILE        its private key (default: in --cert)\n"
	      "  --timeout SECONDS whole-request timeout (default 30)\n"
	      "  --insecure        do not verify the server at all (tests only)\n"
	      "  -V, --version     print the version and exit\n"
	      "  -h, --help        this text\n"
	      "\n"
	      "Settings come from, in order: the options, the environment (RGW_API_URL,\n"
	      "RGW_API_TOKEN), then the first of ~/.config/rgwctl.conf and " SYS_CONF "\n"
	      "that exists: \"key = value\" lines with the keys url, token, cacert, pin, cert,\n"
	      "key and timeout; '#' comments. Unknown keys are an error; rgwctl warns when the\n"
	      "file can be read by others (chmod 600 it: it holds a token).\n"
	      "\n"
	      "Plain http:// is used only towards loopback addresses, so that a token never\n"
	      "crosses a network in clear; give the API tls_cert/tls_key and use https://.\n"
	      "\n"
	      "Exit status: 0 success, 1 the API refused the request (its message is printed),\n"
	      "2 usage error, 3 the API could not be reached.\n"
	      "\n"
	      "Examples:\n"
	      "  rgwctl host add test.gwa.demo 192.168.0.100 --ipv6 fd00::100\n"
	      "  rgwctl host add v6.gwa.demo 2001:db8:2::200\n"
	      "  rgwctl service add test.gwa.demo ssh.test.gwa.demo --proto tcp --port 22\n"
	      "  rgwctl --url https://gw.example:8443 --cacert ca.pem token list\n"
	      "  rgwctl export > bundle.json && rgwctl import bundle.json\n",
	      f);
}

/* Fill what the options left unset: the environment, then the first configuration file that
 * exists, then the defaults. CTL_EXIT_OK, or CTL_EXIT_USAGE (reported). */
static int
settings_complete(struct ctl_settings *s)
{
	const char *env, *home = getenv("HOME");
	char p[600];
	bool found = false;
	int rc = -ENOENT;

	if (!s->url[0] && (env = getenv("RGW_API_URL")))
		util_strlcpy(s->url, env, sizeof(s->url));
	if (!s->token[0] && (env = getenv("RGW_API_TOKEN")))
		util_strlcpy(s->token, env, sizeof(s->token));
	if (home) {
		snprintf(p, sizeof(p), "%s/.config/rgwctl.conf", home);
		rc = ctl_settings_load(s, p, &found);
	}
	if (!found)
		rc = ctl_settings_load(s, SYS_CONF, &found);
	if (rc == -EINVAL)
		return CTL_EXIT_USAGE;
	if (!s->url[0])
		util_strlcpy(s->url, DEFAULT_URL, sizeof(s->url));
	if (s->timeout_s == 0)
		s->timeout_s = DEFAULT_TIMEOUT;
	if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0) {
		fprintf(stderr, "rgwctl: the URL must start with http:// or https://\n");
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

int
main(int argc, char **argv)
{
	enum { OPT_CACERT = 256, OPT_PIN, OPT_CERT, OPT_KEY, OPT_TIMEOUT, OPT_INSECURE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *k;
	struct ctl c;
	int opt, used, nargs, rc;

	memset(&c, 0, sizeof(c));
	/* Options stop at the command so that command options (--proto) stay with it. */
	while ((opt = getopt_long(argc, argv, "+hjVu:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'u':
			util_strlcpy(c.s.url, optarg, sizeof(c.s.url));
			break;
		case 't':
			util_strlcpy(c.s.token, optarg, sizeof(c.s.token));
			break;
		case OPT_CACERT:
			util_strlcpy(c.s.cacert, optarg, sizeof(c.s.cacert));
			break;
		case OPT_PIN:
			util_strlcpy(c.s.pin, optarg, sizeof(c.s.pin));
			break;
		case OPT_CERT:
			util_strlcpy(c.s.cert, optarg, sizeof(c.s.cert));
			break;
		case OPT_KEY:
			util_strlcpy(c.s.key, optarg, sizeof(c.s.key));
			break;
		case OPT_TIMEOUT:
			if (util_parse_long(optarg, 1, 3600, &c.s.timeout_s) < 0) {
				fprintf(stderr, "rgwctl: --timeout: seconds, 1..3600\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case OPT_INSECURE:
			c.insecure = true;
			break;
		case 'V':
			printf("rgwctl %s (%s)\n", RGW_VERSION, curl_version());
			return CTL_EXIT_OK;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	/* --json is also accepted after the command. */
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return CTL_EXIT_OK;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	k = find_cmd(argc, argv, &used);
	nargs = argc - used;
	if (k == NULL || nargs < k->min_args || (k->max_args >= 0 && nargs > k->max_args)) {
		if (k != NULL)
			fprintf(stderr, "usage: rgwctl %s%s%s %s\n", k->noun, k->verb ? " " : "",
				k->verb ? k->verb : "", k->params);
		else
			fprintf(stderr, "rgwctl: unknown command '%s' (see rgwctl --help)\n",
				argv[0]);
		return CTL_EXIT_USAGE;
	}

	if ((rc = settings_complete(&c.s)) != CTL_EXIT_OK)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(c.curl = curl_easy_init())) {
		fprintf(stderr, "rgwctl: cannot initialise libcurl\n");
		return CTL_EXIT_CONNECT;
	}
	rc = k->fn(&c, nargs, argv + used);
	curl_easy_cleanup(c.curl);
	curl_global_cleanup();
	explicit_bzero(c.s.token, sizeof(c.s.token));
	return rc;
}
