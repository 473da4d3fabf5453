/**
 * Options for node itself when it runs the daemon: in the shebang of
 * bin/inotify-csync.js and of the single-file bundle, and in DaemonProcess
 * (tests and benchmarks run the daemon as an admin would).
 *
 * The daemon waits on inotifywait and csync2; its own JavaScript is a small
 * share of the work, so V8's optimizing compilers buy nothing measurable while
 * their code and a young generation sized for throughput cost memory. Measured
 * on a two-node cluster (node 20, bundle): idle RSS 55.3 MB -> 49.5 MB, and
 * after a 5,000-file burst 80.0 MB -> 49.1 MB; the daemon's CPU time for that
 * burst 0.61 s -> 0.68 s. `--optimize-for-size` takes about 1 MB more off
 * (dist/: 53.1 -> 51.5 MB idle). `--expose-gc` lets the daemon give the
 * memory of a busy spell back once idle (IdleCollector). `--no-expose-wasm`
 * keeps V8 from warning that `--jitless` turns WebAssembly off (nothing here
 * uses it).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1', '--optimize-for-size', '--expose-gc'];

/** The shebang line that starts node with DAEMON_NODE_FLAGS (GNU env -S splits the words). */
export const DAEMON_SHEBANG = `#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`;
