/*
 * main.c owns the process: the command line, the order in which the parts
 * start and stop, signals, and the exit status. Start-up errors are fatal;
 * once the loop runs, a failure ends one request, never the daemon, except
 * a database schema this build does not know.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "alert.h"
#include "alert_timer.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "queue.h"
#include "rebuild.h"
#include "retention.h"
#include "routes.h"
#include "store.h"
#include "sweep.h"
#include "timefmt.h"
#include "tls.h"
#include "unclaimable.h"
#include "forecast_timer.h"
#include "ident.h"
#include "validate.h"

#include "autoconf.h"

static struct event_base *base;
static struct event *ev_term, *ev_int, *ev_usr1, *ev_hup, *ev_grace,
    *ev_watchdog;
static struct config configs[2]; /* the one in force and the next */
static int current;
static int exit_code;
static int stopping;
static struct event *ev_guard; /* start: until open callbacks were counted */
static int reload_busy;        /* a reload waits for that count */
static int reload_again;       /* and another SIGHUP came meanwhile */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: callbackd -c FILE [-f]\n"
	    "       callbackd -c FILE --check-config\n"
	    "       callbackd -c FILE --migrate\n"
	    "       callbackd -c FILE --create-token ROLE [--caseworker ID] [--label TEXT]\n"
	    "                    [--expires DURATION]\n"
	    "       callbackd --config-keys\n"
	    "       callbackd --version\n");
	exit(2);
}

static void
left(void)
{
	event_base_loopexit(base, NULL);
}

static void
drained(void)
{
	log_info("all requests answered; stopping");
	rebuild_leave(left);
}

static void
grace_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	/* what was in flight is lost to its clients: an exit status that
	 * says so, for systemd and whoever reads the journal */
	log_errx("shutdown_grace of %lld ms over with %u request%s unanswered; "
		 "stopping with exit status 1",
	    (long long)conf->shutdown_grace_ms, http_in_flight(),
	    http_in_flight() == 1 ? "" : "s");
	exit_code = 1;
	event_base_loopexit(base, NULL);
}

static void
stop(void)
{
	struct timeval tv;

	if (stopping)
		return;
	stopping = 1;
	sd_notify(0, "STOPPING=1");
	ms_timeval(conf->shutdown_grace_ms, &tv);
	evtimer_add(ev_grace, &tv);
	http_shutdown_begin(drained);
}

/*
 * Open callbacks whose topic or site a configuration lacks (rows of
 * store_open_outside) keep it from being used: each is logged. For a
 * reload (was: the configuration in force) only what was configured
 * before counts; what the old one lacked as well is not this reload's
 * doing. Returns how many there are.
 */
static int
in_use_missing(const struct table *t, const struct config *was,
    const char *what)
{
	int i, n = 0;

	for (i = 0; i < t->nrows; i++) {
		const char *const *row = t->cells + i * t->ncols;
		int topic = !strcmp(row[0], "topic");

		if (was &&
		    !(topic ? config_topic(was, row[1]) != NULL :
			      config_site(was, row[1]) != NULL))
			continue;
		log_warnx(
		    "%s refused: %s %s has %s open callback%s; keep it in "
		    "the config until they are closed",
		    what, row[0], row[1], row[2],
		    strcmp(row[2], "1") ? "s" : "");
		n++;
	}
	return n;
}

static void reload(void);

/* The new configuration passed every check: it takes effect. */
static void
reload_apply(void)
{
	struct config *next = &configs[!current], *now = &configs[current];
	int64_t retention_days = now->retention_days;
	char applied[512], waiting[512];

	if (config_reload_keys(now, next, applied, sizeof(applied), waiting,
		sizeof(waiting)))
		log_warnx(
		    "SIGHUP: %s changed in the file and take%s effect at the "
		    "next restart; until then the old value%s stay%s",
		    waiting, strchr(waiting, ',') ? "" : "s",
		    strchr(waiting, ',') ? "s" : "",
		    strchr(waiting, ',') ? "" : "s");
	if (applied[0])
		log_info("SIGHUP: %s changed and took effect", applied);
	conf = next;
	current = !current;
	config_free(now);
	tls_commit(); /* the certificate and key read with the file */
	log_init_debug(conf->debug);
	log_info("SIGHUP: configuration reloaded (%zu topics, %zu sites, %zu "
		 "calendars)",
	    conf->ntopics, conf->nsites, conf->ncalendars - 1);
	retention_reloaded(retention_days);
}

static void
reload_checked(void *arg, enum store_status st, const struct table *t)
{
	(void)arg;
	reload_busy = 0;
	if (st != STORE_OK) {
		log_warnx(
		    "SIGHUP: the new configuration is refused, the old one "
		    "stays: the open callbacks of its topics and sites cannot be "
		    "counted while PostgreSQL is unavailable");
		config_free(&configs[!current]);
		tls_discard();
	} else if (in_use_missing(t, conf, "reload") > 0) {
		config_free(&configs[!current]);
		tls_discard();
	} else
		reload_apply();
	sd_notify(0, "READY=1");
	if (reload_again && !stopping) {
		reload_again = 0;
		reload();
	}
}

