#ifndef CBD_EMBEDDED_H
#define CBD_EMBEDDED_H

/* SQL migrations and Lua scripts carried in the binary (scripts/embed.sh). */

struct embedded_migration {
	int version;
	const char *name;
	const char *sql;
};

struct embedded_script {
	const char *name;
	const char *body;
};

/* Both end with an entry whose name is NULL; migrations in version order. */
extern const struct embedded_migration embedded_migrations[];
extern const struct embedded_script embedded_scripts[];

#endif
