#include "coffer_system_hardening.h"

#if defined(__linux__)
#include <sys/prctl.h>

int coffer_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0); }
int coffer_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#else
int coffer_set_dumpable(int dumpable) { (void)dumpable; return 0; }
int coffer_get_dumpable(void) { return 0; }
#endif
