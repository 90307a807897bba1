#!/usr/bin/env node
// The `fpt-webhooks` command. Installed from npm it runs the compiled CLI (dist/, built by `npm run build`
// before packing): no TypeScript loader needed. In this repository, where the TypeScript sources sit
// beside this file, it registers tsx (a devDependency) and runs them, so the CLI needs no build step here.
'use strict';

const { existsSync } = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, 'main.ts');
let main;
if (existsSync(source)) {
  require('tsx/cjs/api').register();
  ({ main } = require(source));
} else {
  ({ main } = require(path.join(__dirname, '..', 'dist', 'cli', 'main.js')));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`error: ${error?.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
