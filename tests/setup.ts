import { setDefaultTimeout } from "bun:test";

// End-to-end tests start servers and SDK clients; 20 s bounds a hung one without hiding slowness.
// bunfig's [test] timeout key is not honoured by this Bun version, and a preload runs once per
// process, so this reaches only the first file of a multi-file run (oven-sh/bun#43787): the
// `npm test` script passes --timeout 20000 for the rest. Single-file runs get it from here.
setDefaultTimeout(20_000);
