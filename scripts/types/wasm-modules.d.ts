// For the type check of js/ (jsconfig.json) only: the workerd entries import the .wasm files as
// modules, which workerd and Wrangler hand over as compiled `WebAssembly.Module`s.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
