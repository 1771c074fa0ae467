#ifndef COFFER_SYSTEM_HARDENING_H
#define COFFER_SYSTEM_HARDENING_H

/// prctl(2) is variadic, so Swift cannot call it; these wrap the two calls Coffer needs.
/// Both return 0 on success, -1 with errno set on failure (or, for the getter, the flag).
int coffer_set_dumpable(int dumpable);
int coffer_get_dumpable(void);

#endif
