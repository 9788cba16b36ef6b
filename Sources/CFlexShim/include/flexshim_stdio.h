#ifndef FLEXSHIM_STDIO_H
#define FLEXSHIM_STDIO_H
// Standard streams, which Swift 6 cannot name (`stdout` is a mutable C global).
#include "flexshim_base.h"

// Makes standard output line-buffered: each line reaches a file or pipe when it is complete.
void flexshim_line_buffer_stdout(void);
#endif
