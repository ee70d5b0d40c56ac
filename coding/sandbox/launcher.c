/*
 * observer-launcher, two small jobs that would otherwise cost a run an exec or more:
 *
 * observer-launcher --exec UID GID N [RESOURCE SOFT HARD]*N PROGRAM [ARG]...
 *   How the server starts bwrap: set N rlimits, drop to UID/GID with no supplementary
 *   groups (UID "-": stay), exec PROGRAM (an absolute path). One static exec instead
 *   of util-linux's prlimit and setpriv (~2 ms here; the server has no
 *   CAP_SYS_RESOURCE, so it cannot set the rlimits of a child that already dropped).
 *
 * observer-launcher CONTROL-FD
 *   The program a pre-started ("warm") bubblewrap sandbox runs while it waits for a
 *   run; see coding/sandbox/warm.py for the server's side.
 *
 * It runs inside the finished sandbox, as the sandbox's uid, in /work (its tmpfs).
 * It writes one byte 'R' on its control socket (argv[1]) when ready, then reads one
 * request from it:
 *
 *   "OBL1"
 *   u32 nlimits, then per rlimit: u32 resource, u64 soft, u64 hard
 *   u32 nfiles, then per file: u32 name length, name, u32 size, content
 *   u32 argc,   then per arg:  u32 length, bytes
 *   u32 envc,   then per var:  u32 length, bytes ("NAME=value")
 *
 * (little-endian; every count and length is bounded below.) It sets the rlimits (the
 * server only asks for values at or below the sandbox's own, which any process may
 * do), creates the files in /work
 * without following symlinks and without overwriting anything (O_NOFOLLOW | O_EXCL,
 * mkdir for subdirectories, no "..", no absolute names, no empty or "." parts), closes
 * every descriptor but 0-2 and execs argv with exactly that environment. On a bad
 * request or a failed write it reports "E<message>" on the control socket and exits
 * 126; if the server goes away before sending anything it exits 0. It never parses
 * anything of the student's program: the program does not exist yet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LIMITS 16
#define MAX_FILES 256
#define MAX_NAME 1024
#define MAX_FILE_SIZE (256u * 1024 * 1024)
#define MAX_ARGS 256
#define MAX_ARG 65536
#define MAX_ENV 256
#define MAX_DEPTH 16

static int control = -1;

/* Every signal back to its default action and none blocked. An ignored signal and the
 * signal mask survive exec: a server started with SIGINT ignored (a background job of a
 * shell script, nohup) would otherwise hand that to every student's program, whose
 * Ctrl+C would then do nothing. */
static void reset_signals(void) {
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL); /* fails harmlessly for the libc's reserved ones */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void fail(const char *fmt, ...) {
    char message[512];
    va_list args;
    message[0] = 'E';
    va_start(args, fmt);
    vsnprintf(message + 1, sizeof message - 1, fmt, args);
    va_end(args);
    if (control >= 0) {
        ssize_t ignored = write(control, message, strlen(message));
        (void)ignored;
    }
    _exit(126);
}

/* Reads exactly n bytes; EOF before the first byte of the request means "never used". */
static void read_exact(void *buffer, size_t n, int may_end) {
    char *at = buffer;
    while (n > 0) {
        ssize_t got = read(control, at, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got == 0 && may_end && at == (char *)buffer)
            _exit(0);
        if (got <= 0)
            fail("truncated request");
        at += got;
        n -= (size_t)got;
        may_end = 0;
    }
}

static uint32_t read_u32(uint32_t max, const char *what) {
    unsigned char bytes[4];
    read_exact(bytes, 4, 0);
    uint32_t value = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | (uint32_t)bytes[3] << 24;
    if (value > max)
        fail("%s too large (%u > %u)", what, value, max);
    return value;
}

static uint64_t read_u64(void) {
    unsigned char bytes[8];
    read_exact(bytes, 8, 0);
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = value << 8 | bytes[i];
    return value;
}

/* A NUL-terminated copy of the next length-prefixed string (no NUL bytes inside). */
static char *read_string(uint32_t max, const char *what) {
    uint32_t length = read_u32(max, what);
    char *text = malloc((size_t)length + 1);
    if (text == NULL)
        fail("out of memory");
    read_exact(text, length, 0);
    text[length] = '\0';
    if (memchr(text, '\0', length) != NULL)
        fail("%s holds a NUL byte", what);
    return text;
}

static int valid_part(const char *part) {
    return part[0] != '\0' && strcmp(part, ".") != 0 && strcmp(part, "..") != 0;
}

static void write_file(int work, char *name, uint32_t size) {
    if (name[0] == '/')
        fail("absolute file name");
    int dir = dup(work);
    if (dir < 0)
        fail("dup: %s", strerror(errno));
    int depth = 0;
    char *part = name;
    for (char *slash; (slash = strchr(part, '/')) != NULL; part = slash + 1) {
        *slash = '\0';
        if (!valid_part(part) || ++depth > MAX_DEPTH)
            fail("invalid file name");
        if (mkdirat(dir, part, 0755) != 0 && errno != EEXIST)
            fail("mkdir %s: %s", part, strerror(errno));
        int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            fail("open directory %s: %s", part, strerror(errno));
        close(dir);
        dir = next;
    }
    if (!valid_part(part))
        fail("invalid file name");
    int fd = openat(dir, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("create %s: %s", part, strerror(errno));
    char chunk[65536];
    while (size > 0) {
        size_t n = size < sizeof chunk ? size : sizeof chunk;
        read_exact(chunk, n, 0);
        for (size_t done = 0; done < n;) {
            ssize_t put = write(fd, chunk + done, n - done);
            if (put < 0 && errno == EINTR)
                continue;
            if (put < 0)
                fail("write %s: %s", part, strerror(errno));
            done += (size_t)put;
        }
        size -= (uint32_t)n;
    }
    if (close(fd) != 0)
        fail("close %s: %s", part, strerror(errno));
    close(dir);
}

static void close_other_fds(void) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = 3; fd < 65536; fd++)
        close(fd);
}

