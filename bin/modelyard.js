#!/usr/bin/env node
// Entry point installed as the `modelyard` command; the compiled CLI lives in dist/ (built by `npm run build`).
import('../dist/src/cli/main.js');
