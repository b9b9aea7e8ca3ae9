// Types of the esbuild plugin (`import kelisim from "kelisim/esbuild"`), without a
// dependency on esbuild's own types: the result fits esbuild's `Plugin`.
export default function kelisim(): { name: string; setup(build: any): void };
