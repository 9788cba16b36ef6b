#if defined(__linux__)
#define _GNU_SOURCE
#include "flexshim_xdp.h"
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

static long bpf_call(int command, union bpf_attr *attributes) {
    return syscall(__NR_bpf, command, attributes, sizeof *attributes);
}

static int failure(const char **failed_step, const char *step) {
    int code = errno;
    if (failed_step) *failed_step = step;
    return -code;
}

// The program, in the kernel's instruction encoding:
//   r2 = ctx->rx_queue_index
//   r1 = the XSKMAP            (a 64-bit immediate: the map's descriptor, resolved at load)
//   r3 = XDP_PASS              (bpf_redirect_map's answer when the queue has no socket)
//   r0 = bpf_redirect_map(r1, r2, r3)
//   return r0
static int load_program(int map_fd) {
    struct bpf_insn instructions[] = {
        { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1,
          .off = offsetof(struct xdp_md, rx_queue_index) },
        { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
        { .code = 0 },
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
        { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
        { .code = BPF_JMP | BPF_EXIT },
    };
    union bpf_attr attributes;
    memset(&attributes, 0, sizeof attributes);
    attributes.prog_type = BPF_PROG_TYPE_XDP;
    attributes.expected_attach_type = BPF_XDP;
    attributes.insns = (uint64_t)(uintptr_t)instructions;
    attributes.insn_cnt = sizeof instructions / sizeof instructions[0];
    // bpf_redirect_map is open to programs of any licence.
    attributes.license = (uint64_t)(uintptr_t)"Proprietary";
    strncpy(attributes.prog_name, "flextcp_xsk", sizeof attributes.prog_name - 1);
    return (int)bpf_call(BPF_PROG_LOAD, &attributes);
}

static int close_descriptor(int fd) {
    if (fd >= 0) close(fd);
    return -1;
}

int flexshim_xdp_redirect_attach(struct flexshim_xdp_redirect *redirect, int interface_index, uint32_t queue,
                                 uint32_t queue_count, int socket_fd, uint32_t xdp_flags, const char **failed_step) {
    redirect->map_fd = redirect->program_fd = redirect->link_fd = -1;
    union bpf_attr attributes;

    memset(&attributes, 0, sizeof attributes);
    attributes.map_type = BPF_MAP_TYPE_XSKMAP;
    attributes.key_size = sizeof(uint32_t);
    attributes.value_size = sizeof(int);
    attributes.max_entries = queue_count;
    strncpy(attributes.map_name, "flextcp_xsks", sizeof attributes.map_name - 1);
    redirect->map_fd = (int)bpf_call(BPF_MAP_CREATE, &attributes);
    if (redirect->map_fd < 0) return failure(failed_step, "bpf(BPF_MAP_CREATE, XSKMAP)");

    memset(&attributes, 0, sizeof attributes);
    attributes.map_fd = (uint32_t)redirect->map_fd;
    attributes.key = (uint64_t)(uintptr_t)&queue;
    attributes.value = (uint64_t)(uintptr_t)&socket_fd;
    if (bpf_call(BPF_MAP_UPDATE_ELEM, &attributes) != 0) {
        int status = failure(failed_step, "bpf(BPF_MAP_UPDATE_ELEM)");
        flexshim_xdp_redirect_detach(redirect);
        return status;
    }

    redirect->program_fd = load_program(redirect->map_fd);
    if (redirect->program_fd < 0) {
        int status = failure(failed_step, "bpf(BPF_PROG_LOAD)");
        flexshim_xdp_redirect_detach(redirect);
        return status;
    }

    memset(&attributes, 0, sizeof attributes);
    attributes.link_create.prog_fd = (uint32_t)redirect->program_fd;
    attributes.link_create.target_ifindex = (uint32_t)interface_index;
    attributes.link_create.attach_type = BPF_XDP;
    attributes.link_create.flags = xdp_flags;
    redirect->link_fd = (int)bpf_call(BPF_LINK_CREATE, &attributes);
    if (redirect->link_fd < 0) {
        int status = failure(failed_step, "bpf(BPF_LINK_CREATE, BPF_XDP)");
        flexshim_xdp_redirect_detach(redirect);
        return status;
    }
    return 0;
}

void flexshim_xdp_redirect_detach(struct flexshim_xdp_redirect *redirect) {
    redirect->link_fd = close_descriptor(redirect->link_fd);
    redirect->program_fd = close_descriptor(redirect->program_fd);
    redirect->map_fd = close_descriptor(redirect->map_fd);
}
#endif
