// Reporter for observer_jsunit.js: the top-level test's outcome as one JSON line.
export default async function* reporter(source) {
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0 && !event.data.skip) {
      const error = event.data.details?.error;
      const cause = error?.cause ?? error;
      const message = event.type === "test:fail" ? String(cause?.message ?? cause ?? "failed") : "";
      yield JSON.stringify({ name: event.data.name, passed: event.type === "test:pass", message }) + "\n";
    }
  }
}
