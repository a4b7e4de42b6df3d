// Bun resolves `import x from "./file.wasm" with { type: "file" }` to the file's path (embedded by --compile).
declare module "*.wasm" {
  const path: string;
  export default path;
}
