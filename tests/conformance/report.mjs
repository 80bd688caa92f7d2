// Compares the conformance suite's results (checks.json per scenario, written by
// `conformance server -o DIR`) with expected.tsv, prints the table and the verdict.
// Called by scripts/conformance.sh; exit 0 = no regression, 1 = regression or unlisted scenario.
//
//   node report.mjs --expected FILE --out DIR --runs RUN,RUN [--suggest FILE]
//
// DIR/RUN/scenarios.txt lists what the suite offers in RUN; DIR/RUN/results/ holds its output.
// A scenario's result: `fail` if any check is FAILURE (a missing checks.json, from a crash or a
// timeout, counts as a failing check named `(no result)`), `pass` if at least one check other
// than the wire-schema check is SUCCESS, otherwise `skip` (nothing applicable was tested).
import fs from 'node:fs';
import path from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const runs = args.runs.split(',');
const STATUSES = ['pass', 'todo', 'n/a'];
const WIRE_CHECK = 'wire-schema-valid';

// expected.tsv: tab-separated `run scenario status reason may_fail`; `#` starts a comment line.
const expectedText = fs.readFileSync(args.expected, 'utf8');
const expected = new Map();
const problems = [];
for (const [n, line] of expectedText.split('\n').entries()) {
  if (!line.trim() || line.startsWith('#')) continue;
  const [run, scenario, status, reason = '', mayFail = ''] = line.split('\t').map((s) => s.trim());
  const key = `${run} ${scenario}`;
  if (!STATUSES.includes(status)) problems.push(`expected.tsv line ${n + 1}: status "${status}" is not one of ${STATUSES.join(', ')}`);
  else if (status !== 'pass' && !reason) problems.push(`expected.tsv line ${n + 1}: ${key} is ${status} without a reason`);
  else if (status === 'pass' && mayFail) problems.push(`expected.tsv line ${n + 1}: ${key} is pass, so may_fail must be empty`);
  if (expected.has(key)) problems.push(`expected.tsv line ${n + 1}: ${key} is listed twice`);
  expected.set(key, { run, scenario, status, reason, mayFail: mayFail === '*' ? '*' : new Set(mayFail.split(',').map((s) => s.trim()).filter(Boolean)) });
}

