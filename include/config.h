#ifndef CBD_CONFIG_H
#define CBD_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bounds.h"
#include "calendar.h"

/* The SLA policy of one topic ([topic NAME] in the file). */
struct topic_policy {
	char name[CBD_IDENT_MAX + 1];
	int64_t target_ms;          /* time from request to first attempt */
	int64_t urgent_target_ms;   /* for urgent requests; 0: same as target */
	int target_workdays;        /* > 0: the target is so many working days
	                           * (target_ms then 0) */
	int urgent_target_workdays; /* the same for urgent_target */
	int urgent;                 /* every request of this topic is urgent */
	int64_t max_attempts;       /* unanswered attempts before unreachable */
	int64_t retry_backoff_ms;   /* wait after the first unanswered attempt;
	                           * doubles with each further one */
	char calendar_name[CBD_IDENT_MAX + 1]; /* "": the site's calendar */
	const struct calendar *calendar;       /* resolved; NULL: the site's */
	double warn_at[CBD_WARN_MAX];          /* ascending, each in (0, 1) */
	int nwarn;
	/* display names for the pages and reports: label (German, and the
	 * default), label_en; "" when not given (config_label) */
	char label[CBD_LABEL_MAX + 1];
	char label_en[CBD_LABEL_MAX + 1];
};

/* One site ([site NAME]). Only the 24x7 calendar exists so far. */
struct site {
	char name[CBD_IDENT_MAX + 1];
	char calendar_name[CBD_IDENT_MAX + 1];
	const struct calendar *calendar; /* resolved after loading */
	char label[CBD_LABEL_MAX + 1];   /* as a topic's */
	char label_en[CBD_LABEL_MAX + 1];
};

struct config {
	char path[512];

	char listen_host[64];
	int listen_port;
	int listen_line;       /* where the file sets it; 0: the default */
	char metrics_host[64]; /* GET /metrics alone listens here; "" = on
	                            * the API's address (metrics_listen) */
	int metrics_port;
	int metrics_line;
	char country_code[4];
	int64_t max_body;
	int64_t request_timeout_ms;
	int64_t max_connections;
	char www_dir[256]; /* the web pages; "" = none */
	int64_t shutdown_grace_ms;
	int64_t lease_ms;
	int64_t retention_days; /* 0: keep personal data */
	int64_t retention_check_ms;
	int64_t max_request_age_ms; /* how far back requested_at may lie */
	int64_t max_open_age_ms; /* an open callback older expires; 0: never */
	int64_t unclaimable_check_ms; /* how often to look for callbacks
	                               * nobody may claim; 0: never */
	int debug;
	/* primary language tags, lower case; [0] is the default of a request
	 * that names none */
	char languages[CBD_LANGUAGES_MAX][CBD_PRIMARY_LANGUAGE_MAX + 1];
	size_t nlanguages;
	/* language_names: the config's own names of listed languages, over
	 * the built-in ones (config_language_name) */
	struct language_name {
		char tag[CBD_PRIMARY_LANGUAGE_MAX + 1];
		char name[CBD_LABEL_MAX + 1];
	} language_name[CBD_LANGUAGES_MAX];
	size_t nlanguage_names;
	/* E.164 prefixes no call-back may ring, comma separated ("" none) */
	char not_dialable[CBD_NOT_DIALABLE_MAX];
	/* TLS on listen: PEM files of the certificate (its chain after it)
	 * and the key; both "" = plain HTTP (tls.c reads them) */
	char tls_cert[256];
	int tls_cert_line;
	char tls_key[256];
	int tls_key_line;

	char pg_conninfo[512];
	int64_t pg_pool_size;
	int64_t
	    pg_statement_timeout_ms; /* per statement, set on each session */
	int64_t pg_lock_timeout_ms;  /* waiting for a lock; 0: none */

	char redis_host[128];
	int64_t redis_port;
	char redis_password[128]; /* given, or read from redis_password_file */
	char redis_password_file[256];
	int64_t redis_db;
	char key_prefix[CBD_IDENT_MAX + 1];
	int64_t index_check_ms;
	int64_t redis_timeout_ms; /* the longest wait for a reply */
	/* [redis] sentinels as given, and parsed: with any, the master is
	 * asked of them by redis_master_name and host and port are unused */
	char redis_sentinels[512];
	struct redis_addr {
		char host[128];
		int port;
	} sentinel[CBD_SENTINELS_MAX];
	size_t nsentinels;
	char redis_master_name[128];
	char sentinel_password[128]; /* read from sentinel_password_file */
	char sentinel_password_file[256];

	char alert_transport[8]; /* local, tcp or udp */
	char alert_host[128];
	int64_t alert_port;
	char alert_socket[108];  /* for local: the syslog socket */
	char alert_hostname[64]; /* HOSTNAME of the messages; "" = ours */
	char alert_webhook
	    [256]; /* http:// URL to POST each alert to; "" = none */
	int64_t alert_webhook_timeout_ms;

	struct topic_policy *topics;
	size_t ntopics;
	struct site *sites;
	size_t nsites;
	struct calendar *calendars; /* [0] is the built-in 24x7 */
	size_t ncalendars;
};

/* Reads and checks path. On error returns -1 with "FILE:LINE: key: why"
 * (or "FILE: [section]: why" for what has no line) in err. */
int config_load(const char *path, struct config *, char *err, size_t errlen);
/* Whether the listen address (and metrics_listen) resolves to one this
 * host can bind: 0, or -1 with "file:line: listen: ..." in err. Asks the resolver, so it is
 * for start-up and --check-config, never for a reload in the loop. */
int config_check_listen(const struct config *, char *err, size_t errlen);
/* The same from text in memory (name stands for the file in messages). */
int config_load_text(const char *name, const char *text, struct config *,
    char *err, size_t errlen);
void config_free(struct config *);
/* For a reload from now to next: names the changed keys that take effect
 * in applied and those that wait for a restart in waiting (comma
 * separated), and copies the latter's old values into next. Returns how
 * many wait. Topics, sites and calendars always take effect. */
int config_reload_keys(const struct config *now, struct config *next,
    char *applied, size_t alen, char *waiting, size_t wlen);
/* Every key, one a line: [section], key, default, reload or restart. */
void config_print_keys(FILE *);

const struct topic_policy *config_topic(const struct config *, const char *);
const struct site *config_site(const struct config *, const char *);
/* 1 when a primary language tag (lower case) is one the config lists;
 * a config without a list (none loaded from a file) takes any. */
int config_language(const struct config *, const char *primary);
/* The display name of a topic or site (name, label and label_en of its
 * section) for pages in English (en 1) or German (en 0): label_en, then
 * label, then the identifier itself, the first that is given. */
const char *config_label(const char *name, const char *label,
    const char *label_en, int en);
/* The name of a listed language in its own words: language_names, the
 * built-in endonym (language.h), or the tag itself. */
const char *config_language_name(const struct config *, const char *primary);
/* The calendar a topic's promise runs on at a site. */
const struct calendar *config_calendar(const struct topic_policy *,
    const struct site *);

/* The configuration in force; set once by main. */
extern const struct config *conf;

#endif
