#ifndef CBD_LOG_H
#define CBD_LOG_H

/*
 * Logging in the OpenBSD manner. log_warn appends strerror(errno),
 * log_warnx does not. fatal/fatalx end the process and are for start-up
 * only. A log line says what happened and to what (callback id, site);
 * never who: no phone, name, customer reference or note.
 */

void log_init(int foreground, int debug);
void log_init_debug(int debug);
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Something the daemon cannot go on with (it stops after), LOG_ERR. */
void log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
