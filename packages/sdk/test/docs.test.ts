/**
 * Every public export, and every method of the resource interfaces, carries JSDoc with an
 * `@example`: editors show it on hover, and it is the first documentation a partner reads.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));

function hasExample(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  return symbol.getJsDocTags(checker).some((tag) => tag.name === 'example');
}

it('documents every public export and resource method with an example', { timeout: 60_000 }, () => {
  const program = ts.createProgram([INDEX], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(INDEX);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error('cannot read src/index.ts');

  const missing: string[] = [];
  const exports = checker.getExportsOfModule(module);
  for (const exported of exports) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!hasExample(symbol, checker)) missing.push(exported.name);
    if (!exported.name.endsWith('Api')) continue;

    for (const member of checker.getDeclaredTypeOfSymbol(symbol).getProperties()) {
      if (!hasExample(member, checker)) missing.push(`${exported.name}.${member.name}`);
    }
  }

  expect(exports.length).toBeGreaterThan(40);
  expect(missing).toEqual([]);
});
