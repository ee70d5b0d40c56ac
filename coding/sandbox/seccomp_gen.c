/*
 * observer-seccomp-gen OUTPUT: turns the sandbox's policy into a seccomp BPF program
 * with libseccomp, for `bwrap --seccomp FD`. Built and run by scripts/install; the
 * policy itself lives in coding/sandbox/policy.py, which writes this program's input
 * (`python -m coding.sandbox.policy rules`): this file only translates, it decides
 * nothing.
 *
 * Input (stdin), one rule a line, blank lines and '#' comments ignored:
 *
 *   ERRNO SYSCALL                    refuse SYSCALL with ERRNO
 *   ERRNO SYSCALL ARG MASK DATUM     refuse it when (argument ARG & MASK) == DATUM
 *
 * (numbers in C notation: 1, 0x10000000). Everything not refused is allowed. The
 * filter is for the native architecture only (x86_64 here): a call through another
 * ABI (i386's int 0x80, x32's syscall numbers with bit 30 set) kills the process, so
 * the refusals cannot be dodged by calling the same syscall under another number.
 * An unknown syscall name, a bad line or a libseccomp error fails the whole build.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, int line, int rc) {
    fprintf(stderr, "observer-seccomp-gen: line %d: %s%s%s\n", line, what,
            rc ? ": " : "", rc ? strerror(-rc) : "");
    exit(1);
}

static unsigned long long number(const char *text, int line) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 0);
    if (errno != 0 || *text == '\0' || *end != '\0' || text[0] == '-')
        die("not a number", line, 0);
    return value;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: observer-seccomp-gen OUTPUT < rules\n");
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        die("seccomp_init failed", 0, 0);
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0)
        die("cannot kill calls of other architectures", 0, rc);

    char buffer[512];
    int line = 0, rules = 0;
    while (fgets(buffer, sizeof buffer, stdin) != NULL) {
        line++;
        if (strchr(buffer, '\n') == NULL && !feof(stdin))
            die("line too long", line, 0);
        char *fields[6];
        int count = 0;
        for (char *token = strtok(buffer, " \t\r\n"); token != NULL; token = strtok(NULL, " \t\r\n")) {
            if (token[0] == '#')
                break;
            if (count == 6)
                die("too many fields", line, 0);
            fields[count++] = token;
        }
        if (count == 0)
            continue;
        if (count != 2 && count != 5)
            die("expected ERRNO SYSCALL [ARG MASK DATUM]", line, 0);
        unsigned long long err = number(fields[0], line);
        if (err == 0 || err > 4095)
            die("errno out of range", line, 0);
        int nr = seccomp_syscall_resolve_name(fields[1]);
        if (nr == __NR_SCMP_ERROR)
            die("unknown syscall", line, 0);
        if (count == 2) {
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 0);
        } else {
            unsigned long long arg = number(fields[2], line);
            if (arg > 5)
                die("argument index out of range", line, 0);
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 1,
                                  SCMP_CMP((unsigned)arg, SCMP_CMP_MASKED_EQ,
                                           number(fields[3], line), number(fields[4], line)));
        }
        if (rc < 0)
            die(fields[1], line, rc);
        rules++;
    }
    if (ferror(stdin))
        die("cannot read the rules", line, 0);
    if (rules == 0)
        die("no rules: refusing to build a filter that allows everything", line, 0);

    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0)
        die("cannot export the filter", line, rc);
    if (close(fd) != 0) {
        perror(argv[1]);
        return 1;
    }
    seccomp_release(ctx);
    return 0;
}
