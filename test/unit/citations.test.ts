import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Code comments may cite only documents of the repository, as `docs/<file>.md, "<Section>"` or
 * `README.md, "<Section>"`, and every such citation must name a file and a heading that exist. The
 * README and docs/ link to files and headings that exist too.
 */

const ROOT = normalize(join(import.meta.dirname, '../..'));
const CODE_FOLDERS = ['shared', 'functions', 'infra', 'test', 'bench', 'scripts'];

function files(folder: string, extensions: RegExp): string[] {
  if (!existsSync(join(ROOT, folder))) return [];
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : files(path, extensions);
    return extensions.test(entry.name) ? [path] : [];
  });
}

/** The text with comment line breaks joined, so a citation wrapped over two lines reads as one. */
const unwrapped = (text: string): string => text.replace(/\s*\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The headings of a Markdown file, code blocks left out. */
function headings(path: string): string[] {
  const text = read(path).replace(/^```[\s\S]*?^```/gm, '');
  return [...text.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map(([, heading]) => heading as string);
}

/** GitHub's anchor for a heading. */
const slug = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

const codeFiles = CODE_FOLDERS.flatMap((folder) => files(folder, /\.(ts|js)$/)).filter(
  (path) => path !== relative(ROOT, import.meta.filename),
);
const markdownFiles = ['README.md', ...files('docs', /\.md$/)];

const CITATION = /\b(docs\/[\w-]+\.md|README(?:\.md)?),?\s+"([^"]+)"/g;
const OUTSIDE = /\b(DESIGN\.md|reference\/[\w-]+\.md)/g;

interface Problem {
  file: string;
  citation: string;
}

function danglingCitations(): Problem[] {
  return codeFiles.flatMap((file) =>
    [...unwrapped(read(file)).matchAll(CITATION)].flatMap(([citation, document, section]) => {
      const path = document === 'README' ? 'README.md' : (document as string);
      const fine = existsSync(join(ROOT, path)) && headings(path).includes(section as string);
      return fine ? [] : [{ file, citation: citation as string }];
    }),
  );
}

function outsideCitations(): Problem[] {
  return codeFiles.flatMap((file) =>
    [...read(file).matchAll(OUTSIDE)].map(([citation]) => ({ file, citation: citation as string })),
  );
}

describe('citations in the code', () => {
  it('finds the citations it checks', () => {
    expect(codeFiles.flatMap((file) => [...unwrapped(read(file)).matchAll(CITATION)]).length).toBeGreaterThan(
      20,
    );
  });

  it('name a docs/ file (or the README) and a heading that exist', () => {
    expect(danglingCitations()).toEqual([]);
  });

  it('cite no document outside the repository', () => {
    expect(outsideCitations()).toEqual([]);
  });

  it('mention only docs/ files that exist', () => {
    const missing = codeFiles.flatMap((file) =>
      [...read(file).matchAll(/\bdocs\/[\w-]+\.md\b/g)]
        .map(([path]) => path as string)
        .filter((path) => !existsSync(join(ROOT, path)))
        .map((path) => ({ file, path })),
    );

    expect(missing).toEqual([]);
  });
});

describe('links in the README and docs/', () => {
  it.each(markdownFiles)('%s links only to files and headings that exist', (file) => {
    const links = [...read(file).matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target as string);
    const broken = links
      .filter((target) => !/^[a-z]+:/.test(target))
      .filter((target) => {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : normalize(join(file, '..', path));
        if (!existsSync(join(ROOT, resolved))) return true;
        return (
          anchor !== undefined && resolved.endsWith('.md') && !headings(resolved).map(slug).includes(anchor)
        );
      });

    expect(broken).toEqual([]);
  });
});

describe('the picture of the architecture', () => {
  it('is the same in the README and docs/architecture.md', () => {
    const picture = (file: string) => /```mermaid\n[\s\S]*?```/.exec(read(file))?.[0];

    expect(picture('README.md')).toBeDefined();
    expect(picture('README.md')).toBe(picture('docs/architecture.md'));
  });
});
