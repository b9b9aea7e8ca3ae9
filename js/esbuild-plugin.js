// esbuild plugin for kelisim (`import kelisim from "kelisim/esbuild"`).
//
// kelisim's modules find their files (.wasm, .css) with
// `new URL("./file", import.meta.url)`. Vite, webpack 5 and Rollup (with
// @web/rollup-plugin-import-meta-assets) emit such files; esbuild does not. This
// plugin rewrites each such reference in kelisim's own modules into an import of
// the file through esbuild's `file` loader: esbuild copies the file into the
// output folder under `assetNames` (fingerprinted by default) and the import
// gives its path relative to the output file that uses it, which
// `new URL(path, import.meta.url)` turns back into a URL. Build with
// `format: "esm"` (kelisim needs `import.meta.url`); `splitting` and
// `publicPath` work as usual. Other modules of the app are not touched.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist") + path.sep;
const NS = "kelisim-asset";
const ref = /new URL\((["'])(\.{1,2}\/[^"'\\\n]+)\1\s*,\s*import\.meta\.url\s*\)/g;

export default function kelisim() {
  return {
    name: "kelisim",
    setup(build) {
      if (build.initialOptions.format && build.initialOptions.format !== "esm") {
        throw new Error(`kelisim/esbuild: format "${build.initialOptions.format}" has no import.meta.url; build with format: "esm"`);
      }
      build.onLoad({ filter: /\.m?js$/ }, async (args) => {
        if (args.namespace !== "file" || !args.path.startsWith(dist)) return undefined;
        const source = await readFile(args.path, "utf8");
        const imports = [];
        const contents = source.replace(ref, (_, quote, file) => {
          const name = `__kelisim_asset${imports.length}`;
          imports.push(`import ${name} from ${JSON.stringify(`${NS}:${file}`)};`);
          return `new URL(${name}, import.meta.url)`;
        });
        return imports.length ? { contents: `${imports.join("")}\n${contents}`, loader: "js" } : undefined;
      });
      build.onResolve({ filter: new RegExp(`^${NS}:`) }, (args) => ({
        path: path.resolve(args.resolveDir, args.path.slice(NS.length + 1)),
        namespace: NS,
      }));
      build.onLoad({ filter: /.*/, namespace: NS }, async (args) => {
        try {
          return { contents: await readFile(args.path), loader: "file" };
        } catch (e) {
          return { errors: [{ text: `kelisim/esbuild: ${args.path}: ${e.message}` }] };
        }
      });
    },
  };
}
