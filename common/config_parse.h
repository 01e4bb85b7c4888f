/* Internal to the configuration layer: the parser state and the steps that config.c (the key
 * tables and the INI syntax), config_check.c (defaults and cross-checks) and config_load.c (the
 * main file and its conf.d drop-ins) share.  Included by those three files only: everyone else uses
 * config.h. */
#ifndef CCAUTH_CONFIG_PARSE_H
#define CCAUTH_CONFIG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strmap.h"

struct ccauth_config;
struct ccauth_client_conf;

enum ccauth_config_section { SEC_NONE, SEC_GLOBAL, SEC_CLIENT, SEC_ISSUER };

struct ccauth_config_parser {
	struct ccauth_config *cfg;
	const char *name;
	int line;
	enum ccauth_config_section sec;
	void *cur;        /* the struct the current section's keys go to */
	uint32_t seen;    /* keys of the current section already set (bit = table index) */
	int global_seen;  /* [global] appeared */
	int connect_set;  /* connect_timeout given */
	int connect_line; /* its line, for the cross-check */
	size_t connect_file;
	size_t file; /* index of the file being read in cfg->files */
	struct ccauth_error *err;
	/* a config of 1,000 issuers parses in linear time: sections found by name, arrays doubled */
	struct ccauth_strmap client_names, issuer_names;
	size_t clients_cap, issuers_cap, files_cap;
};

static inline enum ccauth_status perr(struct ccauth_config_parser *p, const char *what)
{
	return ccauth_error_set(p->err, CCAUTH_E_CONFIG, "%.128s:%d: %s", p->name, p->line, what);
}

static inline enum ccauth_status pnomem(struct ccauth_config_parser *p)
{
	return ccauth_error_set(p->err, CCAUTH_E_NOMEM, "%.128s:%d: out of memory", p->name, p->line);
}

/* room for element n of *arr (capacity *cap, doubled when full); NULL when out of memory */
void *ccauth_config_grow(void *arr, size_t n, size_t *cap, size_t size);
/* 0 when name is new to map (now added), else the error to return */
enum ccauth_status ccauth_config_new_name(struct ccauth_config_parser *p, struct ccauth_strmap *map, const char *name,
                                          const char *dup);
/* A parser with an empty configuration and its defaults. */
enum ccauth_status ccauth_config_parser_start(struct ccauth_config_parser *p, const char *path,
                                              struct ccauth_error *err);
/* One file into the configuration (config.c). */
enum ccauth_status ccauth_config_parse_file(struct ccauth_config_parser *p, const char *buf, size_t len,
                                            const char *name);
/* What only the parse needs: the name maps. */
void ccauth_config_parser_end(struct ccauth_config_parser *p);
/* After the last file: defaults and cross-checks (config_check.c). */
enum ccauth_status ccauth_config_finish(struct ccauth_config_parser *p);
/* The line of [client] key name (else the section header's), for a cross-check's message. */
int ccauth_config_client_key_line(const struct ccauth_client_conf *c, const char *name);
/* key name is set in c (a non-empty value) */
int ccauth_config_client_has(const struct ccauth_client_conf *c, const char *name);

#endif
