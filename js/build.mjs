// Bundles src/index.ts (and the CSS it imports) into one ESM file for anywidget.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const options = {
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  minify: !watch,
  sourcemap: false,
  target: ["es2020"],
  outdir: "../audiowidget/static",
  entryNames: "index",
  legalComments: "none",
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
