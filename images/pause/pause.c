/*
 * The pod sandbox's init process: holds the pod's namespaces open, reaps zombies, and exits on
 * SIGINT/SIGTERM. Built statically so the image needs no libc (FROM scratch).
 *
 * The same program is the launcher image's hold binary (virtstack-hold): a containerDisk container runs
 * it with a marker argument (virtstack-container-disk=<volume>) that only makes it findable by its
 * command line; it ignores its arguments (except a lone -v) and waits to be stopped.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
	(void)sig;
	_exit(0);
}

static void on_child(int sig) {
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		puts("virtstack pause 1");
		return 0;
	}
	/* A sandbox runs without arguments and should be PID 1; a hold process never is. */
	if (argc == 1 && getpid() != 1)
		fputs("pause: warning: not running as PID 1\n", stderr);
	struct sigaction stop = {.sa_handler = on_stop};
	struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
	if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0 ||
	    sigaction(SIGCHLD, &child, NULL) < 0) {
		perror("pause: sigaction");
		return 1;
	}
	for (;;)
		pause();
}
