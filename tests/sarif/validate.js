// Validates SARIF logs against the SARIF 2.1.0 JSON schema (draft-04), as shipped in
// @microsoft/jest-sarif; usage: node validate.js TOOLS_DIR FILE... (exit 1 naming each error).
const path = require("path");
const fs = require("fs");
const modules = path.resolve(process.argv[2], "node_modules");
const Ajv = require(path.join(modules, "ajv-draft-04"));
const addFormats = require(path.join(modules, "ajv-formats"));
const schema = require(path.join(modules, "@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"));
// The schema has a pattern that is not valid in unicode mode (`...]?$`), as JSON Schema reads it.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);
let failed = false;
for (const file of process.argv.slice(3)) {
  const log = JSON.parse(fs.readFileSync(file, "utf8"));
  if (validate(log)) {
    console.log(`${file}: valid SARIF 2.1.0 (${log.runs[0].results.length} results)`);
  } else {
    failed = true;
    for (const error of validate.errors) {
      console.log(`${file}: ${error.instancePath || "/"} ${error.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
