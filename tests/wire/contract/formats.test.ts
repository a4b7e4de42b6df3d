import { FORMAT_IDS } from "../../../src/wire";
import { runFormatContract } from "./format.contract";
import { SPECS } from "./spec";

// Every registered format, with its entry in the spec table: a new format adds one entry there.
for (const id of FORMAT_IDS) runFormatContract(id, SPECS[id]);
