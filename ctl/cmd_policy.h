/* SPDX-License-Identifier: MIT */
/* ctl/cmd_policy.h -- rgwctl commands on the policy: hosts, services, groups, zones, pool, ALG */
#ifndef RGW_CTL_CMD_POLICY_H
#define RGW_CTL_CMD_POLICY_H

struct ctl;

/*
 * rgwctl's command handlers (its command table is in rgwctl.c): argv holds the arguments
 * after the command's noun and verb, their count already checked against the table. Each
 * returns rgwctl's exit status (CTL_EXIT_*, ctl/client.h).
 */
int ctl_cmd_host_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_host_show(struct ctl *c, int argc, char **argv);
int ctl_cmd_host_del(struct ctl *c, int argc, char **argv);
int ctl_cmd_host_add(struct ctl *c, int argc, char **argv);
int ctl_cmd_service_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_service_del(struct ctl *c, int argc, char **argv);
int ctl_cmd_service_add(struct ctl *c, int argc, char **argv);
int ctl_cmd_group_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_group_add(struct ctl *c, int argc, char **argv);
int ctl_cmd_group_del(struct ctl *c, int argc, char **argv);
int ctl_cmd_zone_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_pool_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_pool_add(struct ctl *c, int argc, char **argv);
int ctl_cmd_pool_del(struct ctl *c, int argc, char **argv);
int ctl_cmd_alg_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_alg_add(struct ctl *c, int argc, char **argv);
int ctl_cmd_alg_del(struct ctl *c, int argc, char **argv);

#endif
