/* Observer's unit tests for C and C++: a small assert harness (no framework download).
 *
 *     #include "observer_unit.h"
 *     int add(int a, int b);
 *     TEST(adds_small_numbers) { CHECK_EQ_INT(add(2, 3), 5); }
 *     TEST(adds_negatives)     { CHECK(add(-1, 1) == 0); }
 *
 * Checks: CHECK(cond), CHECK_EQ_INT(a, b), CHECK_EQ_DOUBLE(a, b, tolerance),
 * CHECK_EQ_STR(a, b). The first failing check ends the test with its file, line and
 * values. Each test runs in a process of its own (observer_shim.c), so a crash fails
 * that test alone. Tests register themselves before main (a constructor per TEST, run
 * before the shim's own).
 */
#ifndef OBSERVER_UNIT_H
#define OBSERVER_UNIT_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*observer_test_fn)(void);
void observer_register(const char *file, const char *name, observer_test_fn fn);
void observer_fail(const char *file, int line, const char *message);
void observer_check_int(const char *file, int line, const char *expr, long long got, long long want);
void observer_check_double(const char *file, int line, const char *expr, double got, double want, double tolerance);
void observer_check_str(const char *file, int line, const char *expr, const char *got, const char *want);

#ifdef __cplusplus
}
#include <string>
/* C++: strings compare as std::string too. */
inline void observer_check_str(const char *file, int line, const char *expr, const std::string &got,
                               const std::string &want) {
    observer_check_str(file, line, expr, got.c_str(), want.c_str());
}
#endif

#define OBSERVER_CAT2(a, b) a##b
#define OBSERVER_CAT(a, b) OBSERVER_CAT2(a, b)

#define TEST(name)                                                                      \
    static void observer_test_##name(void);                                             \
    __attribute__((constructor(101))) static void observer_register_##name(void) {          \
        observer_register(__FILE__, #name, observer_test_##name);                       \
    }                                                                                   \
    static void observer_test_##name(void)

#define CHECK(cond)                                                                     \
    do { if (!(cond)) observer_fail(__FILE__, __LINE__, "CHECK(" #cond ") failed"); } while (0)
#define CHECK_EQ_INT(got, want) observer_check_int(__FILE__, __LINE__, #got " == " #want, (got), (want))
#define CHECK_EQ_DOUBLE(got, want, tolerance) \
    observer_check_double(__FILE__, __LINE__, #got " == " #want, (got), (want), (tolerance))
#define CHECK_EQ_STR(got, want) observer_check_str(__FILE__, __LINE__, #got " == " #want, (got), (want))

#endif
