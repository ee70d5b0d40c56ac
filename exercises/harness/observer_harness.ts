// Observer's grading shim for TypeScript (observer_harness.js's twin, compiled with the
// student's files): starts the grading harness with this process's stdio.
import { spawnSync } from "child_process";

const result = spawnSync("/usr/bin/python3", ["-u", "observer_harness.py"], { stdio: "inherit" });
process.exitCode = result.status === null ? 1 : result.status;
