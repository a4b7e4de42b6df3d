import { setDefaultTimeout } from "bun:test";

// End-to-end tests start servers and SDK clients; 20 s bounds a hung one without hiding slowness.
// (bunfig's [test] timeout key is not honoured by this Bun version, so it is set here.)
setDefaultTimeout(20_000);
