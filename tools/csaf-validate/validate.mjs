// Validates CSAF 2.0 documents with @secvisogram/csaf-validator-lib: the strict JSON schema and
// every mandatory test of section 6.1. Usage: node validate.mjs FILE... ; exit 1 when any fails.
import { readFile } from 'node:fs/promises'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const tests = [csaf_2_0_strict, ...Object.values(mandatory)]
let failed = false
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(await readFile(file, 'utf8'))
  const result = await validateStrict(tests, doc)
  const errors = result.tests.flatMap((t) => t.errors.map((e) => `${t.name} ${e.instancePath}: ${e.message}`))
  if (!result.isValid || errors.length > 0) {
    failed = true
    console.log(`${file}: INVALID`)
    for (const e of errors) console.log(`  ${e}`)
  } else {
    console.log(`${file}: valid (${tests.length} tests)`)
  }
}
process.exit(failed ? 1 : 0)
