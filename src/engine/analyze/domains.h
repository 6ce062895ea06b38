/*
 * domains.h - what links.c and sender.c share about domains and names: the
 * organisation's protected domains and names, brand domains, free-mail and
 * shortener lists, registrable domains (Public Suffix List), IDN decoding,
 * confusable folding and the lookalike test. See domains.c.
 */
#ifndef VIGIL_ANALYZE_DOMAINS_H
#define VIGIL_ANALYZE_DOMAINS_H

#include "../internal.h"

#define DOMAINS_MAX_LABEL 63 /* bytes (and code points) of one DNS label */
#define DOMAINS_MAX_HOST 253

/* a domain the message must not imitate */
struct domains_target {
	char *domain;   /* as configured, lower case */
	char *reg;      /* its registrable domain */
	char *label;    /* first label of reg ("bhxh" of bhxh.gov.vn) */
	char *skel;     /* label folded to its confusable skeleton */
	char *dashed;   /* domain with '.' -> '-' ("bhxh-gov-vn") */
	char *flat;     /* domain without dots ("bhxhgovvn") */
	bool protected; /* the organisation's own (else a brand) */
	bool no_reg;    /* a public suffix itself: reg is the domain */
};

/* what lookalike() found */
struct domains_match {
	const struct domains_target *target;
	const char *how; /* static text: "edit distance 1", "confusable characters", ... */
	bool idn;        /* the imitation relies on an internationalised label */
};

/* the lists of one scan (built once per scan from the engine's options) */
typedef struct domains_ctx domains_ctx;

domains_ctx *domains_ctx_get(vigil_scan *s);

/* lower-case host without brackets, trailing dots or port; NULL if none */
char *domains_host_of(const char *url, char **userinfo);
bool domains_is_ip(const char *host);
/* the top-level label is a listed public suffix (not just any word) */
bool domains_real_tld(const char *host);
/* host with its punycode labels shown as Unicode (for evidence) */
char *domains_to_unicode(const char *host);
/* registrable domain (eTLD+1) of a host, or NULL (an IP, a bare suffix) */
char *domains_registrable(const char *host);
/* the host is a protected domain or a subdomain of one */
bool domains_is_protected(const domains_ctx *c, const char *host);
/* protected, a brand, or allowed: never a lookalike */
bool domains_is_known(const domains_ctx *c, const char *host);
bool domains_is_freemail(const domains_ctx *c, const char *host);
bool domains_is_shortener(const domains_ctx *c, const char *host);
/* any label of host is an IDN ("xn--") label or non-ASCII */
bool domains_has_idn(const char *host);
/* an IDN label mixes Latin with Cyrillic or Greek letters */
bool domains_mixed_script(const char *host);
/* host imitates a protected domain or brand */
bool domains_lookalike(const domains_ctx *c, const char *host, struct domains_match *m);

/* display names: the protected name found in name, or NULL */
const char *domains_protected_name(const domains_ctx *c, const char *name, bool *staff);
/* organisation's names and domains are known (for messages about config) */
const char *domains_ctx_error(const domains_ctx *c);

/* exposed for the unit tests */
int domains_punycode_decode(const char *in, size_t n, gunichar *out, size_t max);
char *domains_skeleton(const char *label, bool *idn);
unsigned domains_distance(const char *a, const char *b, unsigned max);
char *domains_fold_text(const char *utf8, size_t max);

#endif
