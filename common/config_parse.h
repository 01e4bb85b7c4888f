/* Internal to the configuration layer: the parser state, the key types and the steps that config.c
 * (the key tables and the INI syntax), config_store.c (one value into its field), config_check.c
 * (defaults and cross-checks) and config_load.c (the main file and its conf.d drop-ins) share.
 * Included by those four files only: everyone else uses config.h. */
#ifndef CCAUTH_CONFIG_PARSE_H
#define CCAUTH_CONFIG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strmap.h"

struct ccauth_config;
struct ccauth_client_conf;

enum vtype {
	V_INT,        /* int, range min..max */
	V_STR,        /* any string, empty = unset */
	V_PATH,       /* absolute path, empty = unset */
	V_SECRET,     /* absolute path of a credential file: checked when read, by the reader (credfile.c) */
	V_CREDFILE,   /* the same, or a plain name looked up in $CREDENTIALS_DIRECTORY when read */
	V_TRUSTFILE,  /* absolute path of a file of trust anchors (ca_file), checked when it exists */
	V_TRUSTDIR,   /* absolute path of a directory of trust anchors (ca_path), checked when it exists */
	V_CACHEDIR,   /* absolute path or "" */
	V_URL,        /* https URL, empty = unset */
	V_PROXY,      /* "", "env" or a proxy URL */
	V_NAME,       /* a section name */
	V_LIST,       /* space-separated list, may be empty */
	V_LIST1,      /* space-separated list, at least one element */
	V_BOOL,       /* int 0/1 */
	V_AUTH,       /* enum ccauth_auth_method */
	V_INTROSPECT, /* enum ccauth_introspect_mode */
	V_ALGS,       /* unsigned bitmask */
	V_SIGNALG,    /* int enum ccauth_alg */
	V_FRACTION,   /* double in (0,1] */
	V_TEMPLATE,   /* username template */
	V_PROFILE,    /* int enum ccauth_profile */
	V_TOKENTYPE,  /* "CLAIM VALUE" or "none" into token_type_claim/_value */
	V_GRANT,      /* int enum ccauth_grant */
	V_ASSERTTYPE, /* int enum ccauth_assertion_type */
	V_SUBJTYPE,   /* int enum ccauth_subject_type */
	V_ASSERTAUD,  /* int enum ccauth_assertion_aud */
	V_ASSERTURL,  /* https URL or env:NAME */
	V_ENVNAME,    /* an environment variable name */
	V_URI,        /* an absolute URI (a token type identifier) */
};

struct key {
	const char *name;
	enum vtype type;
	size_t off;
	int min, max;
};

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

/* A section name: A-Z a-z 0-9 . _ -, at most 64 (config_store.c) */
int ccauth_config_name_ok(const char *s, size_t len);
/* Store one value (*vp: malloc'd, NUL-terminated, trimmed) for key k into the struct at base
 * (config_store.c).  A string key keeps *vp itself and sets it to NULL; the caller frees *vp. */
enum ccauth_status ccauth_config_set_value(struct ccauth_config_parser *p, const struct key *k, void *base, char **vp);
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
