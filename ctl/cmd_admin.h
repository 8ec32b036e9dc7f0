/* SPDX-License-Identifier: MIT */
/* ctl/cmd_admin.h -- rgwctl commands: live state, reputation, bundle, tokens, status, audit */
#ifndef RGW_CTL_CMD_ADMIN_H
#define RGW_CTL_CMD_ADMIN_H

struct ctl;

/*
 * rgwctl's command handlers (its command table is in rgwctl.c): argv holds the arguments
 * after the command's noun and verb, their count already checked against the table. Each
 * returns rgwctl's exit status (CTL_EXIT_*, ctl/client.h).
 */
int ctl_cmd_admission(struct ctl *c, int argc, char **argv);
int ctl_cmd_bindings(struct ctl *c, int argc, char **argv);
int ctl_cmd_windows(struct ctl *c, int argc, char **argv);
int ctl_cmd_window(struct ctl *c, int argc, char **argv);
int ctl_cmd_reputation(struct ctl *c, int argc, char **argv);
int ctl_cmd_rep_override(struct ctl *c, int argc, char **argv);
int ctl_cmd_rep_reset(struct ctl *c, int argc, char **argv);
int ctl_cmd_export(struct ctl *c, int argc, char **argv);
int ctl_cmd_import(struct ctl *c, int argc, char **argv);
int ctl_cmd_token_list(struct ctl *c, int argc, char **argv);
int ctl_cmd_token_add(struct ctl *c, int argc, char **argv);
int ctl_cmd_token_del(struct ctl *c, int argc, char **argv);
int ctl_cmd_status(struct ctl *c, int argc, char **argv);
int ctl_cmd_audit(struct ctl *c, int argc, char **argv);
int ctl_cmd_raw(struct ctl *c, int argc, char **argv);

#endif
