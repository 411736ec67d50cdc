/* main.c: trunkbridge's command line. Each verb lives in its own file. */
#include "app/cmds.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: trunkbridge <command> [options]\n"
	        "\n"
	        "commands:\n"
	        "  run -c FILE     run the SBC with the YAML config FILE\n"
	        "  check -c FILE [--ca ROOTS.pem] [--probe [--trunk NAME]\n"
	        "        [--timeout 5s]]\n"
	        "                  validate FILE and the guide's rules: our\n"
	        "                  certificate (names, key, chain, expiry),\n"
	        "                  allow-lists; --probe: DNS, TCP, TLS and\n"
	        "                  OPTIONS to each trunk server, each failure\n"
	        "                  with its cause and fix. Exit 0 when no\n"
	        "                  error.\n"
	        "  decode [FILE]   parse one SIP message (a whole datagram) "
	        "from\n"
	        "                  FILE or stdin and print its structure, or "
	        "why\n"
	        "                  it is malformed and what a server answers.\n"
	        "                  Exit 0 when valid, 1 when malformed.\n"
	        "  status [-c FILE | --url http://127.0.0.1:8080] [--token T]\n"
	        "                  ask a running trunkbridge (its admin\n"
	        "                  endpoint) for its trunks and calls. Exit 0\n"
	        "                  when every trunk is Active, 1 when one is\n"
	        "                  not, 2 when the endpoint cannot be "
	        "reached.\n"
	        "  version         print the version\n"
	        "  help            this text\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "decode") == 0)
		return cmd_decode(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("trunkbridge %s\n", TB_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "trunkbridge: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
