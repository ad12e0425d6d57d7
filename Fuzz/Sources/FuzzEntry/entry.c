#include <stddef.h>
#include <stdint.h>
#include "FuzzEntry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t));

static int run(int argc, char **argv) { return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput); }

int FuzzPayload_main(int argc, char **argv) { return run(argc, argv); }
int FuzzLogs_main(int argc, char **argv) { return run(argc, argv); }
int FuzzUser_main(int argc, char **argv) { return run(argc, argv); }
int FuzzSnapshot_main(int argc, char **argv) { return run(argc, argv); }
int FuzzEntryDummy(void) { return 0; }
