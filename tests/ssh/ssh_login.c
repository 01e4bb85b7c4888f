/* SSH client for integration/sshd.sh that sends a token of any length: OpenSSH's ssh reads a password
 * or a keyboard-interactive answer into a 1024-byte buffer, so it cannot show what sshd itself does
 * with longer ones.  Reads the token from standard input (not argv: ps shows arguments), logs in by
 * METHOD (password or keyboard-interactive; every keyboard-interactive prompt gets the token), then
 * runs "id -un" and prints its output.  The host key is not checked (a throw-away test server).
 * Exit 0 logged in, 1 authentication refused, 2 any other failure.
 *
 *   ssh_login PORT USER METHOD < TOKEN          (connects to 127.0.0.1)
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>

#define TOKEN_MAX (1024 * 1024)

struct answer {
	const char *token;
	size_t len;
};

static void kbdint(const char *name, int name_len, const char *instruction, int instruction_len, int num_prompts,
                   const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts, LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses,
                   void **abstract)
{
	const struct answer *a = *abstract;

	(void)name, (void)name_len, (void)instruction, (void)instruction_len, (void)prompts;
	for (int i = 0; i < num_prompts; i++) {
		/* libssh2 frees each answer with the session's free(), the default one here */
		responses[i].text = malloc(a->len + 1);
		if (responses[i].text == NULL) {
			responses[i].length = 0;
			continue;
		}
		memcpy(responses[i].text, a->token, a->len + 1);
		responses[i].length = (unsigned int)a->len;
	}
}

static char *read_token(size_t *len)
{
	char *buf = malloc(TOKEN_MAX + 1);
	size_t n = 0, r;

	if (buf == NULL)
		return NULL;
	while (n < TOKEN_MAX && (r = fread(buf + n, 1, TOKEN_MAX - n, stdin)) > 0)
		n += r;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int run_id(LIBSSH2_SESSION *s)
{
	LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(s);
	char buf[256];
	ssize_t n;

	if (ch == NULL || libssh2_channel_exec(ch, "id -un") != 0)
		return 2;
	while ((n = libssh2_channel_read(ch, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	libssh2_channel_close(ch);
	libssh2_channel_free(ch);
	return n < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct answer a;
	LIBSSH2_SESSION *s = NULL;
	char *token;
	int fd = -1, rc = 2, r;

	if (argc != 4 || (strcmp(argv[3], "password") != 0 && strcmp(argv[3], "keyboard-interactive") != 0)) {
		fprintf(stderr, "usage: ssh_login PORT USER password|keyboard-interactive < TOKEN\n");
		return 2;
	}
	if ((token = read_token(&a.len)) == NULL)
		return 2;
	a.token = token;
	sin.sin_port = htons((unsigned short)strtoul(argv[1], NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (libssh2_init(0) != 0 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("ssh_login: connect");
		goto out;
	}
	s = libssh2_session_init_ex(NULL, NULL, NULL, &a);
	if (s == NULL || libssh2_session_handshake(s, fd) != 0) {
		fprintf(stderr, "ssh_login: handshake failed\n");
		goto out;
	}
	if (strcmp(argv[3], "password") == 0)
		r = libssh2_userauth_password_ex(s, argv[2], (unsigned int)strlen(argv[2]), token, (unsigned int)a.len,
		                                 NULL);
	else
		r = libssh2_userauth_keyboard_interactive_ex(s, argv[2], (unsigned int)strlen(argv[2]), kbdint);
	if (r == LIBSSH2_ERROR_AUTHENTICATION_FAILED || r == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
		fprintf(stderr, "ssh_login: %s refused\n", argv[3]);
		rc = 1;
	} else if (r != 0) {
		fprintf(stderr, "ssh_login: %s failed (libssh2 error %d)\n", argv[3], r);
	} else {
		rc = run_id(s);
	}
out:
	if (s != NULL) {
		libssh2_session_disconnect(s, "done");
		libssh2_session_free(s);
	}
	if (fd >= 0)
		close(fd);
	free(token);
	libssh2_exit();
	return rc;
}
