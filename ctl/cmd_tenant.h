/* SPDX-License-Identifier: MIT */
/* ctl/cmd_tenant.h -- rgwctl commands: tenant list, show, set, del */
#ifndef RGW_CTL_CMD_TENANT_H
#define RGW_CTL_CMD_TENANT_H

struct ctl;

/* tenant list | show NAME | set NAME OPTIONS... (ctl/tenant.h) | del NAME: CTL_EXIT_*
 * (ctl/client.h). */
int ctl_cmd_tenant_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_tenant_show(struct ctl *c, int argc, char **argv);
int ctl_cmd_tenant_set(struct ctl *c, int argc, char **argv);
int ctl_cmd_tenant_del(struct ctl *c, int argc, char **argv);

#endif
