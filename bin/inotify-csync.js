#!/usr/bin/env -S node --jitless --no-expose-wasm --max-semi-space-size=1 --optimize-for-size --expose-gc
// node options: see src/process/node-flags.ts (a test keeps the two equal).
import '../dist/main.js';
