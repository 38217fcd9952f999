"""Sandbox limits: resource limits and a seccomp filter (no new processes, no mounts or namespaces) on the caller.

A cold run starts `python boot.py LIMITS_JSON -- COMMAND...` inside the sandbox (or as the limits-only child): it
limits itself and then execs the command, the thread-safe alternative to `preexec_fn` (which the runner must not use
in a threaded server). The warm worker calls `apply_limits` in each forked run instead. Standard library only, so
that it starts fast.
"""
import ctypes
import json
import os
import platform
import resource
import struct
import sys

# Seccomp constants (linux/seccomp.h, linux/filter.h, linux/audit.h).
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_EAGAIN, _ENOSYS, _EPERM = 11, 38, 1
_CLONE_THREAD = 0x00010000
# arch -> (audit arch, syscall numbers that create a process without CLONE_THREAD, clone, clone3)
_ARCHES = {
    "x86_64": (0xC000003E, (57, 58), 56, 435),  # fork, vfork; clone; clone3
    "aarch64": (0xC00000B7, (), 220, 435),
}
# Refused always: changing mounts or namespaces and tracing (a warm run must not undo the mounts that hide the other
# runs' folders). ptrace, chroot, mount, umount2, pivot_root, unshare, setns, then the new mount API (428-433, 442).
_NEW_MOUNT_API = (428, 429, 430, 431, 432, 433, 442)
_NO_MOUNTS = {
    "x86_64": (101, 161, 165, 166, 155, 272, 308) + _NEW_MOUNT_API,
    "aarch64": (117, 51, 40, 39, 41, 97, 268) + _NEW_MOUNT_API,
}


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def install_seccomp_filter(block_fork: bool = True) -> bool:
    """Refuse mounts, namespaces and ptrace, and (block_fork) every new process (fork, vfork, clone without
    CLONE_THREAD) while allowing threads.

    RLIMIT_NPROC does nothing for root, so this filter is what caps the process count at one. clone3 answers ENOSYS
    so that glibc falls back to clone, whose flags a classic BPF filter can inspect. Returns False where the
    architecture is not supported or the kernel refuses (the PID namespace and the wall limit still apply).
    """
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return False
    audit_arch, forks, clone_nr, clone3_nr = arch
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, ..., BPF_RET|K
    deny, refuse = _SECCOMP_RET_ERRNO | _EAGAIN, _SECCOMP_RET_ERRNO | _EPERM
    prog = [_bpf(LD, 0, 0, 4), _bpf(JEQ, 1, 0, audit_arch), _bpf(RET, 0, 0, refuse), _bpf(LD, 0, 0, 0)]
    if platform.machine() == "x86_64":  # x32 system calls carry bit 30; refuse them all
        prog += [_bpf(JGE, 0, 1, 0x40000000), _bpf(RET, 0, 0, refuse)]
    for nr in _NO_MOUNTS[platform.machine()]:
        prog += [_bpf(JEQ, 0, 1, nr), _bpf(RET, 0, 0, refuse)]
    if block_fork:
        for nr in forks:
            prog += [_bpf(JEQ, 0, 1, nr), _bpf(RET, 0, 0, deny)]
        prog += [_bpf(JEQ, 0, 1, clone3_nr), _bpf(RET, 0, 0, _SECCOMP_RET_ERRNO | _ENOSYS),
                 _bpf(JEQ, 0, 3, clone_nr), _bpf(LD, 0, 0, 16),  # args[0] low word = clone flags
                 _bpf(JSET, 1, 0, _CLONE_THREAD), _bpf(RET, 0, 0, deny)]
    prog.append(_bpf(RET, 0, 0, _SECCOMP_RET_ALLOW))
    code = b"".join(prog)
    buf = ctypes.create_string_buffer(code)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) == 0


def apply_limits(limits: dict) -> None:
    """CPU, memory, file size, process and file-descriptor limits, then the seccomp filter, on this process."""
    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU at the soft limit, SIGKILL one second later
    resource.setrlimit(resource.RLIMIT_DATA, (limits["memory_bytes"],) * 2)  # not RLIMIT_AS: torch reserves address space
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)  # also caps the captured output files
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"],) * 2)  # effective only when not root
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    blocked = install_seccomp_filter(limits.get("block_fork", True))
    os.environ["MOE_LAB_FORK_BLOCKED"] = "1" if blocked and limits.get("block_fork", True) else "0"


def main() -> None:
    split = sys.argv.index("--")
    apply_limits(json.loads(sys.argv[1]))
    command = sys.argv[split + 1:]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
