/*
 * store_rows.c owns the shapes values take between C and SQL: a callback
 * row decoded from CB_COLS (and handed on as a one-callback answer), text
 * and time columns, and the parameters (times, optional strings, array
 * literals) a statement is given. It runs no statement.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_job.h"
#include "ident.h"

void
col_str(const PGresult *res, int row, int col, char *dst, size_t len)
{
	snprintf(dst, len, "%s",
	    PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

int64_t
col_time(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return CBD_NO_TIME;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Reads CB_COLS starting at column first. The CHECK constraint on
 * callbacks.state keeps it to the words of enum cb_state; one outside them
 * (a schema this build does not know) is logged and read as cancelled:
 * closed, so that nothing offers or changes the callback. */
void
row_to_callback(const PGresult *res, int row, int first, struct callback *cb)
{
	int i = first;

	memset(cb, 0, sizeof(*cb));
	col_str(res, row, i++, cb->id, sizeof(cb->id));
	if (state_parse(PQgetvalue(res, row, i++), &cb->state) == -1) {
		log_warnx("callback %s: unknown state in its row; read as "
			  "cancelled",
		    cb->id);
		cb->state = CB_CANCELLED;
	}
	col_str(res, row, i++, cb->phone, sizeof(cb->phone));
	col_str(res, row, i++, cb->topic, sizeof(cb->topic));
	col_str(res, row, i++, cb->site, sizeof(cb->site));
	col_str(res, row, i++, cb->language, sizeof(cb->language));
	cb->urgent = PQgetvalue(res, row, i++)[0] == 't';
	col_str(res, row, i++, cb->assignee, sizeof(cb->assignee));
	col_str(res, row, i++, cb->name, sizeof(cb->name));
	col_str(res, row, i++, cb->customer_ref, sizeof(cb->customer_ref));
	col_str(res, row, i++, cb->note, sizeof(cb->note));
	col_str(res, row, i++, cb->call_id, sizeof(cb->call_id));
	cb->requested_at = col_time(res, row, i++);
	cb->received_at = col_time(res, row, i++);
	cb->due_at = col_time(res, row, i++);
	cb->not_before = col_time(res, row, i++);
	cb->not_after = col_time(res, row, i++);
	cb->request_count = atoi(PQgetvalue(res, row, i++));
	cb->created_at = col_time(res, row, i++);
	cb->updated_at = col_time(res, row, i++);
	col_str(res, row, i++, cb->lease_token, sizeof(cb->lease_token));
	cb->lease_until = col_time(res, row, i++);
	col_str(res, row, i++, cb->claimed_by, sizeof(cb->claimed_by));
	cb->attempt_count = atoi(PQgetvalue(res, row, i++));
	cb->lapsed_leases = atoi(PQgetvalue(res, row, i++));
	cb->flagged = PQgetvalue(res, row, i++)[0] == 't';
	cb->first_attempt_at = col_time(res, row, i++);
	cb->reached_at = col_time(res, row, i++);
	cb->closed_at = col_time(res, row, i++);
	cb->unanswered_count = atoi(PQgetvalue(res, row, i++));
}

const char *
str_or_null(const char *s)
{
	return s && *s ? s : NULL;
}

const char *
time_param(int64_t ms, char *buf, size_t len)
{
	if (ms == CBD_NO_TIME)
		return NULL;
	snprintf(buf, len, "%lld", (long long)ms);
	return buf;
}

/* '{a,b}': the items are identifiers checked by the caller. */
void
array_literal(char *buf, size_t len, const char *items, size_t item_len,
    size_t n)
{
	size_t i, off = 0;

	off += (size_t)snprintf(buf + off, len - off, "{");
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? "," : "", items + i * item_len);
	if (off < len)
		snprintf(buf + off, len - off, "}");
}

char *
uuid_array(const char *const *ids, size_t n)
{
	size_t i, off = 0;
	char *list = calloc(n + 1, 40);

	if (!list)
		return NULL;
	list[off++] = '{';
	for (i = 0; i < n; i++)
		if (ident_uuid(ids[i]))
			off += (size_t)sprintf(list + off, "%s%s",
			    off > 1 ? "," : "", ids[i]);
	list[off] = '}';
	return list;
}

char *
id_array(const int64_t *ids, size_t n)
{
	size_t i, off = 0;
	char *list = malloc(n * 21 + 3); /* 20 digits and a sign or comma */

	if (!list)
		return NULL;
	list[off++] = '{';
	for (i = 0; i < n; i++)
		off += (size_t)sprintf(list + off, "%s%" PRId64, i ? "," : "",
		    ids[i]);
	strcpy(list + off, "}");
	return list;
}

/* The answer of a query for one callback: CB_COLS then one more column,
 * handed on as the callback's extra text (its attempts, its story);
 * STORE_NOT_FOUND without a row. */
void
callback_row_answer(struct query_job *q, enum store_status st,
    const PGresult *res)
{
	struct callback cb;

	if (st != STORE_OK)
		q->done.callback(q->arg, st, NULL, NULL);
	else if (PQntuples(res) == 0)
		q->done.callback(q->arg, STORE_NOT_FOUND, NULL, NULL);
	else {
		row_to_callback(res, 0, 0, &cb);
		q->done.callback(q->arg, STORE_OK, &cb,
		    PQgetvalue(res, 0, CB_NCOLS));
	}
}
