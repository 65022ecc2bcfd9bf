/*
 * log.c owns where operational messages go: stderr in the foreground
 * (with sd-daemon priority prefixes when that is systemd's journal, else
 * with a time and a level word), syslog (LOG_DAEMON) otherwise. It never sees personal data: callers pass
 * ids and states only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

static int log_to_stderr = 1;
static int log_to_journal; /* stderr is systemd's journal stream */
static int log_debug_on;

/* systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected stderr to; if stderr is still that stream, lines carry the
 * sd-daemon(3) priority prefix ("<4>") and the journal adds the time. */
static int
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!v || sscanf(v, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int foreground, int debug)
{
	log_to_stderr = foreground;
	log_to_journal = foreground && stderr_is_journal();
	log_debug_on = debug;
	if (!foreground)
		openlog("callbackd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static const char *
level_word(int pri)
{
	switch (pri) {
	case LOG_DEBUG:
		return "debug: ";
	case LOG_INFO:
		return "";
	case LOG_WARNING:
		return "warning: ";
	case LOG_ERR:
		return "error: ";
	default:
		return "fatal: ";
	}
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to_journal) {
		fprintf(stderr, "<%d>%s%s%s\n", pri, msg, suffix ? ": " : "",
		    suffix ? suffix : "");
		fflush(stderr);
	} else if (log_to_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ callbackd: %s%s%s%s\n", stamp,
		    ts.tv_nsec / 1000000, level_word(pri), msg,
		    suffix ? ": " : "", suffix ? suffix : "");
		fflush(stderr);
	} else if (suffix)
		syslog(pri, "%s: %s", msg, suffix);
	else
		syslog(pri, "%s", msg);
}

void
log_init_debug(int debug)
{
	log_debug_on = debug;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