static int parse_number(const char *text, unsigned long long max, unsigned long long *value) {
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return 0;
    errno = 0;
    *value = strtoull(text, &end, 10);
    return errno == 0 && *end == '\0' && *value <= max;
}

static void die(const char *what) {
    dprintf(2, "observer-launcher: %s: %s\n", what, strerror(errno));
    _exit(125);
}

static int exec_mode(int argc, char **argv) {
    unsigned long long uid = 0, gid = 0, count, resource, soft, hard;
    int drop = strcmp(argv[2], "-") != 0;
    if (argc < 6 || (drop && (!parse_number(argv[2], 0xfffffffeULL, &uid) ||
                              !parse_number(argv[3], 0xfffffffeULL, &gid))) ||
        !parse_number(argv[4], MAX_LIMITS, &count) || (unsigned long long)argc < 6 + 3 * count) {
        errno = EINVAL;
        die("usage: --exec UID GID N [RESOURCE SOFT HARD]... PROGRAM [ARG]...");
    }
    for (unsigned long long i = 0; i < count; i++) {
        struct rlimit limit;
        if (!parse_number(argv[5 + 3 * i], RLIMIT_NLIMITS - 1, &resource) ||
            !parse_number(argv[6 + 3 * i], ~0ULL, &soft) || !parse_number(argv[7 + 3 * i], ~0ULL, &hard) ||
            soft > hard) {
            errno = EINVAL;
            die("bad rlimit");
        }
        limit.rlim_cur = (rlim_t)soft;
        limit.rlim_max = (rlim_t)hard;
        if (setrlimit((int)resource, &limit) != 0)
            die("setrlimit");
    }
    if (drop) {
        if (setgroups(0, NULL) != 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0 ||
            setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0)
            die("dropping privileges");
        if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
            die("privileges not dropped");
    }
    char **program = argv + 5 + 3 * count;
    if (program[0][0] != '/') {
        errno = EINVAL;
        die("the program must be an absolute path");
    }
    reset_signals();
    execv(program[0], program);
    die(program[0]);
    return 125;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--exec") == 0)
        return exec_mode(argc, argv);
    if (argc != 2)
        _exit(125);
    char *end;
    long fd = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || fd < 3 || fd > 65535)
        _exit(125);
    control = (int)fd;
    umask(022);
    if (write(control, "R", 1) != 1)
        _exit(0);

    char magic[4];
    read_exact(magic, 4, 1);
    if (memcmp(magic, "OBL1", 4) != 0)
        fail("bad request");
    uint32_t nlimits = read_u32(MAX_LIMITS, "rlimit count");
    for (uint32_t i = 0; i < nlimits; i++) {
        uint32_t resource = read_u32(RLIMIT_NLIMITS - 1, "rlimit");
        struct rlimit limit;
        limit.rlim_cur = (rlim_t)read_u64();
        limit.rlim_max = (rlim_t)read_u64();
        if (limit.rlim_cur > limit.rlim_max)
            fail("rlimit %u: soft limit above the hard one", resource);
        if (setrlimit((int)resource, &limit) != 0)
            fail("rlimit %u: %s", resource, strerror(errno));
    }
    int work = open("/work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (work < 0)
        fail("open /work: %s", strerror(errno));
    uint32_t nfiles = read_u32(MAX_FILES, "file count");
    for (uint32_t i = 0; i < nfiles; i++) {
        char *name = read_string(MAX_NAME, "file name");
        write_file(work, name, read_u32(MAX_FILE_SIZE, "file size"));
        free(name);
    }
    close(work);

    uint32_t nargs = read_u32(MAX_ARGS, "argument count");
    if (nargs == 0)
        fail("no program");
    char **args = calloc((size_t)nargs + 1, sizeof *args);
    for (uint32_t i = 0; args != NULL && i < nargs; i++)
        args[i] = read_string(MAX_ARG, "argument");
    uint32_t nenv = read_u32(MAX_ENV, "variable count");
    char **env = calloc((size_t)nenv + 1, sizeof *env);
    if (args == NULL || env == NULL)
        fail("out of memory");
    for (uint32_t i = 0; i < nenv; i++) {
        env[i] = read_string(MAX_ARG, "variable");
        if (strchr(env[i], '=') == NULL || env[i][0] == '=')
            fail("invalid variable");
    }

    close_other_fds(); /* the control socket too: the program gets only 0, 1, 2 */
    control = -1;
    reset_signals();
    execve(args[0], args, env);
    dprintf(2, "observer-launcher: cannot execute %s: %s\n", args[0], strerror(errno));
    _exit(127);
}
