// `npm start` runs this first: build when dist/ is missing or older than any source file.
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const sources = ['src', 'cli', 'migrations', 'bench']
  .map((dir) => path.join(root, dir))
  .filter((dir) => fs.existsSync(dir));
const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
if (built === 0 || Math.max(...sources.map(newestSource)) > built) {
  console.log('Building Skill Fleet (first start or sources changed)…');
  execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
  fs.utimesSync(entry, new Date(), new Date());
}
