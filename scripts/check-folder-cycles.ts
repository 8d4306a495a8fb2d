// `npm run lint` step: the folders of src/ (and its top-level files) must depend on one another without a cycle, so
// that each folder can be read, tested and replaced on its own (STYLE.md: the layout shows the architecture).
// dependency-cruiser resolves the imports (TypeScript's `.js` specifiers included) and collapses them to folders; it
// reports cycles between modules but not between collapsed folders, so the strongly connected components of the
// collapsed graph are found here (Tarjan's algorithm) and each one with more than one member is printed.
import { cruise, type ICruiseResult } from 'dependency-cruiser';

/** src/<folder> for files in a folder, src/<file>.ts for top-level files. */
const FOLDER = '^src/[^/]+';

export async function folderGraph(root = 'src'): Promise<Map<string, Set<string>>> {
  const result = await cruise([root], {
    collapse: FOLDER,
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  }, undefined, { tsConfig: { fileName: 'tsconfig.build.json' } } as never);
  const graph = new Map<string, Set<string>>();
  for (const module of (result.output as ICruiseResult).modules) {
    if (!module.source.startsWith(`${root}/`)) continue;
    const targets = new Set(module.dependencies.map((d) => d.resolved).filter((to) => to.startsWith(`${root}/`) && to !== module.source));
    graph.set(module.source, targets);
  }
  return graph;
}

/** The cycles of `graph`: strongly connected components with two or more members, each sorted. */
export function folderCycles(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = await folderGraph();
  const cycles = folderCycles(graph);
  for (const cycle of cycles) {
    const edges = cycle.flatMap((from) => [...(graph.get(from) ?? [])].filter((to) => cycle.includes(to)).map((to) => `${from} → ${to}`));
    process.stderr.write(`folder cycle: ${cycle.join(', ')}\n  ${edges.join('\n  ')}\n`);
  }
  if (cycles.length > 0) process.exit(1);
  process.stdout.write(`no folder cycles (${graph.size} folders and top-level files)\n`);
}
