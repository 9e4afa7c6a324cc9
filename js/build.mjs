// Bundles src/index.ts (and the CSS it imports) into one ESM file for anywidget,
// and src/loader/index.ts into loader.js, the script of self-contained HTML
// reports (audiowidget/standalone.py): a classic script, inlined in the page.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  minify: !watch,
  sourcemap: false,
  target: ["es2020"],
  legalComments: "none",
  logLevel: "info",
};
const panel = {
  ...common,
  entryPoints: ["src/index.ts"],
  format: "esm",
  outdir: "../audiowidget/static",
  entryNames: "index",
};
const loader = {
  ...common,
  entryPoints: ["src/loader/index.ts"],
  format: "iife",
  outfile: "../audiowidget/static/loader.js",
};

if (watch) {
  for (const options of [panel, loader]) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  await Promise.all([esbuild.build(panel), esbuild.build(loader)]);
}
