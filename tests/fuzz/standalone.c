/* Replays files through a libFuzzer harness without libFuzzer, so make check runs every harness
 * over its corpus with any compiler.  Usage: regress_X FILE... */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf = NULL;
		size_t len = 0, cap = 0, n;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		do {
			if (len == cap) {
				unsigned char *nb = realloc(buf, cap = cap ? cap * 2 : 4096);
				if (nb == NULL) {
					free(buf);
					fclose(f);
					return 1;
				}
				buf = nb;
			}
			n = fread(buf + len, 1, cap - len, f);
			len += n;
		} while (n > 0);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	return 0;
}