/* SIGHUP: read the file again; what can change while running takes effect,
 * the rest (addresses, database, Redis, alerts) keeps its value. A topic
 * or site that open callbacks use stays until they are closed: PostgreSQL
 * counts them (from the loop, without waiting), then the file is used or
 * refused. */
static void
reload(void)
{
	struct config *next = &configs[!current], *now = &configs[current];
	char err[512];

	if (reload_busy) {
		reload_again = 1;
		return;
	}
	sd_notify(0, "RELOADING=1");
	/* the certificate and key are read again, changed or not: a renewed
	 * certificate comes under the same name */
	if (config_load(now->path, next, err, sizeof(err)) == -1 ||
	    tls_prepare(next, err, sizeof(err)) == -1) {
		log_warnx(
		    "SIGHUP: the new configuration is refused, the old one "
		    "stays: %s",
		    err);
		config_free(next);
		sd_notify(0, "READY=1");
		return;
	}
	reload_busy = 1;
	store_open_outside(next, reload_checked, NULL);
}

static void
guard_later(int64_t ms)
{
	struct timeval tv;

	ms_timeval(ms, &tv);
	evtimer_add(ev_guard, &tv);
}

/* At start: open callbacks of a topic or site the file lacks would be
 * claimable with no policy for their attempts. As a start-up error it is
 * fatal, once PostgreSQL could say. */
static void
guard_checked(void *arg, enum store_status st, const struct table *t)
{
	(void)arg;
	if (st != STORE_OK) {
		guard_later(1000);
		return;
	}
	if (in_use_missing(t, NULL, "start") > 0) {
		log_warnx(
		    "callbackd cannot run with %s: add the topics and sites "
		    "named above back",
		    conf->path);
		exit_code = 1;
		stop();
	}
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (stopping)
		return;
	if (!store_ready()) {
		guard_later(200);
		return;
	}
	store_open_outside(conf, guard_checked, NULL);
}

static void
watchdog_ping(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	/* from inside the loop: a loop that hangs stops pinging */
	sd_notify(0, "WATCHDOG=1");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGHUP) {
		reload();
		return;
	}
	if (sig == SIGUSR1) {
		log_info("SIGUSR1: rebuilding the queue index from PostgreSQL");
		rebuild_request();
		return;
	}
	log_info("%s: finishing requests in flight, then stopping",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	stop();
}

static void
schema_mismatch(const char *why)
{
	log_errx("%s", why);
	exit_code = 1;
	stop();
}

static int
create_token(const char *role, const char *caseworker, const char *label,
    const char *expires)
{
	char token[CBD_TOKEN_STR + 1], hash[65];
	unsigned bit = auth_role(role);
	int64_t expires_ms;
	struct verr e;

	if (!bit) {
		fprintf(stderr,
		    "callbackd: unknown role '%s' (telephony, agent, "
		    "caseworker, manager, admin)\n",
		    role);
		return 1;
	}
	if ((bit == ROLE_CASEWORKER) != (caseworker != NULL)) {
		fprintf(stderr,
		    "callbackd: --caseworker ID is needed for the "
		    "caseworker role and only for it\n");
		return 1;
	}
	/* as the API checks it: an empty id would read every unassigned
	 * callback as if it were assigned to "" */
	if (caseworker && !ident_name(caseworker)) {
		fprintf(stderr,
		    "callbackd: --caseworker '%s' is not a caseworker "
		    "id (lower-case letters, digits, '_' and '-')\n",
		    caseworker);
		return 1;
	}
	if (validate_token_expiry(NULL, expires, now_ms(), &expires_ms, &e) ==
	    -1) {
		fprintf(stderr,
		    "callbackd: --expires '%s' is not a duration "
		    "(90d, 12h, 30m)\n",
		    expires);
		return 1;
	}
	if (auth_new_token(token, hash) == -1) {
		fprintf(stderr, "callbackd: no random bytes for a token\n");
		return 1;
	}
	if (store_admin_create_token(conf->pg_conninfo, hash, role, caseworker,
		label, expires_ms) < 0)
		return 1;
	printf("%s\n", token);
	return 0;
}

