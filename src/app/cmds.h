/* cmds.h: the CLI verbs. Each returns the process exit code. */
#ifndef TB_APP_CMDS_H
#define TB_APP_CMDS_H

#define TB_VERSION "0.1.0"

int cmd_decode(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
