/*
 * alert.c owns what an SLA alert says, whichever way it leaves: the RFC
 * 5424 message with its structured data (alert_syslog.c carries it) and
 * the JSON body of the webhook (alert_webhook.c posts it). Pure: no
 * clock, no socket; it decides nothing about which alerts are due. It
 * never writes personal data: an alert carries ids, sites, topics, its
 * level, reason and times only.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alert.h"
#include "timefmt.h"

/* The structured-data id: 32473 is the private enterprise number that RFC
 * 5612 reserves for documentation and examples. */
#define SD_ID "sla@32473"
/* local0; at_risk and unclaimable are warnings, breached an error. */
#define FACILITY 16
#define SEV_WARNING 4
#define SEV_ERR 3

/* An SD-PARAM value as RFC 5424 6.3.3 wants it: '"', '\' and ']' escaped
 * with a backslash. Ids, levels and reasons are words of ours, sites and
 * topics the config's identifiers: none has these characters today, but a
 * receiver must read the structured data as it was meant whatever they
 * hold. Returns 0, or -1 when it does not fit in len. */
static int
sd_escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == ']') {
			if (n + 1 >= len)
				return -1;
			buf[n++] = '\\';
		}
		if (n + 1 >= len)
			return -1;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return 0;
}

/* Each escaped value is at most twice as long as the field it comes from. */
#define ESC(field) (2 * sizeof(((struct alert *)0)->field) + 1)

size_t
alert_format(const struct alert *a, const char *host, int pid, int64_t now,
    char *buf, size_t len)
{
	char ts[CBD_TIME_STR], due[CBD_TIME_STR], planned[CBD_TIME_STR];
	char id[ESC(callback_id)], site[ESC(site)], topic[ESC(topic)];
	char level[ESC(level)], reason[ESC(reason)];
	int breached = !strcmp(a->level, "breached");
	int pri = FACILITY * 8 + (breached ? SEV_ERR : SEV_WARNING);
	int n;

	/* TIMESTAMP is when the message is sent; planned, when the alert was
	 * due to go out: later when it was held while syslog was down */
	rfc3339_format(now, ts, sizeof(ts));
	rfc3339_format(a->due_at, due, sizeof(due));
	rfc3339_format(a->fire_at != CBD_NO_TIME ? a->fire_at : now, planned,
	    sizeof(planned));
	if (sd_escape(a->callback_id, id, sizeof(id)) == -1 ||
	    sd_escape(a->site, site, sizeof(site)) == -1 ||
	    sd_escape(a->topic, topic, sizeof(topic)) == -1 ||
	    sd_escape(a->level, level, sizeof(level)) == -1 ||
	    sd_escape(a->reason[0] ? a->reason : "-", reason, sizeof(reason)) ==
		-1)
		return 0;
	if (!strcmp(a->level, "forecast"))
		n = snprintf(buf, len,
		    "<%d>1 %s %s callbackd %d sla "
		    "[" SD_ID " site=\"%s\" topic=\"%s\" level=\"forecast\" "
		    "day=\"%s\" breaches=\"%d\" threshold=\"%.0f\" "
		    "first_breach=\"%s\"] "
		    "site %s, topic %s: %d callback%s projected to breach on "
		    "%s (threshold %.0f), the first due %s",
		    FACILITY * 8 + SEV_WARNING, ts, host[0] ? host : "-", pid,
		    site, topic, a->day, a->breaches, a->threshold,
		    a->due_at != CBD_NO_TIME ? due : "-", a->site, a->topic,
		    a->breaches, a->breaches == 1 ? "" : "s", a->day,
		    a->threshold, a->due_at != CBD_NO_TIME ? due : "-");
	else if (!strcmp(a->level, "unclaimable"))
		n = snprintf(buf, len,
		    "<%d>1 %s %s callbackd %d sla "
		    "[" SD_ID " callback=\"%s\" site=\"%s\" topic=\"%s\" "
		    "level=\"unclaimable\" reason=\"%s\" due=\"%s\" planned=\"%s\"] "
		    "callback %s unclaimable: no active caseworker may claim it "
		    "(%s), due %s",
		    pri, ts, host[0] ? host : "-", pid, id, site, topic, reason,
		    due, planned, a->callback_id,
		    a->reason[0] ? a->reason : "-", due);
	else
		n = snprintf(buf, len,
		    "<%d>1 %s %s callbackd %d sla "
		    "[" SD_ID " callback=\"%s\" site=\"%s\" topic=\"%s\" "
		    "level=\"%s\" due=\"%s\" planned=\"%s\" elapsed=\"%.2f\"] "
		    "callback %s %s: %.0f%% of the SLA target used, due %s",
		    pri, ts, host[0] ? host : "-", pid, id, site, topic, level,
		    due, planned, a->threshold, a->callback_id,
		    breached ? "breached" : "at risk", a->threshold * 100, due);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

char *
alert_json(const struct alert *a, int64_t now)
{
	char due[CBD_TIME_STR], fired[CBD_TIME_STR], planned[CBD_TIME_STR];
	json_t *body;
	char *text;

	rfc3339_format(a->due_at, due, sizeof(due));
	rfc3339_format(a->fired_at != CBD_NO_TIME ? a->fired_at : now, fired,
	    sizeof(fired));
	rfc3339_format(a->fire_at != CBD_NO_TIME ? a->fire_at : now, planned,
	    sizeof(planned));
	body = json_pack("{s:I,s:s,s:s,s:f,s:s,s:s,s:s,s:s,s:s}", "id",
	    (json_int_t)a->id, "callback_id", a->callback_id, "level", a->level,
	    "threshold", a->threshold, "site", a->site, "topic", a->topic,
	    "due_at", due, "planned_at", planned, "fired_at", fired);
	if (body && a->reason[0]) /* unclaimable: why nobody may claim it */
		json_object_set_new(body, "reason", json_string(a->reason));
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return text;
}
