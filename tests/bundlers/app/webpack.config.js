// webpack.config.js: nothing package-specific (webpack 5 emits the wasm from
// `new URL(…, import.meta.url)` and supports top-level await).
export default {
  mode: 'production',
  entry: './src/auto.js',
  output: { path: new URL('./dist', import.meta.url).pathname, clean: true },
};
