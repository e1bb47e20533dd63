// Validates an OpenAPI document with @seriousme/openapi-schema-validator (the official JSON
// schemas of OpenAPI 3.0 and 3.1). Usage: node validate_openapi.mjs <validator index.js> <file>
import { pathToFileURL } from "node:url";

const [validatorPath, file] = process.argv.slice(2);
const { Validator } = await import(pathToFileURL(validatorPath).href);
const validator = new Validator();
const result = await validator.validate(file);
if (!result.valid) {
  console.log(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log(`valid ${validator.version}`);