function readResults(run) {
  const dir = path.join(args.out, run, 'results');
  const found = new Map();
  for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const m = entry.match(/^server-(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    const file = path.join(dir, entry, 'checks.json');
    if (m && fs.existsSync(file)) found.set(m[1], file);
  }
  return found;
}

function judge(file) {
  if (!file) return { result: 'fail', failing: [{ id: '(no result)', msg: 'no checks.json: the scenario crashed or timed out (see its log)' }], warnings: 0, ok: 0, succeeded: new Set() };
  const checks = JSON.parse(fs.readFileSync(file, 'utf8'));
  const failing = checks.filter((c) => c.status === 'FAILURE').map((c) => ({ id: c.id, msg: c.errorMessage || c.description || '' }));
  const ok = checks.filter((c) => c.status === 'SUCCESS' && c.id !== WIRE_CHECK).length;
  const warnings = checks.filter((c) => c.status === 'WARNING').length;
  const succeeded = new Set(checks.filter((c) => c.status === 'SUCCESS').map((c) => c.id));
  return { result: failing.length ? 'fail' : ok ? 'pass' : 'skip', failing, warnings, ok, succeeded };
}

const rows = [];
const regressions = [];
const notes = [];
const seen = new Set();
for (const run of runs) {
  const offered = fs.readFileSync(path.join(args.out, run, 'scenarios.txt'), 'utf8').split('\n').filter(Boolean);
  const results = readResults(run);
  for (const scenario of offered) {
    const key = `${run} ${scenario}`;
    seen.add(key);
    const file = results.get(scenario);
    if (file) fs.copyFileSync(file, path.join(args.out, run, `${scenario}.checks.json`));
    const r = judge(file);
    const exp = expected.get(key);
    const failingIds = [...new Set(r.failing.map((f) => f.id))];
    let verdict = 'ok';
    let detail = '';
    if (!exp) {
      verdict = 'UNLISTED';
      regressions.push(`${key}: not in expected.tsv (result ${r.result}); add a row for it`);
    } else if (exp.status === 'pass') {
      if (r.result !== 'pass') {
        verdict = 'REGRESSION';
        regressions.push(`${key}: expected pass, got ${r.result}: ${r.failing.map((f) => `${f.id}: ${f.msg}`).join('; ') || 'no check was applicable'}`);
      }
    } else {
      const unexpected = exp.mayFail === '*' ? [] : failingIds.filter((id) => !exp.mayFail.has(id));
      if (unexpected.length) {
        verdict = 'REGRESSION';
        const msgs = r.failing.filter((f) => unexpected.includes(f.id)).map((f) => `${f.id}: ${f.msg}`);
        regressions.push(`${key} (${exp.status}): check(s) failing that may_fail does not list: ${msgs.join('; ')}`);
      } else if (r.result === 'pass') {
        notes.push(`${key} is ${exp.status} but passes now: set it to pass in expected.tsv (and empty its may_fail)`);
      } else if (exp.mayFail !== '*') {
        const nowPassing = [...exp.mayFail].filter((id) => !failingIds.includes(id) && r.succeeded.has(id));
        if (nowPassing.length) notes.push(`${key}: may_fail lists ${nowPassing.join(', ')}, which no longer fail: drop them from expected.tsv`);
      }
    }
    if (r.result === 'fail') detail = `${r.failing[0].id}: ${r.failing[0].msg}`;
    else if (r.warnings) detail = `${r.warnings} warning(s)`;
    if (exp && verdict === 'ok') detail = exp.status === 'pass' ? [detail, exp.reason].filter(Boolean).join(' ') : exp.reason;
    rows.push({ run, scenario, expected: exp ? exp.status : '-', result: r.result, verdict, detail, failingIds, warnings: r.warnings, exp });
  }
}
for (const key of expected.keys()) if (!seen.has(key)) notes.push(`${key} is in expected.tsv but the suite did not offer it: remove the row`);

// The table.
const oneLine = (s) => s.replace(/\s+/g, ' ').trim();
const cut = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const w = { run: 10, scenario: Math.max(8, ...rows.map((r) => r.scenario.length)), expected: 8, result: 6 };
const line = (a, b, c, d, e) => `${a.padEnd(w.run)} | ${b.padEnd(w.scenario)} | ${c.padEnd(w.expected)} | ${d.padEnd(w.result)} | ${e}`;
console.log('');
console.log(line('run', 'scenario', 'expected', 'result', 'note'));
console.log(line('-'.repeat(w.run), '-'.repeat(w.scenario), '-'.repeat(w.expected), '-'.repeat(w.result), '----'));
for (const r of rows) {
  const mark = r.verdict === 'ok' ? '' : `${r.verdict}: `;
  console.log(line(r.run, r.scenario, r.expected, r.result, cut(oneLine(mark + r.detail), 110)));
}

const count = (f) => rows.filter(f).length;
console.log('');
console.log(`${rows.length} scenario runs: ${count((r) => r.result === 'pass')} pass, ${count((r) => r.result === 'fail')} fail, ${count((r) => r.result === 'skip')} skip; ` +
  `expected: ${count((r) => r.expected === 'pass')} pass, ${count((r) => r.expected === 'todo')} todo, ${count((r) => r.expected === 'n/a')} n/a`);

const todos = rows.filter((r) => r.expected === 'todo' && r.result !== 'pass');
if (todos.length) {
  console.log('');
  console.log(`TODO: ${todos.length} scenario run(s) allowed to fail until their feature lands:`);
  for (const r of todos) console.log(`  - ${r.run} ${r.scenario}: ${r.exp.reason}`);
}
for (const p of problems) regressions.push(p);
if (notes.length) {
  console.log('');
  console.log('NOTE (not a failure; please update tests/conformance/expected.tsv):');
  for (const n of notes) console.log(`  - ${n}`);
}
fs.writeFileSync(path.join(args.out, 'summary.tsv'),
  ['run\tscenario\texpected\tresult\tverdict\tfailing_checks\twarnings', ...rows.map((r) => [r.run, r.scenario, r.expected, r.result, r.verdict, r.failingIds.join(','), r.warnings].join('\t'))].join('\n') + '\n');

if (args.suggest) {
  // Same rows as the run, statuses and reasons kept; may_fail set to what fails now.
  const header = expectedText.split('\n').filter((l) => l.startsWith('#')).join('\n');
  const body = rows.map((r) => {
    const status = r.result === 'pass' ? 'pass' : r.exp && r.exp.status !== 'pass' ? r.exp.status : 'todo';
    const reason = status === 'pass' ? '' : r.exp && r.exp.status !== 'pass' ? r.exp.reason : 'CLASSIFY: ' + cut(oneLine(r.detail), 120);
    const mayFail = status === 'pass' ? '' : r.failingIds.slice().sort().join(',');
    return [r.run, r.scenario, status, reason, mayFail].join('\t');
  });
  fs.writeFileSync(args.suggest, header + '\n' + body.join('\n') + '\n');
  console.log(`\nSuggested expected file (review before copying): ${args.suggest}`);
}

console.log('');
if (regressions.length) {
  console.log(`FAIL: ${regressions.length} problem(s):`);
  for (const r of regressions) console.log(`  - ${cut(oneLine(r), 400)}`);
  process.exit(1);
}
console.log(`OK: every pass scenario passed, no todo/n/a scenario gained a failing check.`);
