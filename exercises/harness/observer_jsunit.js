// Observer's JavaScript unit-test runner, on node:test (started by observer_harness.py):
//
//   node observer_jsunit.js list FILE       names of FILE's top-level tests, as JSON lines on fd 3
//   node observer_jsunit.js run FILE NAME   run one of them; {"name","passed","message"} on fd 3
//
// FILE's source arrives on stdin (or, when stdin is empty, is read from FILE). The test file uses node:test as usual
// (`const test = require("node:test")`, `test("adds", () => assert.equal(...))`, `it`,
// `describe` as one test); requiring node:test gives it a stand-in that records the
// top-level tests, and in run mode passes the chosen one to the real node:test, whose
// result arrives through a reporter. The tested code shares this process: see
// docs/exercises.md for what that means.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");
const realTest = require("node:test");

const [mode, file, wanted] = process.argv.slice(2);
// Stdin carries a JavaScript test file; empty, the file is read from FILE (TypeScript's
// tests, compiled to /build with the student's files).
const source = fs.readFileSync(0, "utf8") || fs.readFileSync(file, "utf8");
const report = (item) => fs.writeSync(3, JSON.stringify(item) + "\n");
const names = [];

function register(name, options, fn) {
  const body = typeof options === "function" ? options : fn;
  names.push(String(name));
  if (mode === "run" && String(name) === wanted) {
    realTest(String(name), async (context) => {
      await body(context);
    }).then(undefined, () => {});
  }
}
const standIn = Object.assign(register, realTest, { test: register, it: register, describe: register });
standIn.default = standIn;

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "node:test" || request === "test") return standIn;
  return load.call(this, request, parent, isMain);
};

const filename = path.resolve(file);
const testModule = new Module(filename, module);
testModule.filename = filename;
testModule.paths = Module._nodeModulePaths(path.dirname(filename));
testModule._compile(source, filename);

if (mode === "list") {
  for (const name of names) report({ name });
} else if (!names.includes(wanted)) {
  report({ name: wanted, passed: false, message: "no such test" });
}
