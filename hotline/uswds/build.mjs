// Builds the site's two stylesheets from the USWDS Sass with the `sass` compiler (pinned in package-lock.json):
//   src/reporter.scss -> ../static/hotline.css  (every reporter and exit-survey page; must stay under 60 KB)
//   src/console.scss  -> ../static/console.css  (the reviewer console)
// The USWDS images the CSS names (icons, check marks) are copied to ../static/img, served like the CSS.
// `node build.mjs OUTDIR` writes them to OUTDIR instead (tests/hotline/test_stylesheets.py compares a rebuild with
// the committed files). Run `npm ci && npm run build` here after changing any .scss file, and commit the CSS.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "..", "static");
const loadPaths = [join(here, "node_modules/@uswds/uswds/packages"), join(here, "src")];
mkdirSync(out, { recursive: true });
for (const [source, target] of [["reporter.scss", "hotline.css"], ["console.scss", "console.css"]]) {
  const result = sass.compile(join(here, "src", source), {
    loadPaths, style: "compressed", sourceMap: false, quietDeps: true, silenceDeprecations: ["import"],
  });
  writeFileSync(join(out, target), result.css + "\n");
  console.log(`${target}: ${Buffer.byteLength(result.css)} bytes`);
  for (const [, name] of result.css.matchAll(/url\("\/static\/img\/([a-z0-9_\/.-]+)"\)/g)) {
    mkdirSync(dirname(join(out, "img", name)), { recursive: true });
    copyFileSync(join(here, "node_modules/@uswds/uswds/dist/img", name), join(out, "img", name));
  }
}
