// Intentionally empty: the shims are static inline functions in include/CSindriSystem.h.
#include "CSindriSystem.h"
