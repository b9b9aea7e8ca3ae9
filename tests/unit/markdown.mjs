// Reads the fenced code blocks of the project's Markdown pages (for the docs tests).

/** The fenced code blocks of a Markdown text: { lang, info, code, line }. */
export function blocks(text) {
  const out = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^```(\S*)\s*(.*)$/);
    if (!m) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
    out.push({ lang: m[1], info: m[2], code: body.join("\n"), line: start + 1 });
  }
  return out;
}
