/* dlopen(RTLD_NOW) a module: every symbol it needs must resolve. */
#include "autoconf.h"

#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *h;

	if (argc != 2)
		return 2;
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	dlclose(h);
	return 0;
}
