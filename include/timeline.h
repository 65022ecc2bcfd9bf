#ifndef CBD_TIMELINE_H
#define CBD_TIMELINE_H
#include <stddef.h>

#include <jansson.h>

#include "callback.h"

/* What a reader may see of a callback's story (GET
 * /v1/callbacks/{id}/events). */
enum timeline_view {
	TIMELINE_DENIED,   /* nothing: 403 */
	TIMELINE_NO_NOTES, /* the story without the attempts' notes */
	TIMELINE_FULL      /* the story with them */
};

/*
 * Agents and managers see the whole story, as they see the whole callback.
 * A caseworker sees the story of a callback assigned to them or held by
 * them now with the attempts' notes (they may read the callback itself:
 * GET /v1/callbacks/{id}), and of one they held before (held: they
 * claimed it once) without them; nothing of another's. caseworker: the
 * reader's caseworker id, NULL or "" for the other roles.
 */
enum timeline_view timeline_view(const char *caseworker,
    const struct callback *, int held);

/*
 * Shapes a story (a JSON array of {at, kind, actor, data}, oldest first)
 * for a view other than TIMELINE_DENIED, in place: without the notes in
 * TIMELINE_NO_NOTES, and at most max entries (the oldest); returns 1 when
 * entries were left off, else 0.
 */
int timeline_shape(json_t *events, enum timeline_view, size_t max);

#endif
