/* SPDX-License-Identifier: MIT */
/* ctl/cmd_tenant.c -- rgwctl commands: tenant list, show, set, del */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd_tenant.h"
#include "tenant.h"

static const char *const tenant_cols[] = { "name",   "domains",	     "realm", "tokens",
					   "quotas", "session_rate", NULL };

int
ctl_cmd_tenant_list(struct ctl *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	return ctl_do_req(c, "GET", "/api/v1/tenants", NULL, 200, tenant_cols);
}

/* GET, PUT (the body from argv after the name) or DELETE /api/v1/tenants/NAME */
static int
tenant_req(struct ctl *c, const char *method, int argc, char **argv)
{
	char path[1024], err[256];
	json_t *b = NULL;

	ctl_item_path(path, sizeof(path), "/api/v1/tenants", argv[0]);
	if (strcmp(method, "PUT") == 0 &&
	    (b = ctl_tenant_body(argc - 1, (const char *const *)(argv + 1), err, sizeof(err))) ==
		    NULL) {
		fprintf(stderr, "rgwctl: tenant set: %s\nusage: rgwctl tenant set %s\n", err,
			CTL_TENANT_USAGE);
		return CTL_EXIT_USAGE;
	}
	return ctl_do_req(c, method, path, b, strcmp(method, "DELETE") == 0 ? 204 : 200, NULL);
}

int
ctl_cmd_tenant_show(struct ctl *c, int argc, char **argv)
{
	return tenant_req(c, "GET", argc, argv);
}

int
ctl_cmd_tenant_set(struct ctl *c, int argc, char **argv)
{
	return tenant_req(c, "PUT", argc, argv);
}

int
ctl_cmd_tenant_del(struct ctl *c, int argc, char **argv)
{
	return tenant_req(c, "DELETE", argc, argv);
}
