// Observer's stand-in for JUnit 4's Assert: the common assertions, with JUnit's messages.
package org.junit;

import java.util.Arrays;
import java.util.Objects;

public final class Assert {
    private Assert() {
    }

    public static void fail(String message) {
        throw new AssertionError(message == null ? "failed" : message);
    }

    public static void fail() {
        fail(null);
    }

    private static String prefix(String message) {
        return message == null || message.isEmpty() ? "" : message + ": ";
    }

    public static void assertTrue(String message, boolean condition) {
        if (!condition) fail(prefix(message) + "expected true");
    }

    public static void assertTrue(boolean condition) {
        assertTrue(null, condition);
    }

    public static void assertFalse(String message, boolean condition) {
        if (condition) fail(prefix(message) + "expected false");
    }

    public static void assertFalse(boolean condition) {
        assertFalse(null, condition);
    }

    public static void assertEquals(String message, Object expected, Object actual) {
        if (!Objects.equals(expected, actual)) fail(prefix(message) + "expected:<" + expected + "> but was:<" + actual + ">");
    }

    public static void assertEquals(Object expected, Object actual) {
        assertEquals(null, expected, actual);
    }

    public static void assertEquals(String message, long expected, long actual) {
        if (expected != actual) fail(prefix(message) + "expected:<" + expected + "> but was:<" + actual + ">");
    }

    public static void assertEquals(long expected, long actual) {
        assertEquals(null, expected, actual);
    }

    public static void assertEquals(String message, double expected, double actual, double delta) {
        if (!(Math.abs(expected - actual) <= delta) && Double.compare(expected, actual) != 0) {
            fail(prefix(message) + "expected:<" + expected + "> but was:<" + actual + "> (within " + delta + ")");
        }
    }

    public static void assertEquals(double expected, double actual, double delta) {
        assertEquals(null, expected, actual, delta);
    }

    public static void assertNotEquals(Object unexpected, Object actual) {
        if (Objects.equals(unexpected, actual)) fail("expected a value other than:<" + actual + ">");
    }

    public static void assertNull(Object value) {
        if (value != null) fail("expected null but was:<" + value + ">");
    }

    public static void assertNotNull(Object value) {
        if (value == null) fail("expected a value but was null");
    }

    public static void assertArrayEquals(int[] expected, int[] actual) {
        if (!Arrays.equals(expected, actual)) {
            fail("expected:<" + Arrays.toString(expected) + "> but was:<" + Arrays.toString(actual) + ">");
        }
    }

    public static void assertArrayEquals(long[] expected, long[] actual) {
        if (!Arrays.equals(expected, actual)) {
            fail("expected:<" + Arrays.toString(expected) + "> but was:<" + Arrays.toString(actual) + ">");
        }
    }

    public static void assertArrayEquals(Object[] expected, Object[] actual) {
        if (!Arrays.deepEquals(expected, actual)) {
            fail("expected:<" + Arrays.deepToString(expected) + "> but was:<" + Arrays.deepToString(actual) + ">");
        }
    }

    public interface ThrowingRunnable {
        void run() throws Throwable;
    }

    public static <T extends Throwable> T assertThrows(Class<T> expected, ThrowingRunnable runnable) {
        try {
            runnable.run();
        } catch (Throwable thrown) {
            if (expected.isInstance(thrown)) return expected.cast(thrown);
            fail("expected " + expected.getSimpleName() + " but " + thrown.getClass().getSimpleName() + " was thrown");
        }
        fail("expected " + expected.getSimpleName() + " to be thrown, but nothing was thrown");
        return null;
    }
}
