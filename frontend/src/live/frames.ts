/**
 * Reading a socket's JSON text frames against the server's contract (api/events.gen.ts,
 * generated from observer/contract.py). A frame whose type the contract does not list for
 * that socket, or whose fields are missing or of the wrong kind, is dropped with a console
 * warning instead of reaching code that trusts its type. Fields the contract does not name
 * are left alone (a newer server may add one).
 */
import type { FieldShape, FrameShapes } from "../api/events.gen";

function fieldProblem(value: unknown, shape: FieldShape): string | null {
  if (value === undefined) return shape.optional ? null : "is missing";
  if (value === null) return shape.nullable ? null : "is null";
  const ok =
    shape.kind === "array"
      ? Array.isArray(value)
      : shape.kind === "object"
        ? typeof value === "object" && !Array.isArray(value)
        : typeof value === shape.kind;
  if (!ok) return `is not a${shape.kind === "array" || shape.kind === "object" ? "n" : ""} ${shape.kind}`;
  if (shape.values && !(typeof value === "string" && shape.values.includes(value))) return `is ${JSON.stringify(value)}, not one of ${shape.values.join(", ")}`;
  return null;
}

/** Why `raw` is not one of the frames `shapes` describes (null when it is one). */
export function frameProblem<F extends { type: string }>(raw: unknown, shapes: FrameShapes<F>): string | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "not a JSON object";
  const record = raw as Record<string, unknown>;
  const type = record["type"];
  if (typeof type !== "string") return "no string type";
  if (!Object.prototype.hasOwnProperty.call(shapes, type)) return `unknown type ${JSON.stringify(type)}`;
  const fields: Readonly<Record<string, FieldShape>> = shapes[type as F["type"]];
  for (const [name, shape] of Object.entries(fields)) {
    const problem = fieldProblem(record[name], shape);
    if (problem) return `${type}: ${name} ${problem}`;
  }
  return null;
}

function isFrame<F extends { type: string }>(raw: unknown, shapes: FrameShapes<F>, socket: string): raw is F {
  const problem = frameProblem(raw, shapes);
  if (problem) console.warn(`Ignored a ${socket} socket frame outside the contract (${problem}).`);
  return problem === null;
}

/** The frame in `text` when the contract has it for this socket; else null (and a console warning). */
export function parseFrame<F extends { type: string }>(text: string, shapes: FrameShapes<F>, socket: string): F | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    console.warn(`Ignored a ${socket} socket frame that is not JSON.`);
    return null;
  }
  return isFrame(raw, shapes, socket) ? raw : null;
}
