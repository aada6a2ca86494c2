// Packs breakwater, installs the tarball into fresh directories exactly as the README's install
// lines say, and fails on a duplicated @opentelemetry/* package, a package count over the target
// or a library install that pulls in an SDK or gRPC. The lockfile never hides what users get.
//   node scripts/check-install.mjs            (CI: .ci/run)
//   node scripts/check-install.mjs --json     (one JSON report on stdout; measurements)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const json = process.argv.includes('--json');
const log = (line) => (json ? process.stderr : process.stdout).write(line + '\n');

/** The README's install lines, with `breakwater` standing for the packed tarball. */
export const installs = () => [
  { name: 'library', readmeLine: 'npm install breakwater @opentelemetry/api', maxPackages: 15, forbidden: ['@opentelemetry/sdk-node', '@grpc/grpc-js', 'protobufjs'],
    // import and require in one process: the installed files load, and give one class.
    smoke: ['--input-type=module', '-e', "import { CircuitBreaker } from 'breakwater'; import { createRequire } from 'node:module'; if (createRequire(import.meta.url)('breakwater').CircuitBreaker !== CircuitBreaker) throw new Error('two copies');"] },
  // sdk-node itself brings the OTLP gRPC exporters (and so gRPC); 72 packages today.
  { name: 'zero-code', readmeLine: zeroCodeLine(), maxPackages: 75, forbidden: [],
    smoke: ['--import', 'breakwater/register', '-e', "require('node:http').get('http://127.0.0.1:1/').on('error', () => {})"] },
];

/**
 * Second copies that no range of ours can remove, each held by the exact release that needs it; a
 * new release of that package (or any other second copy) fails the check again.
 */
const UPSTREAM_COPIES = [
  // Its latest release still asks for ^0.300.0 while sdk-node 0.301 pins 0.301.
  { copy: '@opentelemetry/instrumentation', heldBy: '@opentelemetry/instrumentation-undici', version: '0.34.0' },
];

function zeroCodeLine() {
  // The README holds the one copy-paste line; this check reads it rather than repeating it.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => /^npm install breakwater .*@opentelemetry\/sdk-node/.test(l.trim()));
  if (!line) throw new Error('check-install: README.md has no `npm install breakwater … @opentelemetry/sdk-node …` line');
  return line.trim();
}

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
}

/** Every installed package (nested copies included): name, version, directory. */
function listPackages(nodeModules) {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if (e.name.startsWith('@')) {
        walk(join(dir, e.name));
        continue;
      }
      const pkgDir = join(dir, e.name);
      try {
        const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
        found.push({ name: pkg.name, version: pkg.version, dir: pkgDir });
      } catch {
        continue;
      }
      walk(join(pkgDir, 'node_modules'));
    }
  };
  walk(nodeModules);
  return found;
}

function diskBytes(dir) {
  let total = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

export function measureInstall(tarball, readmeLine) {
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-install-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }) + '\n');
    const specs = readmeLine.replace(/^npm install\s+/, '').split(/\s+/).map((s) => (s === 'breakwater' ? tarball : s));
    npm(['install', '--no-package-lock', ...specs], dir);
    const packages = listPackages(join(dir, 'node_modules'));
    const copies = new Map();
    for (const p of packages) copies.set(p.name, [...(copies.get(p.name) ?? []), p.version]);
    const duplicated = [...copies].filter(([name, versions]) => name.startsWith('@opentelemetry/') && versions.length > 1);
    const upstream = packages.filter((p) => UPSTREAM_COPIES.some((u) => p.name === u.copy
      && p.dir.includes(`/${u.heldBy}/node_modules/`) && packages.some((h) => h.name === u.heldBy && h.version === u.version && p.dir.startsWith(h.dir))));
    const avoidable = duplicated
      .filter(([name, versions]) => versions.length - upstream.filter((u) => u.name === name).length > 1);
    return { dir, packages, bytes: diskBytes(join(dir, 'node_modules')), duplicated, avoidable, upstream };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs node in the fresh install (no telemetry port opened); the failure's first stderr line, or undefined. */
function runInstalled(dir, args) {
  try {
    execFileSync(process.execPath, args, { cwd: dir, timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OTEL_METRICS_EXPORTER: 'none' } });
    return undefined;
  } catch (err) {
    return String(err.stderr ?? err.message).split('\n').find((l) => /Error|error/.test(l)) ?? String(err.message);
  }
}

export function pack() {
  const out = mkdtempSync(join(tmpdir(), 'breakwater-pack-'));
  // Built here, packed without scripts: a prepack's output would break the JSON on stdout.
  npm(['run', 'build'], root);
  const [info] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], root));
  return join(out, info.filename);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tarball = pack();
  const report = [];
  const problems = [];
  for (const install of installs()) {
    log(`check-install: ${install.readmeLine}`);
    const result = measureInstall(tarball, install.readmeLine);
    const names = new Set(result.packages.map((p) => p.name));
    const entry = {
      install: install.name,
      line: install.readmeLine,
      packages: result.packages.length,
      megabytes: Math.round(result.bytes / 1e5) / 10,
      duplicated: Object.fromEntries(result.duplicated),
    };
    report.push(entry);
    log(`  ${entry.packages} packages (target <= ${install.maxPackages}), ${entry.megabytes} MB, ${result.duplicated.length} duplicated @opentelemetry/* packages`);
    for (const u of result.upstream) log(`  known upstream copy: ${u.name}@${u.version} in ${u.dir.slice(u.dir.indexOf('node_modules'))}`);
    if (entry.packages > install.maxPackages) problems.push(`${install.name}: ${entry.packages} packages, over the target of ${install.maxPackages}`);
    for (const [name, versions] of result.avoidable) problems.push(`${install.name}: ${versions.length} copies of ${name} (${versions.join(', ')})`);
    for (const name of install.forbidden) if (names.has(name)) problems.push(`${install.name}: installs ${name}`);
    const smoke = runInstalled(result.dir, install.smoke);
    if (smoke) problems.push(`${install.name}: node ${install.smoke.slice(0, 2).join(' ')} … failed in the fresh install: ${smoke}`);
    rmSync(result.dir, { recursive: true, force: true });
  }
  rmSync(dirname(tarball), { recursive: true, force: true });
  if (json) console.log(JSON.stringify(report, null, 2));
  for (const p of problems) log(`check-install: FAIL ${p}`);
  if (problems.length > 0) process.exit(1);
  log('check-install: ok');
}
