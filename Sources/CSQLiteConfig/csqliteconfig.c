#include "csqliteconfig.h"

#include <sqlite3.h>

int kv_sqlite_configure_for_bulk_load(void) {
    int a = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    int b = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return a == SQLITE_OK && b == SQLITE_OK;
}
