#ifndef CFLEXSHIM_H
#define CFLEXSHIM_H
// Umbrella header of the CFlexShim module: list every header of this folder here (one concern per
// header). An explicit list, rather than an umbrella directory, makes a new header a visible change
// that invalidates clang's module cache.
#include "flexshim_base.h"
#include "flexshim_core_round_trip.h"
#include "flexshim_cpu.h"
#include "flexshim_crc32c.h"
#include "flexshim_eventfd.h"
#include "flexshim_packet.h"
#include "flexshim_service.h"
#include "flexshim_sha256.h"
#include "flexshim_socket.h"
#include "flexshim_stdio.h"
#include "flexshim_tun.h"
#include "flexshim_uring.h"
#include "flexshim_xdp.h"
#include "flexshim_zerocopy.h"
#endif
