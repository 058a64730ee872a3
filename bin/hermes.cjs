#!/usr/bin/env node
"use strict";
// llama.cpp's CPU backend runs OpenMP thread teams; with libuv's default 4 worker threads, several teams fight
// for the cores and decoding gets 8-40x slower. One libuv worker keeps one team. This must be set before the
// thread pool first starts, so it happens here, in a CommonJS entry that loads before any ES module.
if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = "1";
import("../dist/src/cli/main.js")
  .then((cli) => cli.main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
