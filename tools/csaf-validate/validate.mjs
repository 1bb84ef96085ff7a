// Validates CSAF 2.0 documents with @secvisogram/csaf-validator-lib: the strict JSON schema, every
// mandatory test (section 6.1), every recommended test (6.2) and the informative tests (6.3).
//
// Usage: node validate.mjs [--network] [--spelling] [--fail-on-info] [--accept-info=TEST,...] FILE...
//
// A document fails on any schema or mandatory error and on any recommended warning. Informative
// findings are printed; with --fail-on-info they fail the document too, except those of the tests
// --accept-info names (informativeTest_6_3_3, say). Two informative tests ask
// the network whether URLs resolve (6.3.6, 6.3.7): they run only with --network. The spelling test
// (6.3.8) runs only with --spelling (it needs the hunspell program and its dictionaries).
// Exit status: 0 all valid, 1 a document failed, 2 usage.
import { readFile } from 'node:fs/promises'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import * as recommended from '@secvisogram/csaf-validator-lib/optionalTests.js'
import * as informative from '@secvisogram/csaf-validator-lib/informativeTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const args = process.argv.slice(2)
const network = args.includes('--network')
const spelling = args.includes('--spelling')
const failOnInfo = args.includes('--fail-on-info')
const accepted = args
  .filter((a) => a.startsWith('--accept-info='))
  .flatMap((a) => a.slice('--accept-info='.length).split(','))
const files = args.filter((a) => !a.startsWith('--'))
const known = (a) => ['--network', '--spelling', '--fail-on-info'].includes(a) || a.startsWith('--accept-info=')
if (files.length === 0 || args.some((a) => a.startsWith('--') && !known(a))) {
  console.error('usage: node validate.mjs [--network] [--spelling] [--fail-on-info] [--accept-info=TEST,...] FILE...')
  process.exit(2)
}

const skipped = []
if (!network) skipped.push('informativeTest_6_3_6', 'informativeTest_6_3_7')
if (!spelling) skipped.push('informativeTest_6_3_8')
const informativeTests = Object.values(informative).filter((t) => !skipped.includes(t.name))
const tests = [csaf_2_0_strict, ...Object.values(mandatory), ...Object.values(recommended), ...informativeTests]

let failed = false
for (const file of files) {
  const doc = JSON.parse(await readFile(file, 'utf8'))
  const result = await validateStrict(tests, doc)
  const lines = (kind, pick) =>
    result.tests.flatMap((t) => pick(t).map((e) => `${kind} ${t.name} ${e.instancePath}: ${e.message}`))
  const errors = lines('error', (t) => t.errors)
  const warnings = lines('warning', (t) => t.warnings)
  const infos = lines('info', (t) => t.infos)
  const failingInfos = result.tests.filter((t) => !accepted.includes(t.name)).flatMap((t) => t.infos)
  const bad = !result.isValid || errors.length > 0 || warnings.length > 0 || (failOnInfo && failingInfos.length > 0)
  failed ||= bad
  console.log(`${file}: ${bad ? 'INVALID' : 'valid'} (${tests.length} tests${skipped.length ? `; not run: ${skipped.join(', ')}` : ''})`)
  for (const l of [...errors, ...warnings, ...infos]) console.log(`  ${l}`)
}
process.exit(failed ? 1 : 0)
