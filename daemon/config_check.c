/*
 * config_check.c owns the checks of a configuration as a whole, once every
 * key is read: calendars defined and named, targets that fit their
 * calendars, urgent targets no longer than the normal ones, tls_cert and
 * tls_key as a pair, and the secrets read from files (password_file,
 * sentinel_password_file). It never reads the configuration file itself
 * (config.c does) and never puts a secret into a message.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config_int.h"
#include "timefmt.h"

static const struct calendar *
find_calendar(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ncalendars; i++)
		if (!strcmp(c->calendars[i].name, name))
			return &c->calendars[i];
	return NULL;
}

/* A due time is searched CBD_CALENDAR_HORIZON_DAYS ahead: a target a
 * calendar does not open long enough for in that time would have no due
 * time at all. Checked from now against half the horizon, so that the
 * requests of the coming months, and their retries, stay inside it. */
static int
check_targets_fit(const struct config *c, char *why, size_t whylen)
{
	const int64_t now = (int64_t)time(NULL) * 1000;
	const int64_t half = CBD_CALENDAR_HORIZON_DAYS / 2 * 86400000LL;
	size_t i, j;

	for (i = 0; i < c->ntopics; i++)
		for (j = 0; j < c->nsites; j++) {
			const struct topic_policy *t = &c->topics[i];
			const struct calendar *cal = config_calendar(t,
			    &c->sites[j]);
			int64_t due = t->target_workdays > 0 ?
			    calendar_add_workdays(cal, now,
				t->target_workdays) :
			    calendar_add(cal, now, t->target_ms);

			if (due == -1 || due - now > half) {
				snprintf(why, whylen,
				    "[topic %s]: target: calendar "
				    "'%s' is not open that long within %d days",
				    t->name, cal->name,
				    CBD_CALENDAR_HORIZON_DAYS / 2);
				return -1;
			}
		}
	return 0;
}

/* An urgent target is never longer than the target: compared in the
 * same unit; working days for urgent requests need them for the others
 * too, open time ("2h") beside working days is the urgent target's use. */
static int
check_urgent_target(const struct topic_policy *t, char *why, size_t whylen)
{
	int longer;

	if (t->urgent_target_workdays > 0 && t->target_workdays == 0) {
		snprintf(why, whylen,
		    "[topic %s]: urgent_target in working days "
		    "needs target in working days",
		    t->name);
		return -1;
	}
	if (t->target_workdays > 0)
		longer = t->urgent_target_workdays > t->target_workdays;
	else
		longer = t->urgent_target_ms > t->target_ms;
	if (longer) {
		snprintf(why, whylen,
		    "[topic %s]: urgent_target is longer than target", t->name);
		return -1;
	}
	return 0;
}

