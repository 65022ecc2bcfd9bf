/*
 * timeline.c owns the rules of a callback's story as the API shows it:
 * who may read it, with or without the attempts' notes, and how long an
 * answer is. Pure: no I/O, no SQL, no log; the store reads the story, the
 * handler answers with it.
 */
#include <string.h>

#include "timeline.h"

enum timeline_view
timeline_view(const char *caseworker, const struct callback *cb, int held)
{
	if (!caseworker || !*caseworker)
		return TIMELINE_FULL;
	if (!strcmp(cb->assignee, caseworker) ||
	    !strcmp(cb->claimed_by, caseworker))
		return TIMELINE_FULL;
	return held ? TIMELINE_NO_NOTES : TIMELINE_DENIED;
}

int
timeline_shape(json_t *events, enum timeline_view view, size_t max)
{
	size_t i, n = json_array_size(events);
	int cut = 0;
	json_t *data;

	while (n > max) {
		json_array_remove(events, --n);
		cut = 1;
	}
	if (view == TIMELINE_FULL)
		return cut;
	for (i = 0; i < n; i++) {
		data = json_object_get(json_array_get(events, i), "data");
		if (json_is_object(data))
			json_object_del(data, "note");
	}
	return cut;
}
