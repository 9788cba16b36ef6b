#ifndef FLEXSHIM_BASE_H
#define FLEXSHIM_BASE_H
// CFlexShim exposes every header in this folder (umbrella directory); keep one concern per header.
#include <stdint.h>
#include <stddef.h>
#endif
