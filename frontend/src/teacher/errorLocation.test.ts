// @vitest-environment node
import { describe, expect, it } from "vitest";
import { errorLocation } from "./errorLocation";

describe("errorLocation", () => {
  it("finds the innermost frame of a Python traceback in the student's files", () => {
    const output = [
      "start\r",
      "Traceback (most recent call last):\r",
      '  File "/work/main.py", line 7, in <module>\r',
      "    greet()\r",
      '  File "/work/helpers.py", line 2, in greet\r',
      "    print(nme)\r",
      '  File "/usr/lib/python3.11/somewhere.py", line 90, in x\r',
      "NameError: name 'nme' is not defined\r",
    ].join("\n");
    expect(errorLocation(output)).toEqual({ file: "helpers.py", line: 2 });
  });

  it("reads a SyntaxError, compilers and stack traces", () => {
    expect(errorLocation('  File "/work/main.py", line 2\n    if x\n        ^\nSyntaxError: expected \':\'')).toEqual({ file: "main.py", line: 2 });
    expect(errorLocation("main.c: In function 'main':\nmain.c:4:5: error: expected ';' before 'return'")).toEqual({ file: "main.c", line: 4 });
    expect(errorLocation("Main.java:3: error: ';' expected\n        int x = 1\n")).toEqual({ file: "Main.java", line: 3 });
    expect(errorLocation('Exception in thread "main" java.lang.ArithmeticException: / by zero\n\tat Main.main(Main.java:5)')).toEqual({ file: "Main.java", line: 5 });
    expect(errorLocation("/work/main.js:2\nfoo();\n^\n\nReferenceError: foo is not defined\n    at Object.<anonymous> (/work/main.js:2:1)\n    at Module._compile (node:internal/modules/cjs/loader:1256:14)")).toEqual({ file: "main.js", line: 2 });
    expect(errorLocation("main.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.")).toEqual({ file: "main.ts", line: 3 });
  });

  it("ignores colour codes and says nothing when no line is named", () => {
    expect(errorLocation('\u001b[31m  File "/work/main.py", line 3, in <module>\u001b[0m')).toEqual({ file: "main.py", line: 3 });
    expect(errorLocation("Segmentation fault (core dumped)")).toBeNull();
    expect(errorLocation("")).toBeNull();
  });
});
