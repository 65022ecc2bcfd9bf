#ifndef CBD_EMBEDDED_H
#define CBD_EMBEDDED_H

/* SQL migrations, SQL functions and Lua scripts carried in the binary
 * (scripts/embed.sh). */

struct embedded_migration {
	int version;
	const char *name;
	const char *sql;
};

/* A file of sql/functions/: one function (or view) in CREATE OR REPLACE
 * form, re-applied by every --migrate. */
struct embedded_function {
	const char *name;
	const char *sql;
};

struct embedded_script {
	const char *name;
	const char *body;
};

/* Each ends with an entry whose name is NULL; migrations in version order,
 * functions in the order of their file names. */
extern const struct embedded_migration embedded_migrations[];
extern const struct embedded_function embedded_functions[];
extern const struct embedded_script embedded_scripts[];

#endif
