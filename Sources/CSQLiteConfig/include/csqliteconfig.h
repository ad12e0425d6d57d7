/*
 * csqliteconfig.h - process-wide SQLite settings that Swift cannot make itself
 * (sqlite3_config is variadic).
 */
#ifndef CSQLITECONFIG_H
#define CSQLITECONFIG_H

/* Switches SQLite to multi-thread mode (no mutex per connection call; GRDB
 * already serializes the use of each connection) and turns off its memory
 * statistics (a global mutex on every allocation). Must run before SQLite is
 * initialized, i.e. before the first connection is opened; later calls have no
 * effect. Returns 1 when both settings were applied. */
int kv_sqlite_configure_for_bulk_load(void);

#endif