int
config_check_whole(struct config *c, char *why, size_t whylen)
{
	size_t i;

	if (c->ntopics == 0) {
		snprintf(why, whylen,
		    "no [topic NAME] section: at least one topic is needed");
		return -1;
	}
	if (c->nsites == 0) {
		snprintf(why, whylen,
		    "no [site NAME] section: at least one site is needed");
		return -1;
	}
	for (i = 0; i < c->ntopics; i++) {
		if (c->topics[i].target_ms < 0) {
			snprintf(why, whylen, "[topic %s]: target is missing",
			    c->topics[i].name);
			return -1;
		}
		if (check_urgent_target(&c->topics[i], why, whylen) == -1)
			return -1;
	}
	for (i = 1; i < c->ncalendars; i++) {
		const struct calendar *cal = &c->calendars[i];
		int d, open = 0;

		for (d = 0; d < 7; d++)
			open += cal->nweek[d];
		if (!open) {
			snprintf(why, whylen,
			    "[calendar %s]: no opening hours "
			    "(mon = 08:00-16:00, ...)",
			    cal->name);
			return -1;
		}
	}
	for (i = 0; i < c->nsites; i++) {
		if (!c->sites[i].calendar_name[0]) {
			snprintf(why, whylen, "[site %s]: calendar is missing",
			    c->sites[i].name);
			return -1;
		}
		if (!(c->sites[i].calendar = find_calendar(c,
			  c->sites[i].calendar_name))) {
			snprintf(why, whylen,
			    "[site %s]: calendar '%s' is not defined "
			    "(24x7 or a [calendar NAME] section)",
			    c->sites[i].name, c->sites[i].calendar_name);
			return -1;
		}
	}
	for (i = 0; i < c->ntopics; i++) {
		struct topic_policy *t = &c->topics[i];

		if (t->calendar_name[0] &&
		    !(t->calendar = find_calendar(c, t->calendar_name))) {
			snprintf(why, whylen,
			    "[topic %s]: calendar '%s' is not defined", t->name,
			    t->calendar_name);
			return -1;
		}
	}
	if (check_targets_fit(c, why, whylen) == -1)
		return -1;
	if (strcmp(c->alert_transport, "local") &&
	    strcmp(c->alert_transport, "tcp") &&
	    strcmp(c->alert_transport, "udp")) {
		snprintf(why, whylen,
		    "[alerts]: transport '%s' is not local, tcp or udp",
		    c->alert_transport);
		return -1;
	}
	if (c->alert_webhook[0] && strncmp(c->alert_webhook, "http://", 7)) {
		snprintf(why, whylen,
		    "[alerts]: webhook must be an http:// URL");
		return -1;
	}
	if (!c->key_prefix[0]) {
		snprintf(why, whylen, "[redis]: key_prefix must not be empty");
		return -1;
	}
	return 0;
}

/*
 * [redis] password_file and sentinel_password_file: a password, read when
 * the config is, its trailing newline dropped, into out (of size bytes).
 * A file everyone may read is refused: the password would not be a
 * secret. Its content never goes into why.
 */
static int
read_password_file(const char *key, const char *path, char *out, size_t size,
    char *why, size_t whylen)
{
	char buf[sizeof(((struct config *)0)->redis_password) + 1];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if (!path[0])
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(why, whylen, "[redis]: %s: cannot read '%.160s': %s",
		    key, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_IROTH)) {
		snprintf(why, whylen,
		    "[redis]: %s: '%.120s' is %s; "
		    "chmod 0640 it",
		    key, path,
		    S_ISREG(st.st_mode) ? "readable by everyone" :
					  "not a regular file");
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "[redis]: %s: cannot read '%.160s': %s",
		    key, path, strerror(errno));
		return -1;
	}
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= size || len >= sizeof(buf) - 1 ||
	    memchr(buf, '\n', len) || memchr(buf, '\0', len)) {
		snprintf(why, whylen,
		    "[redis]: %s: '%.160s' must hold one "
		    "line of 1 to %zu characters",
		    key, path, size - 1);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* tls_cert and tls_key: both or neither (tls.c reads the files). */
int
config_check_tls_pair(const struct config *c, char *why, size_t whylen,
    int *line)
{
	int cert = c->tls_cert[0] != '\0', key = c->tls_key[0] != '\0';

	if (cert == key)
		return 0;
	snprintf(why, whylen,
	    "%s: given without %s; give both (PEM files) for "
	    "TLS on listen, or neither for plain HTTP",
	    cert ? "tls_cert" : "tls_key", cert ? "tls_key" : "tls_cert");
	*line = cert ? c->tls_cert_line : c->tls_key_line;
	return -1;
}

int
config_read_secrets(struct config *c, char *why, size_t whylen)
{
	if (c->redis_password_file[0] && c->redis_password[0]) {
		snprintf(why, whylen,
		    "[redis]: password_file: give password or "
		    "password_file, not both");
		return -1;
	}
	if (read_password_file("password_file", c->redis_password_file,
		c->redis_password, sizeof(c->redis_password), why,
		whylen) == -1)
		return -1;
	return read_password_file("sentinel_password_file",
	    c->sentinel_password_file, c->sentinel_password,
	    sizeof(c->sentinel_password), why, whylen);
}
