// SwiftPM links a Linux executable with `--defsym main=<Target>_main`; these hand control to libFuzzer's driver.
int FuzzEntryDummy(void);