static void
run(int foreground)
{
	struct event_config *ec;

	log_init(foreground, conf->debug);
	signal(SIGPIPE, SIG_IGN);
	/* epoll changes made in one loop pass go to the kernel together (the
	 * daemon never dup()s a descriptor, the flag's one hazard) */
	if (!(ec = event_config_new()) ||
	    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) ==
		-1 ||
	    !(base = event_base_new_with_config(ec)))
		fatalx("cannot create the event loop");
	event_config_free(ec);

	ev_term = evsignal_new(base, SIGTERM, on_signal, NULL);
	ev_int = evsignal_new(base, SIGINT, on_signal, NULL);
	ev_usr1 = evsignal_new(base, SIGUSR1, on_signal, NULL);
	ev_hup = evsignal_new(base, SIGHUP, on_signal, NULL);
	evsignal_add(ev_hup, NULL);
	ev_grace = evtimer_new(base, grace_over, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_usr1, NULL);

	/* PostgreSQL first (the truth), then the Redis index that is rebuilt
	 * from it, then the door. */
	if (store_init(base, schema_mismatch) == -1)
		fatalx("cannot set up PostgreSQL connections");
	store_set_moved(rebuild_request);
	if (rebuild_init(base) == -1)
		fatalx("cannot set up the queue index rebuild");
	if (queue_init(base, rebuild_request) == -1)
		fatalx("cannot set up Redis");
	sweep_init(base);
	if (alert_webhook_init(base) == -1 || alert_syslog_init(base) == -1)
		fatalx("cannot set up alert delivery");
	alert_timer_init(base);
	unclaimable_init(base);
	forecast_timer_init(base);
	retention_init(base);
	tls_commit(); /* read in main, before the loop */
	routes_register();
	if (http_init(base) == -1)
		fatalx("cannot start the HTTP server");
	ev_guard = evtimer_new(base, guard_cb, NULL);
	guard_later(0);
	log_info("callbackd %s started", PACKAGE_VERSION);
	sd_notify(0, "READY=1");
	{
		uint64_t usec;
		struct timeval tv;

		if (sd_watchdog_enabled(0, &usec) > 0) {
			ms_timeval((int64_t)(usec / 2000), &tv);
			ev_watchdog = event_new(base, -1, EV_PERSIST,
			    watchdog_ping, NULL);
			evtimer_add(ev_watchdog, &tv);
		}
	}

	event_base_dispatch(base);

	http_free();
	queue_shutdown();
	store_shutdown();
	rebuild_shutdown();
	sweep_shutdown();
	/* the transports first: they answer the rounds still in flight,
	 * whose callers (the timers) must still be there to hear it */
	alert_webhook_shutdown();
	alert_syslog_shutdown();
	alert_timer_shutdown();
	unclaimable_shutdown();
	forecast_timer_shutdown();
	retention_shutdown();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	event_free(ev_hup);
	if (ev_watchdog)
		event_free(ev_watchdog);
	event_free(ev_grace);
	event_free(ev_guard);
	event_base_free(base);
	log_info("stopped");
}

int
main(int argc, char **argv)
{
	enum {
		OPT_CHECK = 256,
		OPT_MIGRATE,
		OPT_VERSION,
		OPT_TOKEN,
		OPT_CASEWORKER,
		OPT_LABEL,
		OPT_KEYS,
		OPT_EXPIRES
	};
	static const struct option longopts[] = { { "config", required_argument,
						      NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "migrate", no_argument, NULL, OPT_MIGRATE },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "config-keys", no_argument, NULL, OPT_KEYS },
		{ "create-token", required_argument, NULL, OPT_TOKEN },
		{ "caseworker", required_argument, NULL, OPT_CASEWORKER },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL, *role = NULL, *caseworker = NULL,
		   *label = NULL;
	const char *expires = NULL;
	int ch, foreground = 0, check = 0, migrate = 0, rc = 0;
	char err[512];

	while ((ch = getopt_long(argc, argv, "c:f", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_MIGRATE:
			migrate = 1;
			break;
		case OPT_VERSION:
			printf("callbackd %s (schema version %d)\n",
			    PACKAGE_VERSION, store_schema_version());
			return 0;
		case OPT_KEYS: /* the key table: section, key, default, reload */
			config_print_keys(stdout);
			return 0;
		case OPT_TOKEN:
			role = optarg;
			break;
		case OPT_CASEWORKER:
			caseworker = optarg;
			break;
		case OPT_LABEL:
			label = optarg;
			break;
		case OPT_EXPIRES:
			expires = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !path)
		usage();
	if (config_load(path, &configs[0], err, sizeof(err)) == -1 ||
	    ((check || (!migrate && !role)) &&
		(config_check_listen(&configs[0], err, sizeof(err)) == -1 ||
		    tls_prepare(&configs[0], err, sizeof(err)) == -1))) {
		fprintf(stderr, "callbackd: %s\n", err);
		config_free(&configs[0]);
		return 1;
	}
	conf = &configs[0];
	if (check)
		printf("config OK\n");
	else if (migrate)
		rc = store_admin_migrate(conf->pg_conninfo) == 0 ? 0 : 1;
	else if (role)
		rc = create_token(role, caseworker, label, expires);
	else {
		run(foreground);
		rc = exit_code;
	}
	config_free(&configs[current]);
	tls_free(); /* after http_free: no connection holds a context */
	return rc;
}
