#include <stdio.h>
#include "flexshim_stdio.h"

void flexshim_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
