// Observer's JUnit-like runner for Java (no Maven download), started by
// observer_harness.py, one JVM per test:
//
//   java observer_Unit list CLASS         names of CLASS's @Test methods, as JSON lines on fd 3
//   java observer_Unit run CLASS METHOD   run one; {"name","passed","message"} on fd 3
//
// Test classes use org.junit.Test and org.junit.Assert (the stand-ins shipped beside
// this file: JUnit 4's names, the common assertions). A fresh instance per test.
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

public class observer_Unit {
    public static void main(String[] args) throws Exception {
        Writer report = new OutputStreamWriter(new FileOutputStream("/proc/self/fd/3"), StandardCharsets.UTF_8);
        Class<?> tests = Class.forName(args[1]);
        List<String> names = new ArrayList<>();
        for (Method method : tests.getDeclaredMethods()) {
            if (method.isAnnotationPresent(org.junit.Test.class)) names.add(method.getName());
        }
        names.sort(null);
        if (args[0].equals("list")) {
            for (String name : names) report.write("{\"name\": " + json(name) + "}\n");
            report.close();
            return;
        }
        String name = args[2];
        String message = "";
        boolean passed = false;
        try {
            Method method = tests.getDeclaredMethod(name);
            method.setAccessible(true);
            Object instance = java.lang.reflect.Modifier.isStatic(method.getModifiers())
                    ? null : tests.getDeclaredConstructor().newInstance();
            method.invoke(instance);
            passed = true;
        } catch (InvocationTargetException wrapped) {
            message = describe(wrapped.getCause());
        } catch (NoSuchMethodException missing) {
            message = "no such test";
        }
        System.out.flush();
        report.write("{\"name\": " + json(name) + ", \"passed\": " + passed + ", \"message\": " + json(message) + "}\n");
        report.close();
        System.exit(0);
    }

    private static String describe(Throwable error) {
        String text = error instanceof AssertionError
                ? String.valueOf(error.getMessage())
                : error.getClass().getName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
        for (StackTraceElement frame : error.getStackTrace()) {
            String file = frame.getFileName();
            if (file != null && !file.startsWith("observer_") && !frame.getClassName().startsWith("org.junit.")
                    && !frame.getClassName().startsWith("java.") && !frame.getClassName().startsWith("jdk.")) {
                return file + ":" + frame.getLineNumber() + ": " + text;
            }
        }
        return text;
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
