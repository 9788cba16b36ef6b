#ifndef FLEXSHIM_BASE_H
#define FLEXSHIM_BASE_H
// Common includes for the CFlexShim headers.
#include <stdint.h>
#include <stddef.h>
#endif
