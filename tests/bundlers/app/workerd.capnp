using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "outbound", network = (allow = ["public", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "hf_buckets_client_bg.wasm", wasm = embed "dist/hf_buckets_client_bg.wasm"),
    (name = "hf_buckets_xet_bg.wasm", wasm = embed "dist/hf_buckets_xet_bg.wasm"),
  ],
  compatibilityDate = "2026-01-01",
  bindings = [
    (name = "HF_ENDPOINT", fromEnvironment = "HF_ENDPOINT"),
    (name = "HF_TOKEN", fromEnvironment = "HF_TOKEN"),
    (name = "BUCKET", fromEnvironment = "BUCKET"),
  ],
  globalOutbound = "outbound",
);
