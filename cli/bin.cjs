#!/usr/bin/env node
// The `fpt-webhooks` command: registers tsx so the TypeScript CLI runs without a build step.
'use strict';

require('tsx/cjs/api').register();
const { main } = require('./main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`error: ${error?.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
