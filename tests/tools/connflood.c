/* connflood: open N TCP connections to HOST:PORT (from a source address),
 * as fast as the kernel allows, send nothing, and report how many the
 * server keeps open once it has refused the rest (the fewest open between
 * 0.5 s and 1.8 s) and after HOLD seconds. A test tool for the
 * transport's connection caps and handshake timeout; loopback only.
 *
 * usage: connflood SRC_IP DST_IP PORT N HOLD_SECONDS
 * prints: "connected=C open_settled=A open_at_hold=B"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int count_open(const int *fd, int n)
{
	int open = 0;
	char b;

	for (int i = 0; i < n; i++) {
		if (fd[i] < 0)
			continue;
		ssize_t r = recv(fd[i], &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			open++;
	}
	return open;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	struct sockaddr_in src, dst;
	struct rlimit rl;
	int n, hold, connected = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: connflood SRC DST PORT N HOLD\n");
		return 2;
	}
	long ln = strtol(argv[4], NULL, 10), lh = strtol(argv[5], NULL, 10);
	if (ln <= 0 || ln > 20000 || lh < 1 || lh > 60)
		return 2;
	n = (int)ln;
	hold = (int)lh;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = (rlim_t)n + 64 < rl.rlim_max ? (rlim_t)n + 64
		                                           : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	src.sin_family = dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1)
		return 2;
	/* loopback only */
	if ((ntohl(src.sin_addr.s_addr) >> 24) != 127 ||
	    (ntohl(dst.sin_addr.s_addr) >> 24) != 127)
		return 2;
	dst.sin_port = htons((uint16_t)atoi(argv[3]));

	int *fd = calloc((size_t)n, sizeof(int));
	struct pollfd *pf = calloc((size_t)n, sizeof(*pf));
	if (!fd || !pf)
		return 1;
	for (int i = 0; i < n; i++) {
		fd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fd[i] < 0)
			continue;
		fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
		if (bind(fd[i], (struct sockaddr *)&src, sizeof(src)) < 0 ||
		    (connect(fd[i], (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
		     errno != EINPROGRESS)) {
			close(fd[i]);
			fd[i] = -1;
		}
	}
	/* wait (bounded) for the connects to finish */
	for (int round = 0; round < 50; round++) {
		int pending = 0;
		for (int i = 0; i < n; i++) {
			pf[i].fd = fd[i];
			pf[i].events = POLLOUT;
			pf[i].revents = 0;
		}
		if (poll(pf, (nfds_t)ln, 100) < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (fd[i] < 0 ||
			    !(pf[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				pending += fd[i] >= 0;
		}
		if (!pending)
			break;
	}
	for (int i = 0; i < n; i++) {
		int err = 0;
		socklen_t l = sizeof(err);
		if (fd[i] >= 0 &&
		    getsockopt(fd[i], SOL_SOCKET, SO_ERROR, &err, &l) == 0 &&
		    err == 0)
			connected++;
	}
	/* what the server keeps once it has drained its accept queue: the
	 * fewest open between 0.5 s and 1.8 s (a loaded or sanitized server
	 * may take more than 0.5 s to refuse 2,000 connections; the kept ones
	 * live until the handshake timeout) */
	sleep_ms(500);
	int open_half = count_open(fd, n);
	for (int t = 600; t <= 1800; t += 100) {
		sleep_ms(100);
		int o = count_open(fd, n);
		if (o < open_half)
			open_half = o;
	}
	if ((long)hold * 1000 > 1800)
		sleep_ms((long)hold * 1000 - 1800);
	int open_hold = count_open(fd, n);
	printf("connected=%d open_settled=%d open_at_hold=%d\n", connected,
	       open_half, open_hold);
	for (int i = 0; i < n; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
	}
	free(fd);
	free(pf);
	return 0;
}
