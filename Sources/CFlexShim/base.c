#include "flexshim_base.h"
