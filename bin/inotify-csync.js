#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=131072 node --jitless --no-expose-wasm --max-semi-space-size=1 --optimize-for-size
// node options: see src/process/node-flags.ts (a test keeps the two equal).
import '../dist/main.js';
