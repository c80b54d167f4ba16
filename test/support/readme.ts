import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface CodeBlock {
  /** The info string's first word: `sh`, `ts`, `js`, `jsonc`, ... */
  lang: string;
  text: string;
  /** For `ts`/`js`/`jsonc` blocks: the file named by their first line, `// src/authorization.ts`. */
  file: string | null;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

/** The fenced code blocks of a Markdown file of the repository, in order. */
export function codeBlocks(relativePath = 'README.md'): CodeBlock[] {
  const lines = readFileSync(join(ROOT, relativePath), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\S*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !lines[i]!.startsWith('```'); i += 1) body.push(lines[i]!);
    const text = `${body.join('\n')}\n`;
    const named = /^\/\/ ([\w./-]+\.(?:ts|js|json))(?::|$| )/.exec(body[0] ?? '');
    blocks.push({ lang: open[1]!, text, file: named ? named[1]! : null, line: start + 1 });
  }
  return blocks;
}
